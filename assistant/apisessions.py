"""Gradio sessions that only ever called the API, dropped a few seconds after their last request. No Gradio import.

Gradio keeps a SessionState (~80 KB: a copy of every component's config) per session, up to 10,000 of them. A
REST call (/gradio_api/call/ask) is a session of its own, so each question left ~80 KB behind and the GC walked
ever more objects (RSS +85 KB/question, throughput −25 % in three rounds). `holder` is Gradio's StateHolder
(`demo.state_holder`: .lock, .session_data {session: state with .state_data}, .time_last_used); a session whose
state holds anything (a browser session with a chat) is never touched.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable


class ApiSessions:
    def __init__(self, holder: Callable[[], object | None], idle_s: float = 5.0):
        self._holder = holder
        self.idle_s = idle_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def release(self, session: str | None) -> None:
        """A request of `session` ended: it may go once idle (the sweeper starts with the first one)."""
        if not session:
            return
        with self._lock:
            self._seen[session] = time.monotonic()
            if self._thread is None:
                self._thread = threading.Thread(target=self._sweep_forever, name="api-session-sweeper", daemon=True)
                self._thread.start()

    def pending(self) -> int:
        return len(self._seen)

    def sweep(self, idle_s: float | None = None, now: float | None = None) -> int:
        """Drop the API-only sessions idle for `idle_s`; returns how many were dropped."""
        holder = self._holder()
        if holder is None:
            return 0
        idle_s = self.idle_s if idle_s is None else idle_s
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s, t in self._seen.items() if now - t >= idle_s]
            for session in idle:
                del self._seen[session]
        dropped = 0
        with holder.lock:
            for session in idle:
                state = holder.session_data.get(session)
                if state is not None and not state.state_data:
                    del holder.session_data[session]
                    holder.time_last_used.pop(session, None)
                    dropped += 1
        return dropped

    def _sweep_forever(self) -> None:
        while True:
            time.sleep(self.idle_s / 2)
            try:
                self.sweep()
            except Exception:  # never let the sweeper die silently on a Gradio change
                traceback.print_exc()
