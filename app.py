"""决定问答 — the web app.

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR] [--share]

Chat with cited answers, a sources panel, and a library tab to add or remove decisions.
Besides the UI it serves the Gradio endpoint `/ask` (question → {"text", "refused", "citations"}).
Importing this module builds the UI only; the assistant (and its index) opens in `__main__`
before launch, or on the first request when `demo` is launched some other way.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import TypedDict, get_type_hints

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant import alignment, export, history, render  # noqa: E402
from assistant.webassets import CSS, HEAD, SCROLL_TO_FOCUS  # noqa: E402

TITLE = "决定问答 · 检察机关法律监督决定"
EXAMPLES = [
    "公安机关需配合哪些事项",
    "审判机关需配合哪些事项",
    "西藏的决定从什么时候开始施行？",
    "未成年人检察有哪些要求",
    "两地决定对公益诉讼的规定有何不同？",
    "检察建议应当遵循哪些原则",
]
UPLOAD_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf")
MAX_QUESTION_CHARS = 1000
MAX_ASPECT_CHARS = 100
ASPECT_SUGGESTIONS = ["公益诉讼", "公安机关", "审判机关", "未成年人", "检察建议", "人大常委会", "适用税额", "施行"]
MAX_TURNS = 40  # chat turns kept per session (older ones drop out of the state and the panel)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
UPLOADS_PER_REQUEST = int(os.environ.get("JUEDING_UPLOAD_MAX_FILES", "300"))
UPLOADS_PER_HOUR = int(os.environ.get("JUEDING_UPLOAD_MAX_PER_HOUR", "1000"))
STAGING_TTL_S = 3600  # staged uploads nobody added are deleted after this
API_SESSION_IDLE_S = 5.0  # API-only sessions are dropped after this long without a request
JOB_LOCK_HOLD_S = 0.5  # a web ingest job commits batches sized to hold the index about this long
AppError = partial(gr.Error, title="出错了")  # Gradio's toast title, in Chinese
MODE_CHOICES = [("摘录（离线）", "extractive"), ("大模型（LLM）", "llm")]


# ---------------------------------------------------------------------------
# The assistant: opened once, shared by all sessions


class _ReadWriteLock:
    """Many answers at once; adding or removing a decision waits for them and runs alone."""

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


_config: dict = {"index_dir": None, "admin_token": None, "host": None, "share": None}
_state: dict = {"assistant": None, "settings": None, "documents": None, "uploads": None, "job": None}
_open_lock = threading.Lock()
_index_lock = _ReadWriteLock()


def configure(index_dir: str | None = None, *, admin_token: str | None = None, host: str | None = None,
              share: bool | None = None) -> None:
    """index_dir; admin_token (else env JUEDING_ADMIN_TOKEN); host/share as launched (else read off `demo`)."""
    _config.update(index_dir=index_dir, admin_token=admin_token or None, host=host, share=share)
    _state.update(assistant=None, settings=None, documents=None)


# ---------------------------------------------------------------------------
# Who may change the library: enforced here, on the server, inside every handler that changes it

READ_ONLY_MESSAGE = ("文库只读：本服务对外开放且未设置管理员口令，不能上传、加入或删除决定。"
                     "管理员可在服务器上设置环境变量 JUEDING_ADMIN_TOKEN（或 --admin-token）后重启。")
BAD_TOKEN_MESSAGE = "管理员口令不正确或未填写，文库未改动。"


def _admin_token() -> str | None:
    return _config["admin_token"] or os.environ.get("JUEDING_ADMIN_TOKEN") or None


def is_exposed() -> bool:
    """Whether the app may be reached beyond this machine: a non-loopback bind address or --share.
    When it cannot tell (not launched yet, or launched some other way without a host) it says yes."""
    share = _config["share"] if _config["share"] is not None else bool(getattr(demo, "share", False))
    host = _config["host"] if _config["host"] is not None else getattr(demo, "server_name", None)
    if share or not host:
        return True
    return str(host).strip().lower() not in LOOPBACK_HOSTS


def library_access() -> str:
    """'token': changes need the admin token; 'open': loopback only, no token set; 'disabled': read-only."""
    if _admin_token():
        return "token"
    return "disabled" if is_exposed() else "open"


def check_admin(token) -> str:
    """Raise gr.Error unless this request may change the library; returns who it is ('管理员' / '本机用户')."""
    access = library_access()
    if access == "open":
        return "本机用户"
    if access == "disabled":
        raise AppError(READ_ONLY_MESSAGE)
    expected = _admin_token().encode("utf-8")
    if not hmac.compare_digest(str(token or "").encode("utf-8"), expected):
        time.sleep(0.3)  # slows guessing a little; the check itself is constant-time
        raise AppError(BAD_TOKEN_MESSAGE)
    return "管理员"


def access_note() -> str:
    access = library_access()
    if access == "open":
        return render.status_html("本服务只在本机（回环地址）提供：可直接上传、加入或删除决定。")
    if access == "token":
        return render.status_html("上传、加入或删除决定需要管理员口令；未填写口令时文库只读，问答不受影响。")
    return render.status_html(READ_ONLY_MESSAGE, "bad")


def _client(request) -> str:
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "unknown")


def get_settings():
    if _state["settings"] is None:
        from assistant import Settings

        _state["settings"] = Settings.from_env(index_dir=_config["index_dir"])
    return _state["settings"]


def get_assistant(progress=None):
    """The shared Assistant; builds the index from the bundled corpus on first use if missing."""
    if _state["assistant"] is None:
        with _open_lock:
            if _state["assistant"] is None:
                from assistant import Assistant

                settings = get_settings()
                _state["assistant"] = Assistant.open(
                    index_dir=settings.index_dir, settings=settings, progress=progress
                )
    return _state["assistant"]


def documents_by_id() -> dict:
    if _state["documents"] is None:
        _state["documents"] = {e.document.doc_id: e.document for e in get_assistant().documents()}
    return _state["documents"]


def _library_changed() -> None:
    _state["documents"] = None


def _filters(regions, doc_ids) -> dict | None:
    filters = {}
    if regions:
        filters["region"] = list(regions)
    if doc_ids:
        filters["doc_id"] = list(doc_ids)
    return filters or None


def _plain_error(exc: Exception) -> str:
    """A message for a person: our own errors carry one; anything else is logged in full."""
    from assistant.errors import ProjectError

    if isinstance(exc, ProjectError):
        return str(exc)
    traceback.print_exc()
    return f"处理时发生内部错误（{type(exc).__name__}），请重试；若反复出现，请联系管理员查看服务日志。"


# ---------------------------------------------------------------------------
# The API endpoint


class CitationDict(TypedDict):
    doc_id: str
    doc_title: str
    region: str
    kind: str
    article: int | None
    paragraph: int | None
    label: str
    text: str


class UploadedSource(TypedDict):
    doc_id: str
    title: str
    uploaded_by: str
    uploaded_at: str
    file_name: str


class AskResult(TypedDict):
    text: str
    refused: bool
    citations: list[CitationDict]
    mode: str
    query: str
    notice: str | None
    uploaded_sources: list[UploadedSource]


class AskStreamChunk(TypedDict):
    text: str
    done: bool
    result: AskResult | None


ASK_PARAMETERS = {
    "question": "The question, in Chinese, at most 1000 characters, e.g. 公安机关需配合哪些事项.",
    "history": "Earlier turns of the conversation as [[question, answer_text], ...], oldest first; null for none.",
    "filters": 'Restrict retrieval: {"region": ["西藏自治区", ...], "doc_id": [...]}; null for the whole library.',
    "mode": '"extractive" (quotes, offline), "llm" (needs a configured LLM) or null for the server default.',
}
ASK_RETURNS = ("The answer: text (Markdown with inline 〔…〕 citations), refused (true when the library holds nothing "
               "that answers), citations (each cited clause once: doc_id, doc_title, region, kind, article, paragraph, "
               "label, text), mode, query, notice, uploaded_sources (cited documents that users uploaded: not "
               "official publications).")


def ask(
    question: str,
    history: list[list[str]] | None = None,
    filters: dict[str, list[str]] | None = None,
    mode: str | None = None,
    request: gr.Request = None,
) -> AskResult:
    """Answer a question from the indexed decisions, with verified citations.

    Parameters:
        question: the question.
        history: earlier turns.
        filters: retrieval filters.
        mode: answer mode.
    Returns:
        {"text", "refused", "citations": [...], "mode", "query", "notice", "uploaded_sources": [...]}
    """
    question = _check_question(question)
    pairs = _api_history(history)
    try:
        with _index_lock.read():
            answer = get_assistant().ask(question, history=pairs or None, filters=filters or None, mode=mode or None)
    except Exception as exc:
        raise AppError(_plain_error(exc)) from None
    finally:
        _release_api_session(request)
    return _answer_dict(answer)


def ask_stream(
    question: str,
    history: list[list[str]] | None = None,
    filters: dict[str, list[str]] | None = None,
    mode: str | None = None,
    request: gr.Request = None,
) -> Iterator[AskStreamChunk]:
    """Stream the answer: {"text": the answer so far, "done": false, "result": null} while it is written,
    then {"text", "done": true, "result": the same dict /ask returns}.

    Parameters:
        question: the question.
        history: earlier turns.
        filters: retrieval filters.
        mode: answer mode.
    """
    question = _check_question(question)
    pairs = _api_history(history)
    text = ""
    try:
        with _index_lock.read():
            stream = get_assistant().stream(question, history=pairs or None, filters=filters or None,
                                            mode=mode or None)
            for item in stream:
                if isinstance(item, str):
                    text += item
                    yield {"text": text, "done": False, "result": None}
                else:
                    result = _answer_dict(item)
                    yield {"text": result["text"], "done": True, "result": result}
    except Exception as exc:
        raise AppError(_plain_error(exc)) from None
    finally:
        _release_api_session(request)


def _api_history(history) -> list[tuple[str, str]]:
    try:
        return [(str(q), str(a)) for q, a in (history or [])]
    except (TypeError, ValueError):
        raise AppError("history 应为 [[问题, 回答], ...]。") from None


def _answer_dict(answer) -> dict:
    data = answer.to_dict()
    uploads = _uploads_meta()
    seen, uploaded = set(), []
    for citation in answer.citations:
        meta = uploads.get(citation.doc_id)
        if meta and citation.doc_id not in seen:
            seen.add(citation.doc_id)
            uploaded.append({"doc_id": citation.doc_id, "title": citation.doc_title,
                             "uploaded_by": meta.get("by", ""), "uploaded_at": meta.get("at", ""),
                             "file_name": meta.get("name", "")})
    data["uploaded_sources"] = uploaded
    return data


# Gradio keeps a SessionState (~80 KB: a copy of every component's config) per session, up to 10,000 of
# them. A REST call (/gradio_api/call/ask) is a session of its own, so each question left ~80 KB behind and
# the GC walked ever more objects (RSS +85 KB/question, throughput −25 % in three rounds). Sessions that
# only ever called the API hold no state: they are dropped a few seconds after their last request.
_api_sessions: dict[str, float] = {}
_api_sessions_lock = threading.Lock()
_sweeper: dict = {"thread": None}


def _release_api_session(request) -> None:
    session = getattr(request, "session_hash", None)
    if not session:
        return
    with _api_sessions_lock:
        _api_sessions[session] = time.monotonic()
        if _sweeper["thread"] is None:
            _sweeper["thread"] = threading.Thread(target=_sweep_forever, name="api-session-sweeper", daemon=True)
            _sweeper["thread"].start()


def sweep_api_sessions(idle_s: float = API_SESSION_IDLE_S) -> int:
    """Drop API-only sessions idle for `idle_s`; returns how many were dropped."""
    holder = getattr(demo, "state_holder", None)
    if holder is None:
        return 0
    now = time.monotonic()
    with _api_sessions_lock:
        idle = [s for s, t in _api_sessions.items() if now - t >= idle_s]
        for session in idle:
            del _api_sessions[session]
    dropped = 0
    with holder.lock:
        for session in idle:
            state = holder.session_data.get(session)
            if state is not None and not state.state_data:  # a browser session with chat state is never touched
                del holder.session_data[session]
                holder.time_last_used.pop(session, None)
                dropped += 1
    return dropped


def _sweep_forever() -> None:
    while True:
        time.sleep(API_SESSION_IDLE_S / 2)
        try:
            sweep_api_sessions()
        except Exception:  # never let the sweeper die silently on a Gradio change
            traceback.print_exc()


for _fn in (ask, ask_stream):
    _fn.__annotations__ = get_type_hints(_fn)
ask_stream.__annotations__["return"] = AskStreamChunk


def _check_question(question) -> str:
    question = str(question or "").strip()
    if not question:
        raise AppError("问题不能为空。")
    if len(question) > MAX_QUESTION_CHARS:
        raise AppError(f"问题过长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内。")
    return question


# ---------------------------------------------------------------------------
# Chat
#
# A turn is (question, Answer | error message, scope): scope states the filter it was asked under.


def _warn(message: str) -> None:
    gr.Warning(message, title="提示")


def chat_messages(turns: list, pending: tuple | None = None) -> list[dict]:
    """turns: (question, Answer | error message, scope); pending: (question, partial text, scope)."""
    messages = []
    uploads = _uploads_meta()
    documents = _documents_or_empty()
    for number, turn in enumerate(turns, start=1):
        question, answer, scope = turn[0], turn[1], _scope_of(turn)
        messages.append({"role": "user", "content": render.user_html(question)})
        if isinstance(answer, str):
            body = render.scope_html(scope) + render.error_html(answer)
        else:
            copy = export.to_markdown(export.answer_blocks(question, answer, documents, scope=scope))
            body = _uploaded_notice(answer, uploads) + render.answer_html(answer, number, scope, copy)
        messages.append({"role": "assistant", "content": body})
    if pending is not None:
        messages.append({"role": "user", "content": render.user_html(pending[0])})
        messages.append({"role": "assistant", "content": render.scope_html(pending[2]) + render.partial_html(pending[1])})
    return messages


def _scope_of(turn) -> str | None:
    return turn[2] if len(turn) > 2 else None


def _documents_or_empty() -> dict:
    try:
        return documents_by_id()
    except Exception:  # the panel and exports still show the clauses, without dates
        traceback.print_exc()
        return {}


def sources_panel(turns: list) -> str:
    if all(isinstance(t[1], str) for t in turns):
        return render.SOURCES_EMPTY
    documents = _documents_or_empty()
    uploads = _uploads_meta()
    if uploads:  # an uploaded document says so where its clauses are shown
        from dataclasses import replace

        documents = {d: (replace(doc, status=_uploaded_label(uploads[d])) if d in uploads else doc)
                     for d, doc in documents.items()}
    # Errored turns stay as empty slots so that turn numbers match the chips in the chat.
    return render.sources_html([(t[0], _NO_ANSWER if isinstance(t[1], str) else t[1]) for t in turns], documents)


_NO_ANSWER = SimpleNamespace(citations=(), refused=False, query="", sources=())


def _uploaded_label(meta: dict) -> str:
    return f"用户上传（{meta.get('by', '')}，{meta.get('at', '')[:16].replace('T', ' ')}），非官方发布文本"


def _uploaded_notice(answer, uploads: dict) -> str:
    """A line above an answer that quotes uploaded documents: they are user data, not published law."""
    cited = list(dict.fromkeys(c.doc_id for c in getattr(answer, "citations", ()) if c.doc_id in uploads))
    if not cited:
        return ""
    titles = {c.doc_id: c.doc_title for c in answer.citations}
    names = "、".join(f"《{render.esc(titles[d])}》（{render.esc(_uploaded_label(uploads[d]))}）" for d in cited)
    return f'<div class="jd-notice jd-uploaded">注意：以下回答引用了用户上传的文件 {names}，请与官方发布文本核对。</div>'


def _history(turns: list) -> list[tuple[str, str]]:
    return [(t[0], t[1].text) for t in turns if not isinstance(t[1], str)]


def scope_text(regions, doc_ids) -> str:
    """The filter a question is asked under, in words: 全部决定 / 限定地区：西藏自治区 / 限定决定：《…》."""
    parts = []
    if regions:
        parts.append("限定地区：" + "、".join(regions))
    if doc_ids:
        documents = _documents_or_empty()
        parts.append("限定决定：" + "、".join(f"《{documents[d].title}》" if d in documents else d for d in doc_ids))
    return "；".join(parts) or "全部决定"


STREAM_STEP = 24  # characters shown per step while an answer streams
STREAM_PAUSE_S = 0.03


def _paced(delta: str) -> Iterator[str]:
    """An extractive answer arrives line by line at once: shown a few characters at a time, so it is seen."""
    for i in range(0, len(delta), STREAM_STEP):
        yield delta[i:i + STREAM_STEP]


def _answer(question: str, before: list, regions, doc_ids, mode, after: list | None = None):
    """Stream one answer: yields (chat, question box, sources, turns, turn picker)."""
    scope = scope_text(regions, doc_ids)
    after = after or []
    partial = ""
    yield chat_messages(before, (question, partial, scope)), "", gr.skip(), gr.skip(), gr.skip()
    answer = None
    try:
        with _index_lock.read():
            stream = get_assistant().stream(
                question, history=_history(before) or None, filters=_filters(regions, doc_ids), mode=mode or None
            )
            for item in stream:
                if isinstance(item, str):
                    for piece in _paced(item):
                        partial += piece
                        yield chat_messages(before, (question, partial, scope)), *(gr.skip(),) * 4
                        time.sleep(STREAM_PAUSE_S)
                else:
                    answer = item
        if answer is None:
            answer = "没有得到回答，请重试。"
    except Exception as exc:  # shown in the chat; the conversation goes on
        answer = _plain_error(exc)
    turns = (before + [(question, answer, scope)] + after)[-MAX_TURNS:]
    yield chat_messages(turns), gr.skip(), sources_panel(turns), turns, _turn_choices(turns)


def _turn_choices(turns: list, selected: int | None = None):
    choices = [(f"第{i}问：{t[0][:24]}", i) for i, t in enumerate(turns, start=1)]
    value = selected if selected else (len(turns) if turns else None)
    return gr.update(choices=choices, value=value)


def on_submit(question, turns, regions, doc_ids, mode):
    """Yields the chat outputs and the note under the question box (a limit, said in words; else empty)."""
    try:
        question = _check_question(question)
    except gr.Error as exc:  # the question stays in the box, uncut
        yield (*(gr.skip(),) * 5, render.status_html(exc.message, "bad"))
        return
    first = True
    for outputs in _answer(question, list(turns or []), regions, doc_ids, mode):
        yield (*outputs, "" if first else gr.skip())
        first = False


def on_regenerate(turns, number, regions, doc_ids, mode):
    """Ask turn `number` (1-based; default the last) again, in place, with the turns before it as history."""
    turns = list(turns or [])
    if not turns:
        gr.Info("还没有可以重新生成的问题。", title="提示")
        yield (gr.skip(),) * 5
        return
    number = int(number or len(turns))
    number = min(max(number, 1), len(turns))
    yield from _answer(turns[number - 1][0], turns[:number - 1], regions, doc_ids, mode, turns[number:])


def on_clear():
    return [], "", render.SOURCES_EMPTY, [], gr.update(choices=[], value=None)


# --- conversations kept in the browser


def on_saved(turns, conv_id, store):
    """After each answer: the conversation into the browser's store; returns (store, id, conversation list)."""
    store, conv_id = history.save(store, conv_id, list(turns or []))
    return store, conv_id, gr.update(choices=history.choices(store), value=conv_id)


