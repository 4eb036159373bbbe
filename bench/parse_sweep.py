"""Parse every file of a folder (default: the LawRefBook corpus) and print a summary.

    python bench/parse_sweep.py [FOLDER] [--json OUT.json] [--list-irregular N]

Checks on every file: no crash, and the clauses + headings reassemble to the cleaned body.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ingest import discover_files, parse_file
from ingest.errors import IngestError

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "lawrefbook"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", default=str(DEFAULT))
    ap.add_argument("--json", help="write the per-file results here")
    ap.add_argument("--list-irregular", type=int, default=10)
    args = ap.parse_args()
    files, _ = discover_files([args.folder])
    started = time.perf_counter()
    results, errors = [], []
    n_clauses = 0
    for path in files:
        try:
            parsed = parse_file(path)
        except IngestError as exc:
            errors.append((str(path), str(exc)))
            continue
        numbers = [c.article for c in parsed.clauses if c.kind == "article"]
        distinct = list(dict.fromkeys(numbers))
        results.append({
            "path": str(path.relative_to(args.folder)),
            "articles": len(numbers),
            "regular": distinct == list(range(1, len(distinct) + 1)),
            "lossless": parsed.reassemble() == parsed.body,
            "warnings": list(parsed.document.warnings),
            "dropped_lines": len(parsed.dropped_lines),
            "has_closing": any(c.kind == "closing" for c in parsed.clauses),
            "region": parsed.document.region,
            "adoption": str(parsed.document.adoption_date),
        })
        n_clauses += len(parsed.clauses)
    elapsed = time.perf_counter() - started
    with_articles = sum(1 for r in results if r["articles"] >= 1)
    irregular = [r for r in results if r["articles"] and not r["regular"]]
    lossy = [r for r in results if not r["lossless"]]
    print(f"files: {len(files)}  parsed: {len(results)}  rejected: {len(errors)}")
    print(f"files with >=1 article: {with_articles}")
    print(f"files whose article numbers are not strictly 1..n: {len(irregular)}")
    print(f"files whose clauses do not reassemble to the body: {len(lossy)}")
    print(f"files with lines dropped as page chrome: {sum(1 for r in results if r['dropped_lines'])}")
    print(f"files with warnings: {sum(1 for r in results if r['warnings'])}")
    print(f"files without a region: {sum(1 for r in results if not r['region'])}")
    print(f"files without an adoption date: {sum(1 for r in results if r['adoption'] == 'None')}")
    print(f"clauses: {n_clauses}  time: {elapsed:.1f}s  ({len(files) / elapsed:.0f} docs/s, {n_clauses / elapsed:.0f} clauses/s)")
    for r in irregular[: args.list_irregular]:
        print("  irregular:", r["path"], r["articles"])
    for path, message in errors[:10]:
        print("  rejected:", message)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "errors": errors}, ensure_ascii=False, indent=1))
    return 1 if lossy else 0


if __name__ == "__main__":
    sys.exit(main())
