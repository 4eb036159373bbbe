"""`python -m assistant.evaluate QUESTIONS.jsonl [...]`: score the real `Assistant` on question sets.

Each question goes through `Assistant.ask` (history and filters included), then through
`Assistant.retrieve` for the retrieval metrics (with the rewritten query `Answer.query` when the
question has history, the raw question otherwise). Metric definitions live in `assistant.metrics`
and eval/README.md.

Writes OUT/metrics.json, OUT/report.md (every miss), OUT/results.jsonl (one line per question)
and OUT/per_type.png; prints a table on stdout and a progress bar on stderr.

Exit status: 0; 1 when a --fail-under floor fails or a question raised an error; 2 on bad
arguments, unreadable question files or an index that cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from assistant.metrics import (
    METRIC_KEYS,
    RECALL_KS,
    Outcome,
    Question,
    QuestionSetError,
    Unit,
    aggregate,
    check_floors,
    deltas,
    wrong_document_citations,
    is_miss,
    load_questions,
    parse_floors,
    score_question,
)
from assistant.settings import PROJECT_ROOT

# eval/out/ of the checkout; from an installed package, eval/out/ under the current directory.
DEFAULT_OUT_ROOT = (PROJECT_ROOT if (PROJECT_ROOT / "eval").is_dir() else Path(".")) / "eval" / "out"

PLOT_KEYS = ("recall@5", "mrr", "citation_precision", "citation_recall", "refusal_accuracy", "must_include")


# --------------------------------------------------------------------------- running


def ask_kwargs(question: Question, with_history: bool = True) -> dict:
    """history/filters arguments for Assistant.ask/retrieve, as the question set gives them."""
    kwargs: dict = {}
    if with_history and question.history:
        kwargs["history"] = [tuple(t) for t in question.history]
    if question.filters:
        kwargs["filters"] = question.filters
    return kwargs


def shown_keys(answer: object) -> set[tuple[str, str]] | None:
    """The (doc_id, unit) keys the answerer was shown, when the Answer says so itself."""
    keys = getattr(answer, "source_keys", None)
    if keys is not None:
        return {tuple(k) for k in keys}
    sources = getattr(answer, "sources", None)
    if sources is not None:
        return {Unit.of(s).key for s in sources}
    return None


def run_one(assistant: object, question: Question, k: int, answer_k: int) -> Outcome:
    """Ask, then retrieve; never raises (an exception becomes `Outcome.error`)."""
    depth = max(k, max(RECALL_KS))
    outcome = Outcome()
    try:
        start = time.perf_counter()
        answer = assistant.ask(question.question, **ask_kwargs(question, with_history=True))
        outcome.latency_ms = (time.perf_counter() - start) * 1000
        answered_query = getattr(answer, "query", "") or question.question
        query = answered_query if question.history else question.question
        hits = assistant.retrieve(query, k=depth, **ask_kwargs(question, with_history=False))
        outcome.query = answered_query
        outcome.retrieved = [Unit.of(h) for h in hits]
        outcome.cited = [Unit.of(c) for c in answer.citations]
        outcome.refused = bool(answer.refused)
        outcome.text = answer.text or ""
        shown = shown_keys(answer)
        if shown is None:
            if query == answered_query and answer_k == depth:
                shown = {u.key for u in outcome.retrieved}
            else:
                shown_hits = assistant.retrieve(answered_query, k=answer_k, **ask_kwargs(question, with_history=False))
                shown = {Unit.of(h).key for h in shown_hits}
        outcome.invalid_citations = sum(1 for u in outcome.cited if u.key not in shown)
        outcome.debug = dict(getattr(answer, "debug", None) or {})
        outcome.wrong_document_citations = wrong_document_citations(
            outcome.text, list(answer.citations), list(getattr(answer, "sources", ()) or ()))
    except Exception as exc:  # noqa: BLE001 - one bad question must not end the run; it is reported
        outcome.error = f"{type(exc).__name__}: {exc}"
    return outcome


def run_questions(
    assistant: object, questions: Sequence[Question], k: int = 5, answer_k: int | None = None, progress: bool = True
) -> list[tuple[Question, Outcome]]:
    if answer_k is None:
        answer_k = getattr(getattr(assistant, "settings", None), "k", None) or 5
    from tqdm import tqdm

    try:  # load the embedding model, the index and jieba before the clock starts on the first question
        assistant.retrieve("检察机关法律监督", k=1)
        assistant.matcher(assistant.plan("公安机关需配合哪些事项"))
    except Exception:  # noqa: BLE001 - a broken index shows up as per-question errors below
        pass
    results = []
    for question in tqdm(questions, desc="evaluating", unit="q", file=sys.stderr, disable=not progress):
        results.append((question, run_one(assistant, question, k, answer_k)))
    return results


def score_all(results: Sequence[tuple[Question, Outcome]], k: int = 5) -> tuple[dict, list[tuple[Question, dict]]]:
    ks = tuple(sorted(set(RECALL_KS) | {k}))
    rows = [(q, score_question(q, o, ks)) for q, o in results]
    return aggregate(rows, ks), rows


# --------------------------------------------------------------------------- formatting


def fmt(key: str, value: object) -> str:
    if value is None:
        return "–"
    if key.startswith("latency"):
        return f"{value:.0f}"
    if key in ("invalid_citations", "wrong_document_citations", "n_questions", "n_answerable", "errors"):
        return str(int(value))
    return f"{value:.3f}"


def metrics_table(metrics: dict, k: int = 5) -> str:
    """Metrics as rows, overall and each question type as columns."""
    types = list(metrics.get("per_type", {}))
    columns = [("overall", metrics)] + [(t, metrics["per_type"][t]) for t in types]
    keys = [key for key in METRIC_KEYS if key in metrics]
    extra = f"recall@{k}"
    if extra in metrics and extra not in keys:
        keys.insert(keys.index("mrr"), extra)
    width = max(len(k) for k in keys) + 2
    cells = [[fmt(key, block.get(key)) for _, block in columns] for key in keys]
    colw = [max(len(name), *(len(row[i]) for row in cells)) + 2 for i, (name, _) in enumerate(columns)]
    lines = ["".ljust(width) + "".join(name.rjust(w) for (name, _), w in zip(columns, colw, strict=True))]
    for key, row in zip(keys, cells, strict=True):
        lines.append(key.ljust(width) + "".join(v.rjust(w) for v, w in zip(row, colw, strict=True)))
    return "\n".join(lines)


def markdown_table(metrics: dict, k: int = 5) -> str:
    types = list(metrics.get("per_type", {}))
    keys = [key for key in METRIC_KEYS if key in metrics]
    if f"recall@{k}" in metrics and f"recall@{k}" not in keys:
        keys.insert(keys.index("mrr"), f"recall@{k}")
    lines = ["| metric | overall | " + " | ".join(types) + " |", "|---" * (len(types) + 2) + "|"]
    for key in keys:
        row = [fmt(key, metrics.get(key))] + [fmt(key, metrics["per_type"][t].get(key)) for t in types]
        lines.append(f"| {key} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def deltas_table(old: dict, new: dict, markdown: bool = False) -> str:
    rows = [r for r in deltas(old, new) if not r[0].startswith("per_type.") or (r[3] is not None and abs(r[3]) > 1e-9)]
    if markdown:
        lines = ["| metric | old | new | Δ |", "|---|---|---|---|"]
    else:
        width = max([len(r[0]) for r in rows] + [6]) + 2
        lines = ["metric".ljust(width) + "old".rjust(10) + "new".rjust(10) + "Δ".rjust(10)]
    for key, a, b, d in rows:
        metric = key.rsplit(".", 1)[-1]
        delta = "–" if d is None else ("+" if d > 0 else "") + fmt(metric, d)
        if markdown:
            lines.append(f"| {key} | {fmt(metric, a)} | {fmt(metric, b)} | {delta} |")
        else:
            lines.append(key.ljust(width) + fmt(metric, a).rjust(10) + fmt(metric, b).rjust(10) + delta.rjust(10))
    return "\n".join(lines)


def _marks(units: Sequence[Unit], question: Question) -> str:
    """Labels marked ✓ gold, ○ also (relevant, not required), ✗ neither."""
    if not units:
        return "（无）"

    def mark(u: Unit) -> str:
        if any(r.matches(u) for r in question.gold):
            return "✓"
        return "○" if any(r.matches(u) for r in question.also) else "✗"

    return "、".join(mark(u) + u.display for u in units)


def miss_lines(question: Question, outcome: Outcome, scores: dict, k: int) -> list[str]:
    lines = [f"### {question.id} · {question.type}", "", f"- **问题**：{question.question}"]
    for q, a in question.history:
        lines.append(f"- **历史**：{q}" + (f" → {a[:80]}…" if a else ""))
    if question.filters:
        lines.append(f"- **filters**：`{json.dumps(question.filters, ensure_ascii=False)}`")
    if outcome.query and outcome.query != question.question:
        lines.append(f"- **检索用语**：{outcome.query}")
    if outcome.error:
        lines.append(f"- **错误**：`{outcome.error}`")
    lines.append("- **gold**：" + ("、".join(r.label for r in question.gold) or "（无，应拒答）"))
    if question.also:
        lines.append("- **also**：" + "、".join(r.label for r in question.also))
    rk = scores.get(f"recall@{k}")
    lines.append(
        f"- **检索 top-{k}**（recall@{k} {fmt('r', rk)}，MRR {fmt('r', scores['mrr'])}）："
        + _marks(outcome.retrieved[:k], question)
    )
    missing_gold = [r.label for r in question.gold if not any(r.matches(u) for u in outcome.retrieved[:k])]
    if missing_gold:
        lines.append("- **未检索到的 gold**：" + "、".join(missing_gold))
    lines.append(
        f"- **引用**（precision {fmt('p', scores['citation_precision'])}，recall {fmt('r', scores['citation_recall'])}）："
        + _marks(outcome.cited, question)
    )
    uncited = [r.label for r in question.gold if not any(r.matches(u) for u in outcome.cited)]
    if uncited and not question.expect_refusal:
        lines.append("- **未引用的 gold**：" + "、".join(uncited))
    if outcome.wrong_document_citations:
        lines.append(f"- **错引文件**：{outcome.wrong_document_citations}（引文出自另一部文件，却标注了这部文件的条文）")
    if outcome.invalid_citations:
        lines.append(f"- **无效引用**：{outcome.invalid_citations}（引用的条文不在提供给回答者的检索结果中）")
    decided = outcome.debug or {}
    if decided.get("intent"):
        lines.append(f"- **判断**：意图 {decided['intent']}（置信 {decided.get('intent_confidence', 0):.2f}），"
                     f"可答概率 {decided.get('answerability', 0):.2f} / 阈值 {decided.get('threshold', 0):.2f}")
    if not scores["refusal_ok"]:
        expected = "拒答" if question.expect_refusal else "作答"
        got = "拒答" if outcome.refused else "作答"
        lines.append(f"- **拒答不符**：应{expected}，实际{got}")
    if scores["missing_must_include"]:
        lines.append("- **答案缺少**：" + "、".join(f"「{s}」" for s in scores["missing_must_include"]))
    text = outcome.text.strip().replace("\n", " ")
    if text:
        lines.append(f"- **答案摘录**：{text[:240]}{'…' if len(text) > 240 else ''}")
    return lines + [""]


def write_report(
    path: Path,
    metrics: dict,
    results: Sequence[tuple[Question, Outcome]],
    rows: Sequence[tuple[Question, dict]],
    run_info: dict,
    k: int,
    old: dict | None = None,
    failures: Sequence[str] = (),
) -> int:
    misses = [(q, o, s) for (q, o), (_, s) in zip(results, rows, strict=True) if is_miss(q, s, k)]
    lines = [
        "# Evaluation report",
        "",
        f"- questions: {', '.join(run_info['question_files'])} ({metrics['n_questions']})",
        f"- index: {run_info['index']}",
        f"- mode: {run_info['mode']} · k = {k} · {run_info['finished']}",
        f"- command: `{run_info['command']}`",
        "",
        "## Metrics",
        "",
        markdown_table(metrics, k),
        "",
    ]
    if failures:
        lines += ["## Failed floors", ""] + [f"- {f}" for f in failures] + [""]
    if old is not None:
        lines += ["## Compared with " + run_info.get("compare", "old run"), "", deltas_table(old, metrics, True), ""]
    lines += [
        f"## Misses ({len(misses)} of {len(results)})",
        "",
        "Marks: ✓ gold · ○ also (relevant, not required) · ✗ neither.",
        "",
    ]
    if not misses:
        lines.append("None.")
    for q, o, s in misses:
        lines += miss_lines(q, o, s, k)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(misses)


def write_results(path: Path, results: Sequence[tuple[Question, Outcome]], rows: Sequence[tuple[Question, dict]]):
    with path.open("w", encoding="utf-8") as fh:
        for (q, o), (_, s) in zip(results, rows, strict=True):
            record = {
                "id": q.id,
                "type": q.type,
                "question": q.question,
                "query": o.query,
                "retrieved": [u.display for u in o.retrieved],
                "cited": [u.display for u in o.cited],
                "refused": o.refused,
                "expect_refusal": q.expect_refusal,
                "answer": o.text,
                "decision": o.debug,
                **{key: value for key, value in s.items()},
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def plot_per_type(path: Path, metrics: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = list(metrics.get("per_type", {}))
    groups = ["overall"] + types
    blocks = [metrics] + [metrics["per_type"][t] for t in types]
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(groups)), 4.5))
    width = 0.8 / len(PLOT_KEYS)
    for i, key in enumerate(PLOT_KEYS):
        values = [b.get(key) for b in blocks]
        xs = [g + (i - (len(PLOT_KEYS) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(
            [x for x, v in zip(xs, values, strict=True) if v is not None],
            [v for v in values if v is not None],
            width,
            label=key,
        )
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{g}\n(n={b['n_questions']})" for g, b in zip(groups, blocks, strict=True)], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Evaluation by question type")
    ax.legend(fontsize=7, ncol=len(PLOT_KEYS), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.evaluate",
        description="Score the assistant on JSONL question sets (retrieval, citations, refusals, latency).",
    )
    parser.add_argument("questions", nargs="+", type=Path, help="question files (JSONL, see eval/README.md)")
    parser.add_argument("--index-dir", type=Path, help="index to evaluate (default: the configured index)")
    parser.add_argument(
        "--corpus",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="build a temporary index from the bundled corpus plus these files/folders (not with --index-dir)",
    )
    parser.add_argument("--out", type=Path, help="output folder (default: eval/out/<timestamp>)")
    parser.add_argument("--k", type=int, default=5, help="retrieval depth scored (recall@1/3/5 always; default 5)")
    parser.add_argument("--mode", choices=("extractive", "llm"), help="answerer (default: settings/env)")
    parser.add_argument("--compare", type=Path, metavar="OLD", help="an earlier metrics.json (or its folder)")
    parser.add_argument(
        "--fail-under",
        metavar="FLOORS",
        help="e.g. recall@5=0.95,citation_precision=0.9,invalid_citations=0,per_type.exact.recall@1=0.9; "
        "exit 1 when a metric is below its floor (above it for counts and latencies)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def open_assistant(args: argparse.Namespace, tmpdir: Path | None):
    from assistant import Assistant
    from assistant.settings import Settings

    overrides = {"answer_mode": args.mode, "index_dir": args.index_dir}
    settings = Settings.from_env(**overrides)
    if tmpdir is not None:
        settings = replace(settings, index_dir=tmpdir / "index")
    assistant = Assistant.open(index_dir=settings.index_dir, settings=settings)
    if args.corpus:
        report = assistant.add_paths([str(p) for p in args.corpus])
        errors = getattr(report, "errors", None) or []
        if errors:
            assistant.close()
            raise ValueError("--corpus: " + "; ".join(reason for _, reason in errors))
    return assistant, settings


def _resolved_mode(mode: str, settings) -> str:
    if mode == "auto":
        return "auto → " + ("llm" if getattr(settings, "llm_configured", False) else "extractive")
    return mode


def _load_old(path: Path) -> dict:
    if path.is_dir():
        path = path / "metrics.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"--compare: cannot read {path} ({exc})") from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.k < 1:
            raise ValueError("--k must be at least 1")
        if args.corpus and args.index_dir:
            raise ValueError("--corpus builds its own temporary index; do not combine it with --index-dir")
        for path in args.corpus or ():
            if not path.exists():
                raise ValueError(f"--corpus: {path} does not exist")
        questions = load_questions(args.questions)
        floors = parse_floors(args.fail_under) if args.fail_under else []
        old = _load_old(args.compare) if args.compare else None
    except (QuestionSetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    tmpdir = Path(tempfile.mkdtemp(prefix="jueding-eval-")) if args.corpus else None
    try:
        try:
            assistant, settings = open_assistant(args, tmpdir)
        except Exception as exc:  # noqa: BLE001 - AssistantError/StoreError carry the fix-it message
            print(f"error: cannot open the assistant: {exc}", file=sys.stderr)
            return 2
        results = run_questions(assistant, questions, k=args.k, answer_k=settings.k, progress=not args.quiet)
        closer = getattr(assistant, "close", None)
        if callable(closer):
            closer()
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)

    metrics, rows = score_all(results, args.k)
    index_label = (
        f"temporary: bundled corpus + {', '.join(map(str, args.corpus))}" if args.corpus else str(settings.index_dir)
    )
    finished = datetime.now()
    run_info = {
        "question_files": [str(p) for p in args.questions],
        "index": index_label,
        "mode": _resolved_mode(args.mode or settings.answer_mode, settings),
        "k": args.k,
        "answer_k": settings.k,
        "finished": finished.isoformat(timespec="seconds"),
        "command": "python -m assistant.evaluate " + " ".join(sys.argv[1:] if argv is None else argv),
    }
    if args.compare:
        run_info["compare"] = str(args.compare)
    metrics["run"] = run_info
    failures = check_floors(metrics, floors)
    if metrics["errors"]:
        failures.append(f"{metrics['errors']} question(s) raised an error (see report.md)")

    out = args.out or DEFAULT_OUT_ROOT / finished.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_results(out / "results.jsonl", results, rows)
    n_misses = write_report(out / "report.md", metrics, results, rows, run_info, args.k, old, failures)
    plot_per_type(out / "per_type.png", metrics)

    print(f"{metrics['n_questions']} questions from {', '.join(run_info['question_files'])}")
    print(f"index: {index_label} · mode: {run_info['mode']} · k = {args.k}")
    print()
    print(metrics_table(metrics, args.k))
    if old is not None:
        print()
        print(f"compared with {args.compare}:")
        print(deltas_table(old, metrics))
    print()
    print(f"{n_misses} misses listed in {out / 'report.md'}; metrics in {out / 'metrics.json'}")
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