def _show(turns: list):
    return chat_messages(turns), sources_panel(turns), turns, _turn_choices(turns)


def on_open_conversation(conv_id, store):
    if not conv_id:
        _warn("请先在列表中选择一个对话。")
        return (gr.skip(),) * 6
    turns = history.load(store, conv_id)
    store = dict(store or history.empty_store(), current=conv_id)
    return (*_show(turns), conv_id, store)


def on_new_conversation(store):
    store = dict(store or history.empty_store(), current=None)
    return (*_show([]), None, store, gr.update(value=None))


def on_delete_conversation(conv_id, current, store):
    if not conv_id:
        _warn("请先在列表中选择要删除的对话。")
        return (gr.skip(),) * 7
    store = history.delete(store, conv_id)
    listing = gr.update(choices=history.choices(store), value=None)
    if conv_id == current:
        return (*_show([]), None, store, listing)
    return (*(gr.skip(),) * 4, current, store, listing)


def on_restore(store):
    """On page load: the conversation that was open, and the list of the others."""
    store = store if isinstance(store, dict) else history.empty_store()
    current = store.get("current")
    turns = history.load(store, current) if current else []
    return (*_show(turns), current if turns else None, gr.update(choices=history.choices(store), value=current))


# --- exports


def _export_dir() -> Path:
    path = _staging_dir() / "exports"
    path.mkdir(exist_ok=True)
    return path


