"""Files added through the web app, before and after they are indexed. No Gradio here.

- names we choose for every copy we keep (`safe_name`, `kept_name`): never the user's path;
- `Staging`: a private temp folder for uploads under review and for exports, swept after an hour, removed at exit;
- `UploadQuota`: at most so many files per request and per client and hour;
- `UploadLog`: who uploaded which document, when, under what file name (uploads.json beside the kept copies);
- `uploaded_label` / `uploaded_sources`: how an uploaded document is named wherever it is cited.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")
STAGING_TTL_S = 3600  # staged uploads nobody added are deleted after this


class UploadRefused(Exception):
    """A request the app turns down; the message is for the person who made it (Chinese, no paths)."""


# ---------------------------------------------------------------------------
# Names


def kept_name(digest: str, suffix: str) -> str:
    """The kept copy is named by its content alone: a different file never replaces another by name."""
    suffix = suffix.lower() if suffix.lower() in SUFFIXES else ".txt"
    return f"upload-{digest[:32]}{suffix}"


def safe_name(original: str, digest: str | None = None) -> str:
    """A file name we choose: a cleaned stem of the user's name, [a content hash,] an allowed suffix."""
    name = original.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in SUFFIXES:
        suffix = ".txt"
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._-")[:60] or "upload"
    return f"{stem}-{digest[:10]}{suffix}" if digest else f"{stem}{suffix}"


def for_user(message: str, display: str, *paths) -> str:
    """A lower layer's message with our internal file paths replaced by the user's file name."""
    for path in paths:
        for form in (str(path), Path(path).name):
            message = message.replace(form, display)
    message = message.strip()
    for prefix in (f"{display}: ", f"{display}："):
        message = message.removeprefix(prefix)
    return message


def discard(*paths) -> None:
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)


def discard_within(path, folder) -> bool:
    """Delete `path` when it is a file under `folder` (and its own folder when left empty); best effort."""
    try:
        folder = Path(folder).resolve()
        target = Path(path).resolve()
        if folder in target.parents and target.is_file():
            target.unlink()
            if target.parent != folder and not any(target.parent.iterdir()):
                target.parent.rmdir()
            return True
    except OSError:
        pass
    return False


def forget_kept(source_path: str | None, library_dir: Path) -> bool:
    """Delete the kept copy of an uploaded file; a file anywhere but `library_dir` is never touched."""
    if not source_path:
        return False
    path = Path(source_path).resolve()
    if path.parent == Path(library_dir).resolve() and path.is_file():
        path.unlink()
        return True
    return False


# ---------------------------------------------------------------------------
# Staging


class Staging:
    """A private folder (created on first use, removed at exit) for uploads under review and for exports."""

    def __init__(self, prefix: str = "jueding-uploads-"):
        self._prefix = prefix
        self._path: Path | None = None
        self._lock = threading.Lock()

    @property
    def created(self) -> bool:
        return self._path is not None

    @property
    def path(self) -> Path:
        with self._lock:
            if self._path is None:
                self._path = Path(tempfile.mkdtemp(prefix=self._prefix))
                atexit.register(shutil.rmtree, self._path, True)
            return self._path

    def remove(self) -> None:
        with self._lock:
            if self._path is not None:
                shutil.rmtree(self._path, ignore_errors=True)
                self._path = None

    def sweep(self, max_age_s: float = STAGING_TTL_S, now: float | None = None) -> int:
        """Staged files nobody added (the page was closed) and old exports go; returns how many."""
        if self._path is None:
            return 0
        cutoff = (time.time() if now is None else now) - max_age_s
        removed = 0
        exports = self._path / "exports"
        for path in [*self._path.iterdir(), *(exports.iterdir() if exports.is_dir() else ())]:
            if path == exports:
                continue
            try:
                if path.stat().st_mtime >= cutoff:
                    continue
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed += 1
            except OSError:
                pass
        return removed

    def stage(self, path: str, limit_bytes: int) -> tuple[str, Path | None, str | None, str | None]:
        """Copy one upload under a name we choose. Returns (display name, staged path, sha256, error)."""
        display = os.path.basename(str(path))  # Gradio keeps the user's file name as the last part
        suffix = os.path.splitext(display)[1].lower()
        if suffix not in SUFFIXES:
            return display, None, None, f"不支持的文件类型「{suffix or '无扩展名'}」。支持：{'、'.join(SUFFIXES)}。"
        size = os.path.getsize(path)
        if size > limit_bytes:
            return display, None, None, f"文件过大（{size / 1048576:.1f} MB），上限为 {limit_bytes / 1048576:g} MB。"
        if size == 0:
            return display, None, None, "文件是空的。"
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        staged = self.path / safe_name(display, digest)
        shutil.copyfile(path, staged)
        return display, staged, digest, None

    def export_folder(self) -> Path:
        """A new private folder for one exported file (its name is the one the user downloads)."""
        exports = self.path / "exports"
        exports.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=exports))


