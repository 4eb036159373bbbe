"""Parse-quality report over the decision-like files: every LawRefBook file whose name holds
决定/决议/规定/办法, plus the two seeds (../shared/seeds).

    PYTHONPATH=. python scripts/parse_report.py [--corpus DIR] [--seeds DIR] [--names 决定,决议]
                                                [--flagged-only] [--json OUT.json]

Per file: articles found, whether their numbers run 1..n, the longest clause, the clause kinds.
Flags: a clause over 3,000 characters; a 序言 over 50 % of the text; a closing clause that is not
the last clause or that holds lines numbered like the document's articles; no article at all.
Totals at the end: files, flagged files (per flag), files whose whole text is one 序言, longest clause.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from ingest import discover_files, parse_file
from ingest.errors import IngestError
from ingest.numerals import NUMERAL_CHARS

SHARED = Path(__file__).resolve().parents[2] / "shared"
NAMES = ("决定", "决议", "规定", "办法")
LONG_CLAUSE = 3000
PREAMBLE_SHARE = 0.5
NUMBERED_LINE = re.compile(rf"^(第[{NUMERAL_CHARS}0-9]+条|[{NUMERAL_CHARS}]+、|\d{{1,3}}[.．、](?!\d))")


def report_file(path: Path) -> dict:
    parsed = parse_file(path)
    clauses = parsed.clauses
    numbers = [c.article for c in clauses if c.kind == "article"]
    distinct = list(dict.fromkeys(numbers))
    body_len = max(1, len(parsed.body))
    longest = max(clauses, key=lambda c: len(c.text)) if clauses else None
    preamble_len = sum(len(c.text) for c in clauses if c.kind == "preamble")
    closings = [i for i, c in enumerate(clauses) if c.kind == "closing"]
    flags = []
    if longest is not None and len(longest.text) > LONG_CLAUSE:
        flags.append("long-clause")
    if preamble_len / body_len > PREAMBLE_SHARE:
        flags.append("preamble>50%")
    # an annex (附件) after the last article may number its own lines; the 施行条款 may not
    if closings and (closings[-1] != len(clauses) - 1 or any(
            NUMBERED_LINE.match(line) for i in closings if clauses[i].label != "附件"
            for line in clauses[i].text.split("\n")[1:])):
        flags.append("closing-not-last")
    if not numbers:
        flags.append("no-articles")
    return {
        "articles": len(numbers),
        "regular": distinct == list(range(1, len(distinct) + 1)) and len(distinct) == len(numbers),
        "longest": len(longest.text) if longest else 0,
        "longest_label": longest.label if longest else "",
        "kinds": dict(Counter(c.kind for c in clauses)),
        "whole_preamble": not numbers and preamble_len / body_len > 0.9,
        "flags": flags,
        "warnings": list(parsed.document.warnings),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(SHARED / "corpora" / "lawrefbook"))
    ap.add_argument("--seeds", default=str(SHARED / "seeds"))
    ap.add_argument("--names", default=",".join(NAMES), help="comma-separated words a file name must hold")
    ap.add_argument("--flagged-only", action="store_true", help="list only flagged files")
    ap.add_argument("--json", help="write the per-file rows here")
    args = ap.parse_args(argv)

    names = [n for n in args.names.split(",") if n]
    corpus_files, _ = discover_files([args.corpus]) if Path(args.corpus).exists() else ([], [])
    files = [p for p in corpus_files if any(n in p.stem for n in names)]
    if Path(args.seeds).exists():
        files += discover_files([args.seeds])[0]
    rows, errors = [], []
    for path in files:
        try:
            row = report_file(path)
        except IngestError as exc:
            errors.append(f"{path.name}: {exc}")
            continue
        row["file"] = path.name
        rows.append(row)
        if row["flags"] or not args.flagged_only:
            kinds = " ".join(f"{k}:{v}" for k, v in sorted(row["kinds"].items()))
            print(f"{'FLAG ' + ','.join(row['flags']) if row['flags'] else 'ok':<34} art={row['articles']:<4}"
                  f"{'1..n' if row['regular'] else 'IRREG':<6} longest={row['longest']:<6}({row['longest_label']}) "
                  f"{kinds}  {path.name}")
    flagged = [r for r in rows if r["flags"]]
    per_flag = Counter(f for r in rows for f in r["flags"])
    longest = max(rows, key=lambda r: r["longest"]) if rows else None
    print()
    print(f"files: {len(rows)}  rejected: {len(errors)}")
    print(f"flagged: {len(flagged)}  (" + ", ".join(f"{k}: {v}" for k, v in sorted(per_flag.items())) + ")")
    print(f"article numbers not 1..n: {sum(1 for r in rows if r['articles'] and not r['regular'])}")
    print(f"whole-text 序言: {sum(1 for r in rows if r['whole_preamble'])}")
    if longest:
        print(f"longest clause: {longest['longest']} chars ({longest['longest_label']}, {longest['file']})")
    for message in errors:
        print("  rejected:", message)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
