"""Min-max weighted blend of keyword and dense scores, at article level.

Measured on the seeds (issue 3): 0.5·minmax(BM25) + 0.5·minmax(e5) beat RRF (one wrong dense
ranking pushed an exact BM25 hit from 1 to 12). A clause whose document has no vectors is scored
on keywords alone (its dense weight is given to BM25) rather than punished with a zero.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fused:
    clause_id: str
    score: float
    bm25: float  # raw BM25
    dense: float | None  # raw cosine similarity; None when the clause has no vector
    bm25_norm: float
    dense_norm: float | None


def minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    if hi - lo <= 1e-12:
        return {k: (1.0 if hi > 0 else 0.0) for k in values}
    return {k: (v - lo) / (hi - lo) for k, v in values.items()}


def fuse(bm25: dict[str, float], dense: dict[str, float], *, bm25_weight: float, dense_weight: float) -> list[Fused]:
    """All candidates (union of keys), best first. `dense` lacks clauses that have no vector."""
    total = bm25_weight + dense_weight
    if total <= 0:
        raise ValueError("bm25_weight + dense_weight must be > 0")
    wb, wd = bm25_weight / total, dense_weight / total
    nb, nd = minmax(bm25), minmax(dense)
    fused = []
    for cid in bm25.keys() | dense.keys():
        b = nb.get(cid, 0.0)
        if cid in nd:
            score = wb * b + wd * nd[cid]
        else:
            score = b if wb > 0 else 0.0
        fused.append(Fused(cid, score, bm25.get(cid, 0.0), dense.get(cid), b, nd.get(cid)))
    fused.sort(key=lambda f: (-f.score, -f.bm25, f.clause_id))
    return fused