# ---------------------------------------------------------------------------
# Rate limiting


class UploadQuota:
    """At most `per_request` files per request and `per_hour` per client in any `window_s` seconds."""

    def __init__(self, per_request: int, per_hour: int, window_s: float = 3600.0):
        self.per_request, self.per_hour, self.window_s = per_request, per_hour, window_s
        self._log: dict[str, deque] = {}
        self._lock = threading.Lock()

    def take(self, client: str, n: int, now: float | None = None) -> None:
        """Count `n` files for `client`, or raise UploadRefused (and count nothing)."""
        if n > self.per_request:
            raise UploadRefused(f"一次最多上传 {self.per_request} 个文件（本次 {n} 个），请分批上传。")
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in [k for k, q in self._log.items() if not q or now - q[-1][0] > self.window_s]:
                del self._log[key]
            log = self._log.setdefault(client, deque())
            while log and now - log[0][0] > self.window_s:
                log.popleft()
            used = sum(count for _, count in log)
            if used + n > self.per_hour:
                raise UploadRefused(
                    f"上传过于频繁：每小时最多 {self.per_hour} 个文件（已上传 {used} 个），请稍后再试。")
            log.append((now, n))

    def clients(self) -> int:
        return len(self._log)


# ---------------------------------------------------------------------------
# Provenance


class UploadLog:
    """doc_id → {"name", "by", "client", "at", "file", "sha256"} of the documents added through the web app,
    in a JSON file (written atomically, re-read when it changes); `path` is asked each time (the index may move)."""

    def __init__(self, path: Callable[[], Path]):
        self._path = path
        self._lock = threading.Lock()
        self._cache: dict = {"key": None, "data": {}}

    def read(self) -> dict:
        try:
            path = self._path()
            stat = path.stat()
        except Exception:  # not written yet, or no settings to say where: nothing uploaded that we could know of
            return {}
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if self._cache["key"] != key:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                traceback.print_exc()
                data = {}
            self._cache.update(key=key, data=data if isinstance(data, dict) else {})
        return self._cache["data"]

    def update(self, change: Callable[[dict], None]) -> None:
        with self._lock:
            data = dict(self.read())
            change(data)
            path = self._path()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, path)

    def record_first(self, records: dict) -> None:
        """The first upload of a document is its provenance: later uploads of it change nothing."""
        def keep_first(data: dict) -> None:
            for doc_id, meta in records.items():
                data.setdefault(doc_id, meta)

        if records:
            self.update(keep_first)

    def forget(self, doc_id: str) -> None:
        if doc_id in self.read():
            self.update(lambda data: data.pop(doc_id, None))


def uploaded_label(meta: dict) -> str:
    return f"用户上传（{meta.get('by', '')}，{meta.get('at', '')[:16].replace('T', ' ')}），非官方发布文本"


def uploaded_sources(citations: Iterable, uploads: dict) -> list[dict]:
    """The cited documents that users uploaded, once each, in citation order (for the API result)."""
    seen, out = set(), []
    for citation in citations:
        meta = uploads.get(citation.doc_id)
        if meta and citation.doc_id not in seen:
            seen.add(citation.doc_id)
            out.append({"doc_id": citation.doc_id, "title": citation.doc_title,
                        "uploaded_by": meta.get("by", ""), "uploaded_at": meta.get("at", ""),
                        "file_name": meta.get("name", "")})
    return out