def _write_export(blocks, prefix: str, fmt: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(tempfile.mkdtemp(dir=_export_dir()))
    if fmt == "docx":
        path = export.to_docx(blocks, folder / export.export_name(prefix, stamp, ".docx"))
    else:
        path = folder / export.export_name(prefix, stamp, ".md")
        path.write_text(export.to_markdown(blocks), encoding="utf-8")
    return gr.update(value=str(path), visible=True)


def on_export(turns, number, whole: bool, fmt: str):
    turns = [t for t in (turns or [])]
    if not turns:
        _warn("还没有可以导出的回答。")
        return gr.skip()
    documents = _documents_or_empty()
    if whole:
        return _write_export(export.conversation_blocks(turns, documents), "对话", fmt)
    number = min(max(int(number or len(turns)), 1), len(turns))
    turn = turns[number - 1]
    blocks = [("h1", "决定问答 · 回答"), *export.answer_blocks(turn[0], turn[1], documents, scope=_scope_of(turn))]
    return _write_export(blocks, f"第{number}问", fmt)


# --- 对照


def on_compare(doc_ids, aspect):
    doc_ids = list(doc_ids or [])
    aspect = str(aspect or "").strip()
    if len(doc_ids) < 2:
        _warn("请至少选择两部决定进行对照。")
        return gr.skip(), gr.skip()
    if not aspect:
        _warn("请填写要对照的方面，例如：公益诉讼。")
        return gr.skip(), gr.skip()
    if len(aspect) > MAX_ASPECT_CHARS:
        _warn(f"对照的方面过长（{len(aspect)} 字），请控制在 {MAX_ASPECT_CHARS} 字以内。")
        return gr.skip(), gr.skip()
    try:
        with _index_lock.read():
            table = alignment.compare(get_assistant(), doc_ids, aspect)
    except Exception as exc:
        return render.error_html(_plain_error(exc)), None
    return render.compare_html(table), table


def on_export_compare(table, fmt: str):
    if not table:
        _warn("请先生成对照表。")
        return gr.skip()
    return _write_export(export.compare_blocks(table, _documents_or_empty()), "对照", fmt)


# --- reading a decision; the page's links come in through the bridge


def reader_view(doc_id: str | None, clause_id: str | None = None) -> str:
    if not doc_id:
        return render.reader_html(None, [])
    doc = documents_by_id().get(doc_id)
    if doc is None:
        return render.status_html("文库中已没有这部决定。", "bad")
    with _index_lock.read():
        clauses = get_assistant().index.clauses(doc_id)
    return render.reader_html(doc, clauses, clause_id)


def on_read(doc_id):
    return reader_view(doc_id)


def on_bridge(payload, token=None):
    """{"action": "open", "doc", "clause"} → the reader tab; {"action": "delete", "doc"} → remove (admin check)."""
    try:
        data = json.loads(payload or "{}")
    except ValueError:
        data = {}
    action, doc_id = data.get("action"), str(data.get("doc") or "")
    skip_lib = (gr.skip(),) * 8
    if action == "open" and doc_id:
        html = reader_view(doc_id, str(data.get("clause") or ""))
        return (gr.Tabs(selected="reader"), html, gr.update(value=doc_id), *skip_lib)
    if action == "delete" and doc_id:
        return (gr.skip(), gr.skip(), gr.skip(), *on_remove(doc_id, token))
    return (gr.skip(),) * 11


# ---------------------------------------------------------------------------
# Library


def _library_outputs() -> tuple:
    """Table, region filter, decision filter, remove picker, 对照 picker, reader picker, status line."""
    entries = get_assistant().documents()
    _library_changed()
    regions = sorted({e.document.region for e in entries if e.document.region})
    decisions = [(f"{e.document.title}", e.document.doc_id) for e in entries]
    n_clauses = sum(e.n_clauses for e in entries)
    status = render.status_html(f"文库已就绪：{len(entries)} 部决定，{n_clauses} 个条款。")
    return (
        render.library_html(entries, writable=library_access() != "disabled") + _uploads_html(entries),
        gr.update(choices=regions),
        gr.update(choices=decisions),
        gr.update(choices=decisions, value=None),
        gr.update(choices=decisions),
        gr.update(choices=decisions),
        status,
    )


def _uploads_html(entries) -> str:
    uploads = _uploads_meta()
    rows = [
        f"<tr><td>{render.esc(e.document.title)}</td><td>{render.esc(uploads[e.document.doc_id].get('name', ''))}</td>"
        f"<td>{render.esc(uploads[e.document.doc_id].get('by', ''))}</td>"
        f"<td class='jd-date-cell'>{render.esc(uploads[e.document.doc_id].get('at', '')[:19].replace('T', ' '))}</td></tr>"
        for e in entries if e.document.doc_id in uploads
    ]
    if not rows:
        return ""
    return ("<h4>用户上传的文件（非官方发布文本，内容仅作为资料检索）</h4><div class='jd-table-wrap'>"
            "<table class='jd-table' id='jd-uploaded'><thead><tr><th>决定名称</th><th>上传文件名</th><th>上传者</th>"
            f"<th>上传时间（UTC）</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def on_load(progress=gr.Progress()):
    def report(done, total, desc=""):
        progress((done, total), desc=f"正在建立索引：{desc}" if desc else "正在建立索引")

    try:
        get_assistant(progress=report)
    except Exception as exc:
        message = render.status_html(f"文库无法打开：{_plain_error(exc)}", "bad")
        return (*(gr.skip(),) * 6, message, *(gr.skip(),) * 5)
    settings = get_settings()
    if settings.llm_configured:
        default = "llm" if settings.answer_mode in ("auto", "llm") else "extractive"
        mode = gr.update(choices=MODE_CHOICES, value=default, interactive=True, info="大模型回答失败时自动改用摘录。")
    else:
        mode = gr.update(choices=MODE_CHOICES[:1], value="extractive", interactive=False,
                         info="未配置大模型：目前只能摘录原文回答。配置方法见 README.zh.md「大模型」一节。")
    access = library_access()
    writable = access != "disabled"
    return (*_library_outputs(), mode, access_note(), gr.update(visible=access == "token"),
            gr.update(interactive=writable), gr.update(interactive=writable))


# --- uploads: staged for review in a private temp dir, kept under index_dir/uploads by content hash


def _staging_dir() -> Path:
    if _state["uploads"] is None:
        _state["uploads"] = Path(tempfile.mkdtemp(prefix="jueding-uploads-"))
        atexit.register(shutil.rmtree, _state["uploads"], True)
    return _state["uploads"]


def _sweep_staging(max_age_s: float = STAGING_TTL_S) -> None:
    """Staged files nobody added (the page was closed) go after an hour."""
    if _state["uploads"] is None:
        return
    cutoff = time.time() - max_age_s
    for path in _state["uploads"].iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def _discard(*paths) -> None:
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)


def _discard_gradio_copy(path) -> None:
    """Gradio's own copy of an upload (under its upload folder) once we have staged ours."""
    try:
        from gradio.utils import get_upload_folder

        folder = Path(get_upload_folder()).resolve()
        target = Path(path).resolve()
        if folder in target.parents and target.is_file():
            target.unlink()
            if target.parent != folder and not any(target.parent.iterdir()):
                target.parent.rmdir()
    except Exception:  # cleaning is best effort; Gradio's delete_cache sweeps what is left
        pass


def _library_dir() -> Path:
    """Where indexed uploads are kept, next to the index they belong to."""
    path = Path(get_settings().index_dir) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kept_upload_name(digest: str, suffix: str) -> str:
    """The kept copy is named by its content alone: a different file never replaces another by name."""
    suffix = suffix.lower() if suffix.lower() in UPLOAD_SUFFIXES else ".txt"
    return f"upload-{digest[:32]}{suffix}"


def safe_upload_name(original: str, digest: str | None = None) -> str:
    """A file name we choose: a cleaned stem of the user's name, [a content hash,] an allowed suffix."""
    name = original.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in UPLOAD_SUFFIXES:
        suffix = ".txt"
    stem = re.sub(r"[^\w\-]+", "_", stem, flags=re.UNICODE).strip("._-")[:60] or "upload"
    return f"{stem}-{digest[:10]}{suffix}" if digest else f"{stem}{suffix}"


def _stage_upload(path: str, limit_bytes: int) -> tuple[str, Path | None, str | None, str | None]:
    """Copy one upload under a name we choose. Returns (display name, staged path, sha256, error)."""
    display = os.path.basename(str(path))  # Gradio keeps the user's file name as the last part
    suffix = os.path.splitext(display)[1].lower()
    if suffix not in UPLOAD_SUFFIXES:
        return display, None, None, f"不支持的文件类型「{suffix or '无扩展名'}」。支持：{'、'.join(UPLOAD_SUFFIXES)}。"
    size = os.path.getsize(path)
    if size > limit_bytes:
        return display, None, None, f"文件过大（{size / 1048576:.1f} MB），上限为 {limit_bytes / 1048576:g} MB。"
    if size == 0:
        return display, None, None, "文件是空的。"
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    staged = _staging_dir() / safe_upload_name(display, digest)
    shutil.copyfile(path, staged)
    return display, staged, digest, None


def _for_user(message: str, display: str, *paths) -> str:
    """A lower layer's message with our internal file paths replaced by the user's file name."""
    for path in paths:
        for form in (str(path), Path(path).name):
            message = message.replace(form, display)
    message = message.strip()
    for prefix in (f"{display}: ", f"{display}："):
        message = message.removeprefix(prefix)
    return message


_upload_counts: dict[str, deque] = {}
_upload_counts_lock = threading.Lock()


def take_upload_quota(client: str, n: int) -> None:
    """Per request at most UPLOADS_PER_REQUEST files; per client and hour at most UPLOADS_PER_HOUR."""
    if n > UPLOADS_PER_REQUEST:
        raise AppError(f"一次最多上传 {UPLOADS_PER_REQUEST} 个文件（本次 {n} 个），请分批上传。")
    now = time.monotonic()
    with _upload_counts_lock:
        for key in [k for k, q in _upload_counts.items() if not q or now - q[-1][0] > 3600]:
            del _upload_counts[key]
        log = _upload_counts.setdefault(client, deque())
        while log and now - log[0][0] > 3600:
            log.popleft()
        used = sum(count for _, count in log)
        if used + n > UPLOADS_PER_HOUR:
            raise AppError(f"上传过于频繁：每小时最多 {UPLOADS_PER_HOUR} 个文件（已上传 {used} 个），请稍后再试。")
        log.append((now, n))


def on_upload(files, token=None, request: gr.Request = None):
    """Parse the uploaded files for review; nothing is indexed yet."""
    if not files:
        return "", [], gr.update(interactive=False)
    paths = [str(getattr(f, "name", f)) for f in files]
    try:
        check_admin(token)
        take_upload_quota(_client(request), len(paths))
    except gr.Error:
        for path in paths:
            _discard_gradio_copy(path)
        raise
    _sweep_staging()
    settings = get_settings()
    assistant = get_assistant()
    items, pending = [], []
    for path in paths:
        display, staged, digest, error = _stage_upload(path, settings.max_file_bytes)
        _discard_gradio_copy(path)
        if error is None:
            try:
                parsed = assistant.preview(staged)
                items.append({"name": display, "parsed": parsed})
                pending.append((display, str(staged), digest))
                continue
            except Exception as exc:
                error = _for_user(_plain_error(exc), display, staged)
                _discard(staged)
        items.append({"name": display, "error": error})
    button = gr.update(interactive=bool(pending), value=f"加入文库（{len(pending)} 个文件）" if pending else "加入文库")
    return render.preview_html(items), pending, button


def on_clear_upload(pending):
    for entry in pending or ():
        _discard(entry[1])
    return "", [], gr.update(interactive=False, value="加入文库")


# --- the uploads' provenance (who, when, original name): a sidecar next to the kept copies

_uploads_lock = threading.Lock()
_uploads_cache: dict = {"key": None, "data": {}}


def _uploads_file() -> Path:
    return Path(get_settings().index_dir) / "uploads" / "uploads.json"


def _uploads_meta() -> dict:
    """doc_id → {"name", "by", "client", "at", "file", "sha256"} of documents added through the web app."""
    try:
        path = _uploads_file()
        stat = path.stat()
    except (OSError, ValueError):
        return {}
    except Exception:  # settings not readable yet: nothing uploaded that we could know of
        return {}
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if _uploads_cache["key"] != key:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            traceback.print_exc()
            data = {}
        _uploads_cache.update(key=key, data=data if isinstance(data, dict) else {})
    return _uploads_cache["data"]


def _update_uploads(change) -> None:
    with _uploads_lock:
        data = dict(_uploads_meta())
        change(data)
        path = _uploads_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)


