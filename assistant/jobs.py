"""Adding uploaded decisions to the index while questions go on. No Gradio here.

- `ReadWriteLock`: many answers at once; a change to the index waits for them and runs alone (a waiting change
  goes before new answers, so it is never starved);
- `IngestJob`: a background thread that keeps each file under the library folder (named by its content) and adds
  them in one sync, without the app's lock (the store commits in batches; answering threads keep their state until
  it ends), recording who uploaded what. Which files get dense vectors follows `ingest add --dense auto`;
- `JobSlot`: one such job at a time.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from assistant import render
from assistant.uploads import UploadLog, UploadRefused, discard, for_user, kept_name


class ReadWriteLock:
    """Many readers at once; a writer waits for them and runs alone; a waiting writer goes next."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self):
        with self._cond:
            while self._writing or self._writers_waiting:  # a waiting writer goes next: no writer starvation
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class IngestJob:
    """items: (display name, staged path, sha256) as reviewed; the staged copies are deleted when it ends.

    assistant: has add_paths(paths) → result with added/replaced/unchanged, errors [(path, message)] and
    report.outcomes [(path, outcome, doc_id)]; plain_error(exc) → the message a person sees; on_change() once the
    job's documents are committed (answering threads swap to them then). `dense`: as `ingest add --dense`."""

    def __init__(self, items: list, who: str, client: str, *, assistant, library_dir: Path, log: UploadLog,
                 plain_error: Callable[[Exception], str], on_change: Callable[[], None] = lambda: None,
                 dense: str = "auto"):
        self.items = [tuple(item) for item in items]
        self.who, self.client = who, client
        self.assistant, self.library_dir, self.log = assistant, Path(library_dir), log
        self.plain_error, self.on_change = plain_error, on_change
        self.dense = dense
        self.seconds: float | None = None
        self.total = len(self.items)
        self.done = 0
        self.finished = False
        self.added = self.replaced = self.unchanged = 0
        self.errors: list[tuple[str, str]] = []  # (display, message)
        self.failure: str | None = None
        self.batches: list[int] = []  # files per add_paths call (one per job)
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name="ingest-job", daemon=True)

    def progress_html(self) -> str:
        return render.status_html(
            f"正在加入文库：{self.done}/{self.total} 个文件（{time.monotonic() - self.started:.0f} 秒；问答照常进行）。")

    def report_html(self) -> str:
        if self.failure:
            head = [(f"加入中断：{self.failure}（已完成 {self.done}/{self.total} 个文件）", "bad")]
        else:
            head = [(f"已加入 {self.added} 部，更新 {self.replaced} 部，未变 {self.unchanged} 部。", "ok")]
        lines = head + [(f"{display}：{message}", "bad") for display, message in self.errors]
        return "".join(render.status_html(text, kind) for text, kind in lines)

    def wait(self, timeout: float | None = None) -> bool:
        self.thread.join(timeout)
        return self.finished

    def _run(self) -> None:
        try:
            self._ingest()
        except Exception as exc:  # reported in the page; the files already committed stay
            self.failure = self.plain_error(exc)
        finally:
            for _, staged, _ in self.items:
                discard(staged)
            self.finished = True

    def _keep(self) -> list[tuple[str, str, Path, bool]]:
        """Each staged file copied under the library folder by its content: (display, sha256, kept, created now)."""
        self.library_dir.mkdir(parents=True, exist_ok=True)
        kept = []
        for display, staged, digest in self.items:
            path = (self.library_dir / kept_name(digest, Path(staged).suffix)).resolve()
            created = not path.exists()
            if created:
                tmp = path.with_name(path.name + ".part")
                shutil.copyfile(staged, tmp)
                os.replace(tmp, path)
            kept.append((display, digest, path, created))
        return kept

    def _ingest(self) -> None:
        kept = self._keep()
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")

        def progress(done: int, total: int, desc: str = "") -> None:
            self.done = min(done, self.total)

        # One sync for the whole job, outside the app's index lock: the store parses and embeds outside its
        # write lock, commits in batches, and the threads answering questions keep the state they serve
        # until it ends, then swap once. (Held per batch under the app's write lock, every question waited
        # for the embedding and for a keyword-index rebuild per batch.)
        started = time.perf_counter()
        try:
            result = self.assistant.add_paths([str(p) for _, _, p, _ in kept], progress=progress, dense=self.dense)
        except Exception:
            self._record(kept, self._committed(kept), {}, now)  # what was committed before the failure stays
            self.on_change()
            raise
        self.seconds = time.perf_counter() - started
        by_path = {str(Path(k).resolve()): doc_id for k, _, doc_id in result.report.outcomes if doc_id}
        failed = {str(Path(p).resolve()): message for p, message in result.errors}
        self.added, self.replaced, self.unchanged = result.added, result.replaced, result.unchanged
        self._record(kept, by_path, failed, now)
        self.batches.append(len(kept))
        self.done = self.total
        self.on_change()

    def _record(self, kept: list, doc_ids: dict[str, str], failed: dict[str, str], now: str) -> None:
        """Errors in the user's words, failed files' kept copies removed, provenance of the indexed ones."""
        records = {}
        for display, digest, path, created in kept:
            if str(path) in failed:
                self.errors.append((display, for_user(failed[str(path)], display, path)))
                if created:
                    discard(path)
                continue
            doc_id = doc_ids.get(str(path))
            if doc_id:
                records[doc_id] = {"name": display, "by": self.who, "client": self.client, "at": now,
                                   "file": path.name, "sha256": digest}
        self.log.record_first(records)

    def _committed(self, kept: list) -> dict[str, str]:
        """kept path → doc id, for the kept files the index holds (after a failure part-way)."""
        try:
            entries = self.assistant.documents()
        except Exception:
            return {}
        wanted = {str(path) for _, _, path, _ in kept}
        found = {}
        for entry in entries:
            source = str(Path(entry.source_key).resolve()) if entry.source_key else ""
            if source in wanted:
                found[source] = entry.document.doc_id
        return found


class JobSlot:
    """One ingest job at a time: `start` refuses while the current one runs."""

    def __init__(self):
        self.current: IngestJob | None = None
        self._lock = threading.Lock()

    def start(self, job: IngestJob) -> IngestJob:
        with self._lock:
            running = self.current
            if running is not None and not running.finished:
                raise UploadRefused(f"另一个加入任务正在进行（{running.done}/{running.total}），请稍后再试。")
            self.current = job
            job.thread.start()
        return job
