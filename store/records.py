"""The records the index returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Clause, Document


@dataclass(frozen=True)
class Hit:
    """One retrieved clause, best first; `score` is the fused score in 0..1."""

    clause: Clause
    score: float
    scores: dict[str, float] = field(default_factory=dict, compare=False)  # per retriever, for display


@dataclass(frozen=True)
class DocumentEntry:
    """One indexed document, as `ClauseIndex.documents()` lists it."""

    document: Document
    n_clauses: int
    source_key: str
    n_vectors: int = 0  # 0: keyword-only (no dense vectors)


@dataclass
class SyncReport:
    """What one `ClauseIndex.sync` did. `embedded` counts texts actually run through the model."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped: int = 0  # items given as None (the caller could not parse them)
    embedded: int = 0
    cached: int = 0  # texts whose vectors came from the embedding cache
    clauses: int = 0  # clauses written (added + replaced documents)
    seconds: float = 0.0
    outcomes: list[tuple[str, str, str]] = field(default_factory=list)  # (source_key, outcome, doc_id)

    @property
    def changed(self) -> int:
        return self.added + self.replaced
