"""Typed records produced by ingest: a parsed `Document` and its ordered `Clause`s.

A `Clause` is one citable unit: a whole article (条) with its paragraphs (款) kept in
`paragraphs`, or the preamble, the adoption note (题注) or the closing text. A narrower
citation (第十六条第三款) is the same clause viewed through `Clause.paragraph_view(3)`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date

from ingest.numerals import to_chinese_numeral

KINDS = ("article", "preamble", "note", "closing")

KIND_LABELS = {"preamble": "序言", "note": "题注", "closing": "施行条款"}


@dataclass(frozen=True)
class Heading:
    """A part/chapter/section heading (一、… above articles; 第一章 …; 第一节 …)."""

    text: str
    level: int  # 1 = part or chapter, 2 = section
    ordinal: int  # position among the document's blocks (headings and clauses)


@dataclass(frozen=True)
class Clause:
    doc_id: str
    doc_title: str
    region: str
    kind: str
    article: int | None
    paragraph: int | None
    part: str | None
    label: str
    text: str
    ordinal: int = 0
    section: str | None = None
    paragraphs: tuple[str, ...] = ()

    @property
    def clause_id(self) -> str:
        """Stable id: the document's content hash plus the clause's place in it."""
        suffix = f"p{self.paragraph}" if self.paragraph else ""
        return f"{self.doc_id}:{self.ordinal:04d}{suffix}"

    @property
    def article_key(self) -> tuple[str, str]:
        """(doc_id, 'article:16' | 'closing' | …): the unit retrieval metrics count."""
        unit = f"article:{self.article}" if self.kind == "article" else self.kind
        return (self.doc_id, unit)

    def paragraph_view(self, n: int) -> Clause:
        """This clause narrowed to paragraph (款) `n`, 1-based."""
        if self.paragraph is not None:
            if n != self.paragraph:
                raise ValueError(f"{self.label} is already narrowed to paragraph {self.paragraph}")
            return self
        if not 1 <= n <= len(self.paragraphs):
            raise ValueError(f"{self.label} has {len(self.paragraphs)} paragraphs, not {n}")
        if len(self.paragraphs) == 1:
            return self
        return replace(
            self,
            paragraph=n,
            label=f"{self.label}第{to_chinese_numeral(n)}款" if self.kind == "article" else self.label,
            text=self.paragraphs[n - 1],
            paragraphs=(self.paragraphs[n - 1],),
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["paragraphs"] = list(self.paragraphs)
        data["clause_id"] = self.clause_id
        return data


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    region: str
    authority: str | None = None
    doc_type: str | None = None  # 决定, 决议, 条例, 法, 规定, …
    adoption_date: date | None = None
    meeting: str | None = None
    publication_date: date | None = None
    effective_date: date | None = None
    effective_on_publication: bool = False
    status: str | None = None
    source_url: str | None = None
    repeals: tuple[str, ...] = ()
    content_hash: str = ""
    source_path: str | None = None
    source_format: str | None = None
    encoding: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("adoption_date", "publication_date", "effective_date"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        data["repeals"] = list(self.repeals)
        data["warnings"] = list(self.warnings)
        return data


@dataclass(frozen=True)
class ParsedDocument:
    """What the parser returns: metadata, clauses in order, and the headings between them."""

    document: Document
    clauses: tuple[Clause, ...]
    headings: tuple[Heading, ...] = ()
    body: str = ""  # the cleaned body every clause and heading was cut from
    dropped_lines: tuple[str, ...] = ()  # page chrome removed before the body (navigation, 分享到, 打印 …)

    def reassemble(self) -> str:
        """Headings and clause texts in document order, joined as the body was."""
        blocks = sorted(
            [(h.ordinal, h.text) for h in self.headings] + [(c.ordinal, c.text) for c in self.clauses]
        )
        return "\n".join(text for _, text in blocks)

    def articles(self) -> list[Clause]:
        return [c for c in self.clauses if c.kind == "article"]


def cite_label(kind: str, article: int | None, paragraph: int | None = None) -> str:
    """How a lawyer cites the unit: 第十六条, 第十六条第三款, 序言, 题注, 施行条款."""
    if kind != "article":
        return KIND_LABELS[kind]
    label = f"第{to_chinese_numeral(article)}条"
    if paragraph:
        label += f"第{to_chinese_numeral(paragraph)}款"
    return label
