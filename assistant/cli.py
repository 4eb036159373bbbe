"""`jueding-qa`: one console script for the app, questions, the library and evaluation.

    jueding-qa serve [--host H] [--port P] [--index-dir DIR] [--share]    # the web chat (app.py)
    jueding-qa ask "公安机关需配合哪些事项" [--index-dir DIR] [--mode extractive|llm|auto] [--region R] [--json]
    jueding-qa ingest parse|add|list|remove ...                         # = python -m ingest ...
    jueding-qa evaluate QUESTIONS.jsonl ...                             # = python -m assistant.evaluate ...

`python -m assistant ...` is the same command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from assistant import __version__

USAGE = "jueding-qa {serve,ask,ingest,evaluate} ..."
COMMANDS = {
    "serve": "the web chat (python app.py)",
    "ask": "answer one question with citations",
    "ingest": "parse files, add them to or remove them from the library (python -m ingest)",
    "evaluate": "score a question set (python -m assistant.evaluate)",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: {USAGE}\n\n决定问答 {__version__}: cited answers over people's-congress decisions\n")
        for name, text in COMMANDS.items():
            print(f"  {name:<9} {text}")
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"jueding-qa {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    from assistant.settings import SettingsError

    try:
        if command == "serve":
            import app

            app.main(rest)
            return 0
        if command == "ingest":
            from ingest.cli import main as ingest_main

            return ingest_main(rest)
        if command == "evaluate":
            from assistant.evaluate import main as evaluate_main

            return evaluate_main(rest)
        if command == "ask":
            return ask(rest)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"error: unknown command {command!r}; usage: {USAGE}", file=sys.stderr)
    return 2


def ask(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="jueding-qa ask", description="Answer one question with verified citations.")
    parser.add_argument("question")
    parser.add_argument("--index-dir", default=None, help="index directory (default: JUEDING_INDEX_DIR or the data dir)")
    parser.add_argument("--mode", choices=("auto", "extractive", "llm"), default=None)
    parser.add_argument("--k", type=int, default=None, help="clauses retrieved")
    parser.add_argument("--region", action="append", help="only decisions of this region (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the Answer as JSON (text, refused, citations…)")
    args = parser.parse_args(argv)

    from assistant.api import Assistant
    from assistant.errors import ProjectError
    from assistant.records import Answer

    filters = {"region": args.region} if args.region else None
    try:
        with Assistant.open(args.index_dir) as assistant:
            answer = None
            for piece in assistant.stream(args.question, filters=filters, mode=args.mode, k=args.k):
                if isinstance(piece, Answer):
                    answer = piece
                elif not args.json:
                    print(piece, end="", flush=True)
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print()
    return 0


def console_progress(label: str):
    """A progress(done, total, desc="") callback drawing a bar on stderr (index builds)."""
    from tqdm import tqdm

    bar = {}

    def progress(done: int, total: int, desc: str = "") -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=label, unit="项", file=sys.stderr)
        b = bar["bar"]
        b.total = total
        if desc:
            b.set_postfix_str(str(desc)[:40], refresh=False)
        b.n = done
        b.refresh()
        if done >= total:
            b.close()

    return progress


if __name__ == "__main__":
    raise SystemExit(main())
