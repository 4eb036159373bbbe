"""Warm retrieval latency of `ClauseIndex.search` (p50/p95/max, ms), a command rather than a timed test.

    .venv/bin/python bench/retrieval_latency.py                       # throwaway index of the seeds
    .venv/bin/python bench/retrieval_latency.py --index-dir DIR --rounds 5 --json out.json

Every measured query is embedded afresh (the query-vector cache is cleared before each call),
after a warm-up pass that loads the model, Chroma and the keyword index. Figures per stage:
query embedding alone, keyword-only search, hybrid search with the query vector cached (all but the
model), full hybrid search, hybrid with a region filter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "公安机关需配合哪些事项", "警察要配合检察院做什么", "审判机关应当如何配合检察机关的法律监督",
    "未成年人检察工作有哪些要求", "民营企业和企业家权益怎么保护", "公益诉讼检察工作要怎么开展",
    "数字检察建设有什么规定", "人大常委会如何监督检察机关", "检察官的工资标准是多少",
    "西藏的决定从什么时候开始施行", "虚假诉讼怎么监督", "监狱和看守所要向检察机关通报什么",
    "生态环境保护方面检察机关做什么", "有关单位不配合检察机关调查怎么办", "检察建议应当遵循什么原则",
    "司法行政机关要提供减刑假释信息吗", "枫桥经验和信访矛盾化解", "黄河流域水资源保护",
    "检察侦查针对哪些犯罪", "行政检察工作怎么做",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(fn, rounds: int) -> dict:
    times = []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            fn(question)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2),
            "max_ms": round(max(times), 2), "n": len(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, help="an existing index (default: a throwaway seed index)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from store import ClauseIndex
    from store.embeddings import embed_query

    with tempfile.TemporaryDirectory() as tmp:
        if args.index_dir:
            index = ClauseIndex.open(args.index_dir, embedding_model=None, create=False)
        else:
            sys.path.insert(0, str(ROOT / "bench"))
            from retrieval_quality import build_seed_index

            index = build_seed_index(Path(tmp) / "index")
        with index:
            for question in QUESTIONS:  # warm-up: model, Chroma, keyword index, page cache
                index.search(question, k=args.k)
            region = sorted({e.document.region for e in index.documents()})[:1]

            def hybrid(q, filters=None):
                index.clear_query_cache()
                index.search(q, k=args.k, filters=filters)

            results = {
                "query_embedding": measure(lambda q: embed_query(index.embeddings, q), args.rounds),
                "keyword_only": measure(lambda q: index.search(q, k=args.k, dense_weight=0), args.rounds),
                "hybrid_vector_cached": measure(lambda q: index.search(q, k=args.k), args.rounds),
                "hybrid": measure(hybrid, args.rounds),
                "hybrid_region_filter": measure(lambda q: hybrid(q, {"region": region}), args.rounds),
            }
            stats = index.stats()
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "python": platform.python_version()}
    try:
        model_line = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line)
        machine["cpu"] = model_line.split(":", 1)[1].strip()
    except (OSError, StopIteration):
        pass
    print(f"machine: {machine['cpu']}, {machine['cores']} cores; index: {stats['documents']} documents, "
          f"{stats['clauses']} clauses, {stats['vectors']} vectors ({stats['embedding_model']}); k={args.k}")
    print(f"{'stage':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'n':>6}")
    for name, r in results.items():
        print(f"{name:<22}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['max_ms']:>9.2f}{r['n']:>6}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "index": stats, "results": results}, indent=2),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
