"""Files and folders → index: discover, hash, parse only what changed, sync, collect per-file errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import IngestError
from ingest.loaders import discover_files
from ingest import parser as ingest_parser
from ingest.parser import parse_file
from store.bulk import dense_policy
from store.index import ClauseIndex, file_hash
from store.records import SyncReport

Progress = Callable[[int, int, str], None]  # (done, total, description)


@dataclass
class FileSyncReport:
    report: SyncReport
    files: list[Path] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)

    def __getattr__(self, name):  # added / replaced / unchanged / embedded … come from the SyncReport
        return getattr(self.report, name)


def reason_line(path: Path, reason: str) -> str:
    return reason if reason.startswith((str(path), path.name)) else f"{path}: {reason}"


def sync_paths(index: ClauseIndex, paths: list[str | Path], *, max_bytes: int, progress: Progress | None = None,
               rebuild: bool = False, dense=True) -> FileSyncReport:
    """Index files and folders; a file that fails to parse is reported and the others still go in.

    `dense`: True, False, a predicate on the Document, or a mode of `store.bulk.dense_policy`
    ("auto": decisions and small batches get vectors, the rest of a large batch keywords only).
    """
    files, rejected = discover_files(list(paths))
    if isinstance(dense, str):
        dense = dense_policy(dense, len(files))
    result = FileSyncReport(report=SyncReport(), files=files,
                            errors=[(str(p), reason_line(p, r)) for p, r in rejected])
    done = 0

    def items():
        for path in files:
            try:
                digest = f"{file_hash(path)}:p{ingest_parser.PARSER_VERSION}"  # a parser change re-parses every file
            except OSError as exc:
                result.errors.append((str(path), reason_line(path, exc.strerror or str(exc))))
                continue

            def load(path=path):
                try:
                    return parse_file(path, max_bytes=max_bytes)
                except IngestError as exc:
                    result.errors.append((str(path), reason_line(path, str(exc))))
                    return None

            yield str(path.resolve()), load, digest

    def on_item(key: str, outcome: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(files), f"{outcome}: {Path(key).name}")

    result.report = index.sync(items(), progress=on_item, rebuild=rebuild, dense=dense)
    return result
