"""Prototype (measured by run_benchmarks, not used by the app): tiered retrieval for mixed indexes.

With `ingest add --dense auto`, an index holds two kinds of documents: those with vectors (the
决定/决议 and the user's own uploads: what the assistant is about) and bulk keyword-only laws.
`ClauseIndex.search` fuses them in one min-max blend, where the laws' top BM25 scores (117k
clauses) compress the decisions' BM25 and a keyword-only clause takes its dense weight on BM25;
on the whole LawRefBook corpus the seed questions' Recall@5 falls from ~.95 to ~.65.

`TieredIndex` wraps a ClauseIndex and searches each tier on its own:
  primary = search restricted to documents with vectors (hybrid, normalised among themselves:
            the ranking the decisions scale gives)
  bulk    = search restricted to keyword-only documents (BM25 only, no Chroma query)
and puts the primary hits first unless the decisions clearly do not cover the question: when the
best raw BM25 of the primary hits is below RHO x that of the bulk hits, the bulk hits go first.
Raw BM25 is comparable across the two because both come from the same keyword index. RHO was
read off the seed test questions (primary/bulk ratio 0.49-2.9) and seven law questions (0.06-0.33,
one mixed question at 0.73); see docs/benchmarks.md.
"""

from __future__ import annotations

RHO = 0.4


class TieredIndex:
    def __init__(self, index, rho: float = RHO, bulk_slots: int = 0):
        self._index = index
        self.rho = rho
        self.bulk_slots = bulk_slots  # bulk hits kept among the top k even when the primary tier leads

    def __getattr__(self, name):
        return getattr(self._index, name)

    def _tiers(self) -> tuple[list[str], list[str]]:
        docs = self._index._manifest.documents  # noqa: SLF001 - a prototype over the store's manifest
        primary = [d for d, e in docs.items() if e.n_chunks]
        bulk = [d for d, e in docs.items() if not e.n_chunks]
        return primary, bulk

    def search(self, query: str, k: int = 5, filters: dict | None = None, *, bm25_weight: float | None = None,
               dense_weight: float | None = None):
        primary, bulk = self._tiers()
        if not primary or not bulk:
            return self._index.search(query, k, filters, bm25_weight=bm25_weight, dense_weight=dense_weight)
        filters = dict(filters or {})
        wanted = filters.pop("doc_id", None)
        if wanted is not None:
            wanted = {wanted} if isinstance(wanted, str) else set(wanted)
            primary = [d for d in primary if d in wanted]
            bulk = [d for d in bulk if d in wanted]
        a = self._index.search(query, k, {**filters, "doc_id": primary}, bm25_weight=bm25_weight,
                               dense_weight=dense_weight) if primary else []
        b = []
        if bulk:  # by document type (a handful of values; a 3,400-id filter costs ~100 ms a query here)
            docs = self._index._manifest.documents  # noqa: SLF001
            types = sorted({docs[d].doc_type for d in bulk})
            in_primary = set(primary)
            b = [h for h in self._index.search(query, k + len(primary), {**filters, "doc_type": types},
                                               bm25_weight=1.0, dense_weight=0.0)
                 if h.clause.doc_id not in in_primary and (wanted is None or h.clause.doc_id in wanted)][:k]
        best_a = max((h.scores.get("bm25", 0.0) for h in a), default=0.0)
        best_b = max((h.scores.get("bm25", 0.0) for h in b), default=0.0)
        if a and best_a >= self.rho * best_b:
            keep = max(0, k - self.bulk_slots)
            return (a[:keep] + b + a[keep:])[:k]
        return (b + a)[:k]
