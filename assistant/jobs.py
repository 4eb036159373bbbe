"""Adding uploaded decisions to the index while questions go on. No Gradio here.

- `ReadWriteLock`: many answers at once; a change to the index waits for them and runs alone (a waiting change
  goes before new answers, so it is never starved);
- `IngestJob`: a background thread that keeps each file under the library folder (named by its content) and
  commits them in batches sized to hold the write lock about `hold_s` seconds, recording who uploaded what;
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
    report.outcomes [(path, outcome, doc_id)]; plain_error(exc) → the message a person sees; on_change() after
    each committed batch."""

    def __init__(self, items: list, who: str, client: str, *, assistant, library_dir: Path, lock: ReadWriteLock,
                 log: UploadLog, plain_error: Callable[[Exception], str], on_change: Callable[[], None] = lambda: None,
                 hold_s: float = 0.5, pause_s: float = 0.05):
        self.items = [tuple(item) for item in items]
        self.who, self.client = who, client
        self.assistant, self.library_dir, self.lock, self.log = assistant, Path(library_dir), lock, log
        self.plain_error, self.on_change = plain_error, on_change
        self.hold_s, self.pause_s = hold_s, pause_s
        self.total = len(self.items)
        self.done = 0
        self.finished = False
        self.added = self.replaced = self.unchanged = 0
        self.errors: list[tuple[str, str]] = []  # (display, message)
        self.failure: str | None = None
        self.batches: list[int] = []  # files per committed batch
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
        batch, i = 2, 0
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        while i < len(kept):
            chunk = kept[i:i + batch]
            started = time.perf_counter()
            with self.lock.write():
                result = self.assistant.add_paths([str(p) for _, _, p, _ in chunk])
            held = time.perf_counter() - started
            by_path = {str(Path(k).resolve()): (outcome, doc_id) for k, outcome, doc_id in result.report.outcomes}
            failed = {str(Path(p).resolve()): message for p, message in result.errors}
            records = {}
            for display, digest, path, created in chunk:
                if str(path) in failed:
                    self.errors.append((display, for_user(failed[str(path)], display, path)))
                    if created:
                        discard(path)
                    continue
                _, doc_id = by_path.get(str(path), ("", ""))
                if doc_id:
                    records[doc_id] = {"name": display, "by": self.who, "client": self.client, "at": now,
                                       "file": path.name, "sha256": digest}
            self.added += result.added
            self.replaced += result.replaced
            self.unchanged += result.unchanged
            self.log.record_first(records)
            self.batches.append(len(chunk))
            i += len(chunk)
            self.done = i
            self.on_change()
            batch = next_batch(len(chunk), held, self.hold_s)
            time.sleep(self.pause_s)  # the questions that waited go first


def next_batch(size: int, held_s: float, hold_s: float, most: int = 64) -> int:
    """The next batch: as many files as fit in `hold_s` at the pace of the last one (1 to `most`)."""
    return max(1, min(most, int(size * hold_s / max(held_s, 1e-3))))


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