# --- adding: a background job; parsing happens per file, each short batch commits under the write lock


class IngestJob:
    def __init__(self, items: list, who: str, client: str):
        self.items = items  # (display, staged path, sha256)
        self.who, self.client = who, client
        self.total = len(items)
        self.done = 0
        self.finished = False
        self.added = self.replaced = self.unchanged = 0
        self.errors: list[tuple[str, str]] = []  # (display, message)
        self.failure: str | None = None
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name="ingest-job", daemon=True)

    def progress_html(self) -> str:
        return render.status_html(
            f"正在加入文库：{self.done}/{self.total} 个文件（{time.monotonic() - self.started:.0f} 秒；问答照常进行）。")

    def _run(self) -> None:
        try:
            self._ingest()
        except Exception as exc:  # reported in the page; the files already committed stay
            self.failure = _plain_error(exc)
        finally:
            for _, staged, _ in self.items:
                _discard(staged)
            self.finished = True

    def _ingest(self) -> None:
        assistant = get_assistant()
        library = _library_dir()
        kept: list[tuple[str, str, Path, bool]] = []  # (display, sha256, kept path, created now)
        for display, staged, digest in self.items:
            path = (library / kept_upload_name(digest, Path(staged).suffix)).resolve()
            created = not path.exists()
            if created:
                tmp = path.with_name(path.name + ".part")
                shutil.copyfile(staged, tmp)
                os.replace(tmp, path)
            kept.append((display, digest, path, created))
        batch, i = 2, 0
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        while i < len(kept):
            chunk = kept[i:i + batch]
            started = time.perf_counter()
            with _index_lock.write():
                result = assistant.add_paths([str(p) for _, _, p, _ in chunk])
            held = time.perf_counter() - started
            by_path = {str(Path(k).resolve()): (outcome, doc_id) for k, outcome, doc_id in result.report.outcomes}
            failed = {str(Path(p).resolve()): message for p, message in result.errors}
            records = {}
            for display, digest, path, created in chunk:
                if str(path) in failed:
                    self.errors.append((display, _for_user(failed[str(path)], display, path)))
                    if created:
                        _discard(path)
                    continue
                outcome, doc_id = by_path.get(str(path), ("", ""))
                if doc_id:
                    records[doc_id] = {"name": display, "by": self.who, "client": self.client, "at": now,
                                       "file": path.name, "sha256": digest}
            self.added += result.added
            self.replaced += result.replaced
            self.unchanged += result.unchanged

            def keep_first(data, records=records):
                for doc_id, meta in records.items():
                    data.setdefault(doc_id, meta)  # the first upload of a document is its provenance

            if records:
                _update_uploads(keep_first)
            i += len(chunk)
            self.done = i
            _library_changed()
            batch = max(1, min(64, int(len(chunk) * JOB_LOCK_HOLD_S / max(held, 1e-3))))
            time.sleep(0.05)  # the questions that waited go first

    def report_html(self) -> str:
        if self.failure:
            head = [(f"加入中断：{self.failure}（已完成 {self.done}/{self.total} 个文件）", "bad")]
        else:
            head = [(f"已加入 {self.added} 部，更新 {self.replaced} 部，未变 {self.unchanged} 部。", "ok")]
        lines = head + [(f"{display}：{message}", "bad") for display, message in self.errors]
        return "".join(render.status_html(text, kind) for text, kind in lines)


