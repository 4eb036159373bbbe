"""`python -m ingest parse|add|list|remove` — the ingest command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ingest.errors import IngestError
from ingest.parser import parse_file
from ingest.records import ParsedDocument


def format_parsed(parsed: ParsedDocument, width: int = 40) -> str:
    doc = parsed.document
    rows = [
        f"title:      {doc.title}",
        f"doc_id:     {doc.doc_id}",
        f"region:     {doc.region}    authority: {doc.authority or '-'}    type: {doc.doc_type or '-'}",
        f"adopted:    {doc.adoption_date or '-'}  by {doc.meeting or '-'}",
        f"effective:  {doc.effective_date or '-'}"
        + ("  (自公布之日起施行)" if doc.effective_on_publication else ""),
        f"status:     {doc.status or '-'}    source: {doc.source_url or doc.source_path or '-'}",
        f"repeals:    {'；'.join(doc.repeals) or '-'}",
        f"clauses:    {len(parsed.clauses)} ({len(parsed.articles())} articles), headings: {len(parsed.headings)}",
    ]
    rows += [f"warning:    {w}" for w in doc.warnings]
    rows.append("")
    rows.append(f"{'label':<14}{'kind':<10}{'art':>4}{'¶':>3}  text")
    blocks = sorted([(h.ordinal, None, h) for h in parsed.headings] + [(c.ordinal, c, None) for c in parsed.clauses],
                    key=lambda item: item[0])
    for _, clause, heading in blocks:
        if heading is not None:
            rows.append(f"{'[heading]':<14}{'':<10}{'':>4}{'':>3}  {heading.text[:width]}")
            continue
        article = str(clause.article) if clause.article is not None else "-"
        preview = clause.text[:width].replace("\n", " ⏎ ")
        rows.append(f"{clause.label:<14}{clause.kind:<10}{article:>4}{len(clause.paragraphs):>3}  {preview}")
    return "\n".join(rows)


def cmd_parse(args: argparse.Namespace) -> int:
    from assistant.settings import Settings

    settings = Settings.from_env()
    try:
        parsed = parse_file(args.file, max_bytes=settings.max_file_bytes)
    except IngestError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:  # unreadable (permissions), vanished, a directory…
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if args.json:
        payload = {"document": parsed.document.to_dict(), "clauses": [c.to_dict() for c in parsed.clauses],
                   "headings": [{"text": h.text, "level": h.level, "ordinal": h.ordinal} for h in parsed.headings]}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(format_parsed(parsed))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Parse and index decision files.")
    sub = parser.add_subparsers(dest="command", required=True)
    parse = sub.add_parser("parse", help="print document metadata and its clause table; index nothing")
    parse.add_argument("file")
    parse.add_argument("--json", action="store_true", help="machine-readable output")
    parse.set_defaults(func=cmd_parse)
    try:
        from ingest.index_commands import register
    except ImportError:  # the index verbs arrive with the store
        register = None
    if register:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every CLI error is one line; the details go to the log
        logging.getLogger(__name__).debug("command failed", exc_info=True)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
