"""Gradio sessions that only ever called the API, dropped a few seconds after their last request. No Gradio import.

Gradio keeps a SessionState (~80 KB: a copy of every component's config) per session, up to 10,000 of them. A
REST call (/gradio_api/call/ask) is a session of its own, so each question left ~80 KB behind and the GC walked
ever more objects (RSS +85 KB/question, throughput −25 % in three rounds). `holder` is Gradio's StateHolder
(`demo.state_holder`: .lock, .session_data {session: state with .state_data}, .time_last_used); a session whose
state holds anything (a browser session with a chat) is never touched.

Gradio's queue also keeps, per session, the set of its undelivered event ids (`pending_event_ids_session`), emptied
but never removed once the result is delivered; and the REST route GET /gradio_api/call/<api>/<event id> looks an
event that has already finished up by scanning all of them. So every question made the next ones slower (40
clients: 48.7 → 40.9 req/s over four minutes, ~1 ms more per request per 10,000 asked). An idle API session's
empty entry (and its empty message queue) is dropped too — on the server's event loop (`queue` gives
`demo._queue`, the loop is taken from the first request's worker thread), where Gradio changes them itself.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable


class ApiSessions:
    def __init__(self, holder: Callable[[], object | None], idle_s: float = 5.0,
                 queue: Callable[[], object | None] = lambda: None):
        self._holder = holder
        self._queue = queue
        self._loop = None  # the server's event loop: Gradio's queue is only changed there
        self.idle_s = idle_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def release(self, session: str | None) -> None:
        """A request of `session` ended: it may go once idle (the sweeper starts with the first one)."""
        if not session:
            return
        if self._loop is None:
            self._loop = _server_loop()
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
        queue = self._queue()
        if idle and queue is not None and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(drop_delivered, queue, idle)
            except RuntimeError:  # the loop is closed: the server stopped
                pass
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


def drop_delivered(queue, sessions: list[str]) -> int:
    """On the event loop: forget the queue entries of `sessions` that have nothing left to deliver."""
    ids_by_session = getattr(queue, "pending_event_ids_session", None)
    messages = getattr(queue, "pending_messages_per_session", None)
    if ids_by_session is None:
        return 0
    dropped = 0
    for session in sessions:
        ids = ids_by_session.get(session)
        if ids is None or ids:
            continue
        del ids_by_session[session]
        dropped += 1
        pending = messages.get(session) if messages is not None else None
        if pending is not None and pending.empty():
            del messages[session]
    return dropped


def _server_loop():
    """The event loop of the server this request runs under, from its worker thread (None when unknown)."""
    try:
        import asyncio

        import anyio.from_thread

        return anyio.from_thread.run_sync(asyncio.get_running_loop)
    except Exception:  # not in an anyio worker thread (tests, other servers): queue entries stay Gradio's
        return None