_job_lock = threading.Lock()


def start_ingest_job(pending: list, who: str, client: str) -> IngestJob:
    with _job_lock:
        current = _state["job"]
        if current is not None and not current.finished:
            raise AppError(f"另一个加入任务正在进行（{current.done}/{current.total}），请稍后再试。")
        job = IngestJob([tuple(p) for p in pending], who, client)
        _state["job"] = job
        job.thread.start()
    return job


def on_add(pending, token=None, request: gr.Request = None):
    """Index the reviewed files as a background job; yields its progress, then the report and the library."""
    who = check_admin(token)
    if not pending:
        _warn("没有可加入的文件。")
        yield (gr.skip(),) * 12
        return
    job = start_ingest_job(pending, who, _client(request))
    idle = gr.update(interactive=False, value="加入文库")
    yield (job.progress_html(), None, "", [], idle, *(gr.skip(),) * 6, job.progress_html())
    while not job.finished:
        time.sleep(0.5)
        yield (job.progress_html(), *(gr.skip(),) * 10, job.progress_html())
    yield (job.report_html(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), *_library_outputs())


def remove_document(doc_id: str, admin_token: str | None = None) -> dict:
    """Remove a decision from the library (needs the admin token when the app is reachable beyond this machine).

    Parameters:
        doc_id: the document's full id (as listed in the library).
        admin_token: the admin token configured on the server (JUEDING_ADMIN_TOKEN / --admin-token).
    Returns:
        {"doc_id", "title", "removed_clauses"}
    """
    check_admin(admin_token)
    doc_id = str(doc_id or "").strip()
    doc = documents_by_id().get(doc_id)
    if doc is None:
        raise AppError(f"文库中没有编号为「{doc_id}」的决定（需要完整编号）。")
    try:
        with _index_lock.write():
            removed = get_assistant().remove(doc_id)
            _forget_upload(getattr(doc, "source_path", None))
    except Exception as exc:
        raise AppError(f"删除失败：{_plain_error(exc)}") from None
    finally:
        _library_changed()
    if doc_id in _uploads_meta():
        _update_uploads(lambda data: data.pop(doc_id, None))
    return {"doc_id": doc_id, "title": doc.title, "removed_clauses": removed}


