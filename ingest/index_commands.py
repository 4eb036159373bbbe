"""`python -m ingest add|list|remove`: the verbs that touch the index.

Heavy imports (the store, Chroma, models) happen inside the commands, so `ingest parse` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import time

MIN_PREFIX = 8  # characters of a doc_id `remove` accepts as a prefix


def register(subparsers) -> None:
    add = subparsers.add_parser("add", help="parse and index files or folders (unchanged files are skipped)")
    add.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (searched recursively)")
    add.add_argument("--index-dir", help="index directory (default: JUEDING_INDEX_DIR or the user data dir)")
    add.add_argument("--rebuild", action="store_true", help="empty the index first (e.g. after changing model)")
    add.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    add.add_argument("--dense", choices=("auto", "all", "none"), default="auto",
                     help="which files get dense vectors: auto (default) = every 决定/决议, and every file of a "
                          "batch of at most 20; the rest of a large batch is indexed by keywords only "
                          "(embedding 3,400 laws takes hours on 2 cores); all; none")
    add.add_argument("--keyword-only", action="store_true", help="same as --dense none")
    add.set_defaults(func=cmd_add)

    lst = subparsers.add_parser("list", help="indexed documents with clause counts")
    lst.add_argument("--index-dir")
    lst.set_defaults(func=cmd_list)

    rm = subparsers.add_parser(
        "remove", help=f"delete a document (by doc_id or a unique prefix of at least {MIN_PREFIX} characters)")
    rm.add_argument("doc_id", metavar="DOC_ID")
    rm.add_argument("--index-dir")
    rm.add_argument("--chroma-url")
    rm.set_defaults(func=cmd_remove)


def cmd_add(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.settings import Settings
    from store import ClauseIndex, StoreError
    from store.files import sync_paths

    settings = Settings.from_env(index_dir=args.index_dir, chroma_url=args.chroma_url)
    started = time.perf_counter()
    try:
        index = ClauseIndex.open(settings.index_dir, embedding_model=settings.embedding_model,
                                 chroma_url=settings.chroma_url, rebuild=args.rebuild)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar = tqdm(unit="file", desc="indexing", file=sys.stderr, disable=None, dynamic_ncols=True)

    def progress(done: int, total: int, description: str) -> None:
        bar.total = total
        bar.set_postfix_str(description[:40], refresh=False)
        bar.update(done - bar.n)

    try:
        with index:
            result = sync_paths(index, args.paths, max_bytes=settings.max_file_bytes, progress=progress,
                                dense="none" if args.keyword_only else args.dense)
            stats = index.stats()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    report, errors = result.report, [line for _, line in result.errors]
    print(
        f"{len(result.files)} file(s): {report.added} added, {report.replaced} replaced, "
        f"{report.unchanged} unchanged, {len(errors)} rejected; {report.embedded} text(s) embedded, "
        f"{report.cached} from cache in {time.perf_counter() - started:.1f}s"
    )
    print(f"index {settings.index_dir}: {stats['documents']} documents, {stats['clauses']} clauses, "
          f"{stats['vectors']} vectors ({stats['embedding_model']})")
    if errors:
        print(f"{len(errors)} file(s) rejected:", file=sys.stderr)
        for line in errors:
            print(line, file=sys.stderr)
        return 1
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from assistant.settings import Settings
    from store import ClauseIndex, StoreError

    settings = Settings.from_env(index_dir=args.index_dir)
    try:
        with ClauseIndex.open(settings.index_dir, embedding_model=None, create=False) as index:
            entries = index.documents()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for entry in entries:
        doc = entry.document
        dense = "" if entry.n_vectors else "  (keyword-only)"
        print(f"{doc.doc_id}  {entry.n_clauses:>4} clauses  {doc.region or '-'}  {doc.title}{dense}")
    print(f"{len(entries)} document(s), {sum(e.n_clauses for e in entries)} clauses in {settings.index_dir}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from assistant.settings import Settings
    from store import ClauseIndex, StoreError

    settings = Settings.from_env(index_dir=args.index_dir, chroma_url=args.chroma_url)
    try:
        with ClauseIndex.open(settings.index_dir, embedding_model=None, chroma_url=settings.chroma_url,
                              create=False) as index:
            entries = {e.document.doc_id: e for e in index.documents()}
            wanted = args.doc_id.strip()
            matches = [d for d in entries if d == wanted]
            if not matches and len(wanted) < MIN_PREFIX:
                print(f"error: {args.doc_id!r} is too short: give the full doc_id or at least {MIN_PREFIX} of its "
                      "first characters (see: python -m ingest list)", file=sys.stderr)
                return 1
            matches = matches or [d for d in entries if d.startswith(wanted)]
            if len(matches) != 1:
                why = f"matches {len(matches)} documents" if matches else "is not in the index"
                print(f"error: {args.doc_id!r} {why} (see: python -m ingest list)", file=sys.stderr)
                return 1
            n = index.remove(matches[0])
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"removed {matches[0]} ({entries[matches[0]].document.title}): {n} clauses")
    return 0
