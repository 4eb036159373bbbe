"""Records the assistant returns: an `Answer` and the `Citation`s it carries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.records import Clause


@dataclass(frozen=True)
class Citation:
    doc_id: str
    doc_title: str
    region: str
    kind: str
    article: int | None
    paragraph: int | None
    label: str
    text: str
    clause_id: str = ""
    part: str | None = None

    @classmethod
    def from_clause(cls, clause: Clause) -> Citation:
        return cls(
            doc_id=clause.doc_id,
            doc_title=clause.doc_title,
            region=clause.region,
            kind=clause.kind,
            article=clause.article,
            paragraph=clause.paragraph,
            label=clause.label,
            text=clause.text,
            clause_id=clause.clause_id,
            part=clause.part,
        )

    @property
    def key(self) -> tuple[str, str]:
        """(doc_id, 'article:16' | kind): the unit citation metrics count."""
        unit = f"article:{self.article}" if self.kind == "article" else self.kind
        return (self.doc_id, unit)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    mode: str = "extractive"  # which answerer produced it: extractive | llm | extractive-fallback
    query: str = ""  # the question as retrieved (after follow-up rewriting)
    dropped_citations: int = 0  # citations removed by verification (named no retrieved clause)
    notice: str | None = None  # e.g. "LLM endpoint failed; extractive answer shown"
    sources: tuple[Clause, ...] = field(default=(), repr=False, compare=False)  # the clauses shown to the answerer
    debug: dict = field(default_factory=dict, repr=False, compare=False)  # intent, its confidence, answerability, threshold, scope

    @property
    def source_keys(self) -> set[tuple[str, str]]:
        """(doc_id, 'article:N' | kind) of every clause the answerer saw: a citation must be one of these."""
        return {c.article_key for c in self.sources}

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "mode": self.mode,
            "query": self.query,
            "dropped_citations": self.dropped_citations,
            "notice": self.notice,
            "debug": self.debug,
        }
