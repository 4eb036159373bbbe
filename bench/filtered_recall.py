"""Recall@5 of a question set with every question restricted to given regions (a user's 限定地区 filter).

    python bench/filtered_recall.py --index-dir DIR eval/seeds_test.jsonl --region 西藏自治区 --region 呼和浩特市

Complements `python -m assistant.evaluate` (which applies only the filters a question implies) when an index
holds many other documents: it reads the seed questions the way a user who has chosen the two decisions would.
"""

from __future__ import annotations

import argparse
import statistics

from assistant import Assistant
from assistant.metrics import Unit, load_questions, recall_at, reciprocal_rank


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", nargs="+")
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--region", action="append", required=True)
    ap.add_argument("--k", type=int, default=5)
    args = ap.parse_args()
    recalls, rrs = [], []
    with Assistant.open(index_dir=args.index_dir, build_if_missing=False) as assistant:
        for q in load_questions(args.questions):
            if not q.answerable:
                continue
            plan = assistant.plan(q.question, [tuple(h) for h in q.history])
            hits = assistant.retrieve(plan.query, k=args.k, filters={"region": args.region})
            units = [Unit.of(h.clause) for h in hits]
            recalls.append(recall_at(q.gold, units, args.k))
            rrs.append(reciprocal_rank(q.gold, units))
    print(f"regions {args.region}: n={len(recalls)} recall@{args.k} {statistics.mean(recalls):.3f} "
          f"mrr {statistics.mean(rrs):.3f}")


if __name__ == "__main__":
    main()
