"""Which documents get dense vectors when many files are indexed at once (`ingest add --dense`).

Embedding every clause of a large folder with the bundled e5 on a 2-core CPU is the whole cost
of indexing: the 117k clauses of LawRefBook would take hours (docs/benchmarks.md). Keyword
search over them takes minutes. The `auto` policy therefore embeds what the assistant is about
— the people's-congress decisions and resolutions (决定/决议) — and everything in a small batch
(a user's own upload), and indexes the rest of a large batch by keywords only. Keyword-only
documents are still found, cited and answered from; they are just not reachable by meaning
alone. A later `ingest add --dense all` of the same files adds their vectors.
"""

from __future__ import annotations

from collections.abc import Callable

from ingest.records import Document

DENSE_MODES = ("auto", "all", "none")
DECISION_TYPES = ("决定", "决议")
SMALL_BATCH = 20  # files: a batch this small is embedded whole under `auto`


def is_decision(document: Document) -> bool:
    """A decision or resolution (by its title's document type: …的决定 / …的决议)."""
    return (document.doc_type or "") in DECISION_TYPES


def dense_policy(mode: str, n_files: int) -> bool | Callable[[Document], bool]:
    """The `dense=` argument of `ClauseIndex.sync` / `sync_paths` for a batch of `n_files` files."""
    if mode == "all":
        return True
    if mode == "none":
        return False
    if mode != "auto":
        raise ValueError(f"unknown dense mode {mode!r}: use {', '.join(DENSE_MODES)}")
    return True if n_files <= SMALL_BATCH else is_decision
