"""One e5 call per question: encodes counted and retrieval latency against the e5 call alone and the peer.

    .venv/bin/python bench/question_encodes.py                                   # seeds and decisions
    .venv/bin/python bench/question_encodes.py --scales decisions --index-dir decisions=/work/idx/dec38
    .venv/bin/python bench/question_encodes.py --json bench/results/question_encodes.json

Each scale runs in a fresh process (nothing cached from an earlier run but what the index itself
holds). The process opens the `Assistant`, loads the model with one unrelated text, and then, for
each held-out question (seeds: eval/seeds_test.jsonl; decisions: eval/bank_test.jsonl), in turn:
- ours: `Assistant.retrieve(question, history)` with the query-vector cache cleared first, counting
  every call into the embedding model (query, batched queries, passages) while it runs;
- e5 alone: one `embed_query` of the same standalone question;
- the peer: the LangChain textbook recipe of bench/peer_langchain.py (splitter + BM25 + Chroma with
  the same e5, EnsembleRetriever) over the same files, `invoke(standalone question)`.
The three run one after another per question, so they see the same load on the machine.

Targets (from the issue): encodes per question ≤ 1; ours p95 ≤ e5-alone p95 + 3 ms; ours p95 ≤ 0.8 × peer p95.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUESTIONS = {"seeds": ROOT / "eval" / "seeds_test.jsonl", "decisions": ROOT / "eval" / "bank_test.jsonl"}
WARM_UP = ("预热模型", "检察机关法律监督工作", "人民代表大会常务委员会")  # none is a test question


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _figures(times: list[float]) -> dict:
    return {"p50_ms": round(_percentile(times, 0.5), 2), "p95_ms": round(_percentile(times, 0.95), 2),
            "max_ms": round(max(times), 2), "n": len(times)}


def count_model_calls(embeddings) -> Counter:
    """Wrap the backend's entry points so every call into the model is counted."""
    calls: Counter = Counter()
    for name in ("embed_query_np", "embed_queries_np", "embed_passages_np", "embed_query", "embed_documents"):
        inner = getattr(embeddings, name, None)
        if inner is None:
            continue

        def counted(*args, _inner=inner, _name=name, **kwargs):
            calls[_name] += 1
            return _inner(*args, **kwargs)

        setattr(embeddings, name, counted)
    return calls


def run_scale(scale: str, index_dir: Path | None, peer_cache: Path | None) -> dict:
    """One scale, in this (fresh) process."""
    from assistant import Assistant
    from assistant.metrics import load_questions
    from run_benchmarks import scale_paths
    from store.embeddings import embed_query

    import peer_langchain as peer

    paths = scale_paths(scale)
    with tempfile.TemporaryDirectory() as tmp:
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            build = [sys.executable, "-m", "ingest", "add", *paths, "--index-dir", str(index_dir), "--dense", "all"]
            subprocess.run(build, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        docs, _, _ = peer.load_corpus(paths)
        retriever, _ = peer.build(docs, "all", 10, peer_cache)
        assistant = Assistant.open(index_dir, build_if_missing=False)
        embeddings = assistant.index.embeddings
        embed_query(embeddings, WARM_UP[0])  # the model loads here, before anything is counted
        calls = count_model_calls(embeddings)
        for text in WARM_UP[1:]:
            assistant.retrieve(text)
            retriever.invoke(text)
        warm_up_calls = sum(calls.values())
        questions = load_questions([QUESTIONS[scale]])
        ours, alone, theirs, per_question = [], [], [], Counter()
        for q in questions:
            history = [tuple(h) for h in q.history]
            query = assistant.plan(q.question, history).query
            assistant.index.clear_query_cache()
            before = sum(calls.values())
            started = time.perf_counter()
            assistant.retrieve(q.question, history=history)
            ours.append((time.perf_counter() - started) * 1000)
            per_question[sum(calls.values()) - before] += 1
            started = time.perf_counter()
            embed_query(embeddings, query)
            alone.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            retriever.invoke(query)
            theirs.append((time.perf_counter() - started) * 1000)
        stats = assistant.index.stats()
        assistant.close()
    encodes = sum(n * c for n, c in per_question.items())
    return {"scale": scale, "documents": stats["documents"], "clauses": stats["clauses"], "questions": len(questions),
            "question_set": QUESTIONS[scale].name, "warm_up_model_calls": warm_up_calls,
            "model_calls": encodes, "model_calls_per_question": dict(sorted(per_question.items())),
            "ours": _figures(ours), "e5_alone": _figures(alone), "peer": _figures(theirs)}


def verdicts(r: dict) -> dict[str, bool]:
    return {"≤ 1 encode per question": max(map(int, r["model_calls_per_question"])) <= 1,
            "p95 ≤ e5 p95 + 3 ms": r["ours"]["p95_ms"] <= r["e5_alone"]["p95_ms"] + 3.0,
            "p95 ≤ 0.8 × peer p95": r["ours"]["p95_ms"] <= 0.8 * r["peer"]["p95_ms"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="seeds,decisions", help="comma list of seeds,decisions")
    parser.add_argument("--index-dir", action="append", default=[], metavar="SCALE=DIR",
                        help="reuse an index built with --dense all (default: a throwaway one per scale)")
    parser.add_argument("--peer-cache", type=Path, help="SQLite cache of the peer's chunk vectors")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    dirs = dict(item.split("=", 1) for item in args.index_dir)
    if args.worker:
        index_dir = Path(dirs[args.worker]) if args.worker in dirs else None
        print(json.dumps(run_scale(args.worker, index_dir, args.peer_cache), ensure_ascii=False))
        return 0
    results = []
    for scale in args.scales.split(","):
        cmd = [sys.executable, __file__, "--worker", scale, *[f"--index-dir={d}" for d in args.index_dir]]
        if args.peer_cache:
            cmd += ["--peer-cache", str(args.peer_cache)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'scale':<10}{'docs':>5}{'qs':>5}{'encodes':>9}  {'ours p50/p95':>14}  {'e5 alone':>13}  {'peer':>13}")
    for r in results:
        pair = lambda f: f"{f['p50_ms']:.1f}/{f['p95_ms']:.1f}"  # noqa: E731
        print(f"{r['scale']:<10}{r['documents']:>5}{r['questions']:>5}{r['model_calls']:>9}  {pair(r['ours']):>14}  "
              f"{pair(r['e5_alone']):>13}  {pair(r['peer']):>13}")
        for name, ok in verdicts(r).items():
            print(f"    {'PASS' if ok else 'FAIL'}  {name}")
        r["verdicts"] = verdicts(r)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if all(all(r["verdicts"].values()) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
