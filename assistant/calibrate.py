"""`python -m assistant.calibrate SET.jsonl@INDEX_DIR [...]`: fit the answerability model on dev sets.

For every question the real retrieval runs (plan → scope → retrieve) and its evidence is recorded;
a logistic model is fit on answerable (1) vs expect_refusal (0), and the threshold is the one that
minimises errors on the same rows, a false answer counting FALSE_ANSWER_COST (2) false refusals (ties: the threshold nearest 0.5). Writes
assistant/answerability.json unless --dry-run. Only dev sets belong here (eval/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.answerability import MODEL_FILE, AnswerabilityModel, fit
from assistant.api import looks_up
from assistant.metrics import load_questions


def collect(path: str, index_dir: str) -> tuple[list[dict], list[int], list[str]]:
    from assistant import Assistant

    assistant = Assistant.open(index_dir, build_if_missing=False)
    rows, labels, ids = [], [], []
    for q in load_questions([path]):
        history = [tuple(t) for t in q.history]
        plan = assistant.plan(q.question, history)
        scope = assistant.scope(plan, q.filters)
        hits = assistant._retrieve(plan, scope, max(assistant.settings.k, 6))
        if not hits or looks_up(plan):  # lookups are decided by what the lookup found, not by the model
            continue
        rows.append(assistant.evidence(plan, scope, hits, assistant.matcher(plan, scope)))
        labels.append(0 if q.expect_refusal else 1)
        ids.append(q.id)
    assistant.close()
    return rows, labels, ids


FALSE_ANSWER_COST = 2.0


def best_threshold(model: AnswerabilityModel, rows: list[dict], labels: list[int]) -> tuple[float, float]:
    probabilities = [model.probability(r) for r in rows]
    best = (-float("inf"), 0.5)
    for step in range(5, 96):
        t = step / 100
        # A false answer puts unrelated provisions in a memo as if they answered: it costs more than a refusal.
        cost = sum(FALSE_ANSWER_COST if p >= t else 0.0 for p, y in zip(probabilities, labels) if not y) + sum(
            1.0 for p, y in zip(probabilities, labels) if y and p < t)
        accuracy = -cost
        if accuracy > best[0] + 1e-9 or (abs(accuracy - best[0]) <= 1e-9 and abs(t - 0.5) < abs(best[1] - 0.5)):
            best = (accuracy, t)
    t = best[1]
    accuracy = sum((p >= t) == bool(y) for p, y in zip(probabilities, labels)) / len(labels)
    return t, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="QUESTIONS.jsonl@INDEX_DIR (dev sets only)")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    rows, labels = [], []
    for spec in args.sets:
        path, _, index_dir = spec.partition("@")
        if not index_dir:
            parser.error(f"{spec}: give the index as QUESTIONS.jsonl@INDEX_DIR")
        r, y, _ = collect(path, index_dir)
        rows += r
        labels += y
    weights = fit(rows, labels)
    model = AnswerabilityModel(weights, 0.5, fitted_on=", ".join(Path(s.partition("@")[0]).name for s in args.sets))
    threshold, accuracy = best_threshold(model, rows, labels)
    model = AnswerabilityModel(weights, threshold, model.fitted_on)
    print(json.dumps(model.to_dict(), ensure_ascii=False, indent=1))
    print(f"{len(rows)} questions ({labels.count(0)} unanswerable); refusal accuracy on them {accuracy:.3f} at {threshold}")
    if not args.dry_run:
        MODEL_FILE.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
