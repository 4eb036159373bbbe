"""One writer at a time per index, across processes: a `filelock` on `<index_dir>/write.lock`.

Every change to an index (records, manifest, Chroma, keyword index) happens while holding it; a
second writer logs that it waits and gives up with IndexBusyError after `timeout` seconds. The OS
releases the lock when its holder dies (kill -9 included), so no stale lock is ever left behind.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from store.errors import IndexBusyError

log = logging.getLogger(__name__)

LOCK_FILE = "write.lock"
DEFAULT_TIMEOUT_S = 900.0


class WriteLock:
    def __init__(self, index_dir: Path, timeout: float = DEFAULT_TIMEOUT_S):
        self.index_dir = index_dir
        self.timeout = timeout
        self._file = FileLock(str(index_dir / LOCK_FILE), thread_local=False)
        self._owner: int | None = None  # thread holding it (re-entrant for that thread only)
        self._depth = 0
        self._guard = threading.Lock()
        self._threads = threading.RLock()

    @property
    def held(self) -> bool:
        return self._owner == threading.get_ident()

    @contextmanager
    def __call__(self, what: str = "write"):
        if self.held:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with self._threads:  # threads of this process queue here, processes on the file
            try:
                self._file.acquire(timeout=0)
            except Timeout:
                log.warning("another process is writing the index at %s; waiting up to %.0f s to %s",
                            self.index_dir, self.timeout, what)
                try:
                    self._file.acquire(timeout=self.timeout)
                except Timeout:
                    raise IndexBusyError(
                        f"another process has been writing the index at {self.index_dir} for over "
                        f"{self.timeout:.0f} s; wait for it to finish (or stop it) and retry") from None
            self._owner, self._depth = threading.get_ident(), 1
            try:
                yield
            finally:
                self._owner, self._depth = None, 0
                self._file.release()

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it (for optional work such as a reader's rebuild)."""
        if self.held:
            self._depth += 1
            return True
        if not self._threads.acquire(blocking=False):
            return False
        try:
            self._file.acquire(timeout=0)
        except Timeout:
            self._threads.release()
            return False
        self._owner, self._depth = threading.get_ident(), 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._file.release()
            self._threads.release()


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