def on_remove(doc_id, token=None):
    check_admin(token)
    if not doc_id:
        return (render.status_html("请先选择要删除的决定。", "bad"), *(gr.skip(),) * 7)
    try:
        removed = remove_document(doc_id, token)
    except gr.Error as exc:
        return (render.status_html(exc.message, "bad"), *(gr.skip(),) * 7)
    message = render.status_html(f"已删除《{removed['title']}》（{removed['removed_clauses']} 个条款）。")
    return (message, *_library_outputs())


def _forget_upload(source_path: str | None) -> None:
    """Delete the kept copy of an uploaded file; files anywhere else are never touched."""
    if not source_path:
        return
    path = Path(source_path).resolve()
    if path.parent == _library_dir().resolve() and path.is_file():
        path.unlink()


# ---------------------------------------------------------------------------
# Layout

THEME = gr.themes.Soft(
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)


def _browser_secret() -> str:
    """The key the conversations in the browser are encrypted with: kept beside the indexes, so that they also
    survive a restart of the server (a random one when that folder cannot be written)."""
    import secrets

    base = os.environ.get("JUEDING_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "jueding-qa")
    path = Path(base) / "browser-history.key"
    try:
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(24)
        path.write_text(key, encoding="utf-8")
        path.chmod(0o600)
        return key
    except OSError:
        return secrets.token_urlsafe(24)


def build_demo() -> gr.Blocks:
    # delete_cache: Gradio's copies of uploads older than an hour go every 10 minutes, and all at exit.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(600, 3600)) as demo:
        with gr.Row(elem_classes="jd-header"):
            gr.HTML(
                "<h1>决定问答</h1><p>检索人大常委会关于加强检察机关法律监督工作的决定，每个要点都标注所依据的条款。</p>"
            )
        status = gr.HTML(render.status_html("正在打开文库…"), elem_id="jd-status")
        turns = gr.State([])
        pending = gr.State([])
        conv_id = gr.State(None)
        table_state = gr.State(None)
        store = gr.BrowserState(history.empty_store(), storage_key="jueding-qa-conversations",
                                secret=_browser_secret())

        with gr.Tabs(elem_id="jd-tabs") as tabs:
            with gr.Tab("问答", id="chat"):
                with gr.Row(elem_id="jd-filters"):
                    regions = gr.Dropdown(label="限定地区", choices=[], multiselect=True, elem_id="jd-regions", scale=2)
                    decisions = gr.Dropdown(label="限定决定", choices=[], multiselect=True, elem_id="jd-decisions",
                                            scale=3)
                    mode = gr.Radio(label="回答方式", choices=MODE_CHOICES[:1], value="extractive", elem_id="jd-mode",
                                    scale=2)
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=400):
                        chatbot = gr.Chatbot(
                            elem_id="jd-chat",
                            label="对话",
                            show_label=False,
                            height=520,
                            render_markdown=False,  # messages are HTML we built and escaped ourselves
                            sanitize_html=True,
                            allow_tags=False,
                            latex_delimiters=[],
                            buttons=[],
                            feedback_options=None,
                            placeholder="请输入问题，或点击下方的示例问题。回答中的〔…〕标记可点击，右侧显示所引条文原文。",
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                elem_id="jd-question",
                                show_label=False,
                                placeholder=f"输入问题，例如：公安机关需配合哪些事项（回车发送；最多 {MAX_QUESTION_CHARS} 字）",
                                lines=1,
                                max_lines=4,
                                scale=6,
                                autofocus=True,
                            )
                            ask_btn = gr.Button("提问", variant="primary", scale=1, min_width=70, elem_id="jd-ask")
                            stop_btn = gr.Button("停止", variant="stop", scale=1, min_width=70, elem_id="jd-stop")
                        note = gr.HTML(elem_id="jd-note")
                        with gr.Row(elem_id="jd-toolbar"):
                            turn_pick = gr.Dropdown(label="选择一问", choices=[], elem_id="jd-turn-pick", scale=2,
                                                    min_width=160)
                            retry_btn = gr.Button("重新生成", size="sm", elem_id="jd-retry")
                            word_btn = gr.Button("导出本问 Word", size="sm", elem_id="jd-export-docx")
                            md_btn = gr.Button("导出本问 Markdown", size="sm", elem_id="jd-export-md")
                            conv_word_btn = gr.Button("导出整个对话 Word", size="sm", elem_id="jd-export-conv-docx")
                            conv_md_btn = gr.Button("导出整个对话 Markdown", size="sm", elem_id="jd-export-conv-md")
                            clear_btn = gr.Button("新对话", size="sm", elem_id="jd-clear")
                        export_file = gr.File(label="导出的文件（点击文件名下载）", elem_id="jd-export-file",
                                              interactive=False, visible=False)
                        gr.HTML('<div class="jd-muted jd-examples-head">示例问题（点击即问）</div>')
                        with gr.Row(elem_classes="jd-examples"):
                            example_btns = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes="jd-example") for q in EXAMPLES
                            ]
                        with gr.Accordion("历史对话（保存在本浏览器中）", open=False, elem_id="jd-history"):
                            conv_pick = gr.Dropdown(label="过去的对话", choices=[], elem_id="jd-conv-pick")
                            with gr.Row():
                                conv_open_btn = gr.Button("打开", size="sm", elem_id="jd-conv-open")
                                conv_del_btn = gr.Button("删除", size="sm", variant="stop", elem_id="jd-conv-delete")
                    with gr.Column(scale=2, min_width=360):
                        sources = gr.HTML(render.SOURCES_EMPTY, elem_id="jd-sources")

            with gr.Tab("对照", id="compare"):
                gr.HTML("<p class='jd-muted'>选择两部或更多决定和要对照的方面，得到逐格引用原文的对照表；"
                        "某部决定没有相应规定时明确标出，差异只根据所引原文列出（数额、期限、机关、列举事项）。</p>")
                with gr.Row():
                    cmp_docs = gr.Dropdown(label="对照的决定（至少两部）", choices=[], multiselect=True,
                                           elem_id="jd-cmp-docs", scale=3)
                    cmp_aspect = gr.Dropdown(label="方面（可自行输入，多个用顿号分隔）", choices=ASPECT_SUGGESTIONS,
                                             allow_custom_value=True, elem_id="jd-cmp-aspect", scale=2)
                    cmp_btn = gr.Button("对照", variant="primary", elem_id="jd-cmp-go", scale=1)
                cmp_table = gr.HTML(render.compare_html(None), elem_id="jd-cmp-table")
                with gr.Row():
                    cmp_word_btn = gr.Button("导出对照表 Word", size="sm", elem_id="jd-cmp-docx")
                    cmp_md_btn = gr.Button("导出对照表 Markdown", size="sm", elem_id="jd-cmp-md")
                cmp_file = gr.File(label="导出的文件（点击文件名下载）", elem_id="jd-cmp-file", interactive=False, visible=False)

            with gr.Tab("原文", id="reader"):
                reader_pick = gr.Dropdown(label="选择决定", choices=[], elem_id="jd-reader-pick")
                reader = gr.HTML(render.reader_html(None, []), elem_id="jd-reader")

            with gr.Tab("文库", id="library"):
                access = gr.HTML(elem_id="jd-access")
                admin_token = gr.Textbox(
                    label="管理员口令（修改文库时需要）", type="password", visible=False, elem_id="jd-admin-token",
                    max_lines=1,
                )
                library = gr.HTML(elem_id="jd-library")
                refresh_btn = gr.Button("刷新", size="sm")
                gr.HTML(
                    "<h3>添加决定</h3><p class='jd-muted'>支持 .md .txt .html .docx .pdf。上传后先显示解析出的条款表供核对，"
                    "确认后再加入文库。上传的文件在文库和引用中标明「用户上传」，其内容只作为被检索的资料。</p>"
                )
                files = gr.File(
                    label="上传决定文件",
                    file_count="multiple",
                    type="filepath",
                    elem_id="jd-upload",
                )
                add_btn = gr.Button("加入文库", variant="primary", interactive=False, elem_id="jd-add")
                add_report = gr.HTML(elem_id="jd-add-report")
                review = gr.HTML(elem_id="jd-review")
                gr.HTML("<h3>删除决定</h3><p class='jd-muted'>也可以点击上表中每行的「删除」。</p>")
                with gr.Row():
                    remove_pick = gr.Dropdown(label="选择决定", choices=[], elem_id="jd-remove-pick", scale=4)
                    remove_btn = gr.Button("删除", variant="stop", scale=1, elem_id="jd-remove")
                remove_report = gr.HTML(elem_id="jd-remove-report")

        bridge = gr.Textbox(elem_id="jd-bridge", elem_classes="jd-hidden", show_label=False, container=False)
        bridge_btn = gr.Button("bridge", elem_id="jd-bridge-go", elem_classes="jd-hidden")

        # --- events
        private = {"api_visibility": "private"}
        chat_in = [question, turns, regions, decisions, mode]
        chat_out = [chatbot, question, sources, turns, turn_pick]
        submit_out = [*chat_out, note]
        save = (on_saved, [turns, conv_id, store], [store, conv_id, conv_pick])
        answering = [
            question.submit(on_submit, chat_in, submit_out, **private),
            ask_btn.click(on_submit, chat_in, submit_out, **private),
            retry_btn.click(on_regenerate, [turns, turn_pick, regions, decisions, mode], chat_out, **private),
        ]
        for btn in example_btns:
            answering.append(btn.click(lambda q=btn.value: q, None, question, queue=False, **private).then(
                on_submit, chat_in, submit_out, **private))
        for event in answering:
            event.then(*save, queue=False, **private)
        stop_btn.click(None, None, None, cancels=answering, queue=False, **private)
        clear_btn.click(on_new_conversation, store, [chatbot, sources, turns, turn_pick, conv_id, store, conv_pick],
                        queue=False, **private).then(lambda: "", None, question, queue=False, **private)
        chatbot.clear(on_new_conversation, store, [chatbot, sources, turns, turn_pick, conv_id, store, conv_pick],
                      queue=False, **private)  # the chat's own trash icon: a new conversation, the old one kept
        conv_open_btn.click(on_open_conversation, [conv_pick, store],
                            [chatbot, sources, turns, turn_pick, conv_id, store], **private)
        conv_del_btn.click(on_delete_conversation, [conv_pick, conv_id, store],
                           [chatbot, sources, turns, turn_pick, conv_id, store, conv_pick], **private,
                           js="(c, i, s) => (c && window.confirm('确定删除这个对话？') ? [c, i, s] : [null, i, s])")
        for btn, whole, fmt in ((word_btn, False, "docx"), (md_btn, False, "md"), (conv_word_btn, True, "docx"),
                                (conv_md_btn, True, "md")):
            btn.click(partial(on_export, whole=whole, fmt=fmt), [turns, turn_pick], export_file, **private)
        cmp_btn.click(on_compare, [cmp_docs, cmp_aspect], [cmp_table, table_state], **private)
        cmp_word_btn.click(partial(on_export_compare, fmt="docx"), table_state, cmp_file, **private)
        cmp_md_btn.click(partial(on_export_compare, fmt="md"), table_state, cmp_file, **private)
        reader_pick.input(on_read, reader_pick, reader, **private)

        library_out = [library, regions, decisions, remove_pick, cmp_docs, reader_pick, status]
        demo.load(on_load, None, [*library_out, mode, access, admin_token, files, remove_btn], **private)
        demo.load(on_restore, store, [chatbot, sources, turns, turn_pick, conv_id, conv_pick], **private)
        refresh_btn.click(_library_outputs, None, library_out, **private)
        # Every handler that changes the library checks the admin token itself (check_admin): the
        # confirm dialogs are a courtesy, not the guard.
        bridge_btn.click(on_bridge, [bridge, admin_token], [tabs, reader, reader_pick, remove_report, *library_out],
                         **private).then(None, None, None, js=SCROLL_TO_FOCUS, queue=False, **private)
        files.upload(on_upload, [files, admin_token], [review, pending, add_btn], concurrency_limit=1, **private)
        files.clear(on_clear_upload, pending, [review, pending, add_btn], **private)
        add_btn.click(on_add, [pending, admin_token], [add_report, files, review, pending, add_btn, *library_out],
                      concurrency_limit=1, **private)
        remove_btn.click(
            on_remove, [remove_pick, admin_token], [remove_report, *library_out], concurrency_limit=1,
            js="(d, t) => (d && window.confirm('确定从文库删除这部决定？') ? [d, t] : [null, t])", **private,
        )

        gr.api(ask, api_name="ask", concurrency_limit=16)
        gr.api(ask_stream, api_name="ask_stream", concurrency_limit=16)
        gr.api(remove_document, api_name="remove_document", concurrency_limit=1)
        _describe_api(demo)
    return demo


