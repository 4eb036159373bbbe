"""The record the index returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.records import Clause


@dataclass(frozen=True)
class Hit:
    """One retrieved clause, best first; `score` is the fused score in 0..1."""

    clause: Clause
    score: float
    scores: dict[str, float] = field(default_factory=dict, compare=False)  # per retriever, for display