def _describe_api(demo: gr.Blocks) -> None:
    """Parameter and return descriptions for view_api() (Gradio reads them off the Api components)."""
    for fn in demo.fns.values():
        if fn.api_name in ("ask", "ask_stream"):
            for component, name in zip(fn.inputs, ASK_PARAMETERS, strict=False):
                component._api_info = {**component._api_info, "additional_description": ASK_PARAMETERS[name]}
            for component in fn.outputs:
                component._api_info = {**component._api_info, "description": ASK_RETURNS if fn.api_name == "ask" else
                                       "While streaming: {text (so far), done: false}; last: {text, done: true, "
                                       "result: the /ask result}."}


demo = build_demo()
demo.queue(default_concurrency_limit=16)


# ---------------------------------------------------------------------------
# Command line


def _console_progress():
    from tqdm import tqdm

    bar = {}

    def progress(done: int, total: int, desc: str = "") -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc="建立索引", unit="项", file=sys.stderr)
        b = bar["bar"]
        b.total = total
        if desc:
            b.set_postfix_str(str(desc)[:40], refresh=False)
        b.n = done
        b.refresh()
        if done >= total:
            b.close()

    return progress


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="决定问答 web app")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 = all interfaces)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--index-dir", default=None, help="index directory (default: JUEDING_INDEX_DIR or the data dir)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--admin-token", default=None,
                        help="token that library changes need (default: env JUEDING_ADMIN_TOKEN). Without one the "
                             "library is read-only whenever --host is not loopback or --share is on")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    configure(args.index_dir, admin_token=args.admin_token, host=args.host, share=args.share)
    access = library_access()
    print({"open": "文库可修改（仅本机访问，未设管理员口令）",
           "token": "修改文库需要管理员口令",
           "disabled": "文库只读：对外开放且未设置管理员口令（JUEDING_ADMIN_TOKEN 或 --admin-token）"}[access],
          file=sys.stderr)
    settings = get_settings()
    print(f"打开文库：{settings.index_dir}", file=sys.stderr)
    try:
        assistant = get_assistant(progress=_console_progress())
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    n = len(assistant.documents())
    print(f"文库已就绪：{n} 部决定（{time.perf_counter() - started:.1f} s）", file=sys.stderr)
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        max_file_size=settings.max_file_bytes,
        theme=THEME,
        css=CSS,
        head=HEAD,
        ssr_mode=False,
        footer_links=[],  # Gradio's footer is English whatever the page language; /ask is documented in README
        prevent_thread_lock=True,
    )
    print(f"serving after {time.perf_counter() - started:.1f} s", file=sys.stderr)
    _warm_up(assistant)
    demo.block_thread()


def _warm_up(assistant) -> None:
    """Load the retrieval models now, once serving, so the first question is not the slow one."""
    started = time.perf_counter()
    try:
        with _index_lock.read():
            assistant.retrieve("检察机关法律监督", k=1)
    except Exception as exc:  # the first real question will report it properly
        print(f"warm-up failed: {exc}", file=sys.stderr)
        return
    print(f"retrieval warmed up in {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
