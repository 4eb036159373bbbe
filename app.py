"""决定问答 — the web app: all of its Gradio code.

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR] [--share]

Chat with cited answers, a sources panel, 对照 tables, the decisions' full text, a library tab to add or remove
decisions, exports and conversations kept in the browser. Besides the UI it serves the Gradio endpoints `/ask`
and `/ask_stream` (question → {"text", "refused", "citations", ...}). Importing this module builds the UI only;
the assistant (and its index) opens in `main()` before launch, or on the first request when `demo` is launched
some other way. What has no Gradio in it lives in assistant/: chatview (the chat's content), uploads (staging,
quotas, provenance), jobs (the index lock, ingest jobs), access, apisessions, webapi, webassets, pagehead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import get_type_hints

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue keeps the last GRADIO_ANALYTICS_MAX_EVENTS events (10,000) for its monitoring page and, after
# every event, rebuilds a pandas summary of all of them (GRADIO_ANALYTICS_CACHE_FREQUENCY=1): 4 ms per request
# at first, 9 ms once 10,000 are kept — under 40 clients throughput fell 42 → 32 req/s over two rounds. Kept
# short and summarised once per 1,000 events instead (values set in the environment win).
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from assistant import access, alignment, chatview, export, history, render  # noqa: E402
from assistant.apisessions import ApiSessions  # noqa: E402
from assistant.errors import plain_message  # noqa: E402
from assistant.jobs import IngestJob, JobSlot, ReadWriteLock  # noqa: E402
from assistant.pagehead import EarlyHead  # noqa: E402
from assistant.uploads import Staging, UploadLog, UploadQuota, UploadRefused, discard, discard_within  # noqa: E402
from assistant.uploads import for_user, forget_kept, uploaded_sources  # noqa: E402
from assistant.webapi import ASK_PARAMETERS, ASK_RETURNS, ASK_STREAM_RETURNS, AskResult, AskStreamChunk  # noqa: E402
from assistant.webassets import CSS, EARLY_HEAD, HEAD, SCROLL_TO_FOCUS  # noqa: E402
from store.bulk import DENSE_MODES  # noqa: E402

TITLE = "决定问答 · 检察机关法律监督决定"
EXAMPLES = [
    "公安机关需配合哪些事项",
    "审判机关需配合哪些事项",
    "西藏的决定从什么时候开始施行？",
    "未成年人检察有哪些要求",
    "两地决定对公益诉讼的规定有何不同？",
    "检察建议应当遵循哪些原则",
]
MAX_QUESTION_CHARS = 1000
MAX_ASPECT_CHARS = 100
ASPECT_SUGGESTIONS = ["公益诉讼", "公安机关", "审判机关", "未成年人", "检察建议", "人大常委会", "适用税额", "施行"]
MAX_TURNS = 40  # chat turns kept per session (older ones drop out of the state and the panel)
# Gradio 6 titles its toasts by their type whatever title is given; the page names them in Chinese (EARLY_HEAD).
AppError = partial(gr.Error, title="出错了")
MODE_CHOICES = [("摘录（离线）", "extractive"), ("大模型（LLM）", "llm")]


# ---------------------------------------------------------------------------
# The assistant: opened once, shared by all sessions

_config: dict = {"index_dir": None, "admin_token": None, "host": None, "share": None}
_state: dict = {"assistant": None, "settings": None, "documents": None}
_open_lock = threading.Lock()
_index_lock = ReadWriteLock()  # many answers at once; removing a decision waits for them and runs alone (adding does not: jobs.py)
staging = Staging()  # uploads under review, exports
upload_quota = UploadQuota(per_request=int(os.environ.get("JUEDING_UPLOAD_MAX_FILES", "300")),
                           per_hour=int(os.environ.get("JUEDING_UPLOAD_MAX_PER_HOUR", "1000")))
upload_log = UploadLog(lambda: Path(get_settings().index_dir) / "uploads" / "uploads.json")
jobs = JobSlot()
api_sessions = ApiSessions(lambda: getattr(demo, "state_holder", None), idle_s=5.0,
                           queue=lambda: getattr(demo, "_queue", None))


def configure(index_dir: str | None = None, *, admin_token: str | None = None, host: str | None = None,
              share: bool | None = None) -> None:
    """index_dir; admin_token (else env JUEDING_ADMIN_TOKEN); host/share as launched (else read off `demo`)."""
    _config.update(index_dir=index_dir, admin_token=admin_token or None, host=host, share=share)
    _state.update(assistant=None, settings=None, documents=None)


# ---------------------------------------------------------------------------
# Who may change the library (assistant/access.py): checked here, on the server, in every handler that changes it


def _admin_token() -> str | None:
    return _config["admin_token"] or os.environ.get("JUEDING_ADMIN_TOKEN") or None


def library_access() -> str:
    """'token': changes need the admin token; 'open': loopback only, no token set; 'disabled': read-only.
    Host and share as configured, else as `demo` was launched (exposed when it cannot tell)."""
    share = _config["share"] if _config["share"] is not None else bool(getattr(demo, "share", False))
    host = _config["host"] if _config["host"] is not None else getattr(demo, "server_name", None)
    return access.library_access(_admin_token(), host, share)


def check_admin(token) -> str:
    """Raise gr.Error unless this request may change the library; returns who it is ('管理员' / '本机用户')."""
    try:
        return access.check(library_access(), token, _admin_token())
    except access.AccessDenied as exc:
        raise AppError(str(exc)) from None


def access_note() -> str:
    return render.status_html(*access.NOTES[library_access()])


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


# ---------------------------------------------------------------------------
# The API endpoint


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
        raise AppError(plain_message(exc)) from None
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
        raise AppError(plain_message(exc)) from None
    finally:
        _release_api_session(request)


def _api_history(history) -> list[tuple[str, str]]:
    try:
        return [(str(q), str(a)) for q, a in (history or [])]
    except (TypeError, ValueError):
        raise AppError("history 应为 [[问题, 回答], ...]。") from None


def _answer_dict(answer) -> dict:
    data = answer.to_dict()
    data["uploaded_sources"] = uploaded_sources(answer.citations, upload_log.read())
    return data


def _release_api_session(request) -> None:
    """An API-only session holds no state worth keeping: dropped once idle (see assistant/apisessions.py)."""
    api_sessions.release(getattr(request, "session_hash", None))


for _fn in (ask, ask_stream):
    _fn.__annotations__ = get_type_hints(_fn)
ask_stream.__annotations__["return"] = AskStreamChunk


def _check_question(question) -> str:
    question = str(question or "").strip()
    problem = chatview.question_problem(question, MAX_QUESTION_CHARS)
    if problem:
        raise AppError(problem)
    return question


# ---------------------------------------------------------------------------
# Chat: the content comes from assistant/chatview.py; a turn is (question, Answer | error message, scope)


def _warn(message: str) -> None:
    gr.Warning(message, title="提示")


def _documents_or_empty() -> dict:
    try:
        return documents_by_id()
    except Exception:  # the panel and exports still show the clauses, without dates
        traceback.print_exc()
        return {}


def chat_messages(turns: list, pending: tuple | None = None) -> list[dict]:
    return chatview.chat_messages(turns, pending, documents=_documents_or_empty(), uploads=upload_log.read())


def sources_panel(turns: list) -> str:
    return chatview.sources_panel(turns, documents=_documents_or_empty(), uploads=upload_log.read())


STREAM_STEP = 24  # characters shown per step while an answer streams
STREAM_PAUSE_S = 0.03


def _answer(question: str, before: list, regions, doc_ids, mode, after: list | None = None):
    """Stream one answer: yields (chat, question box, sources, turns, turn picker)."""
    scope = chatview.scope_text(regions, doc_ids, _documents_or_empty())
    after = after or []
    partial = ""
    yield chat_messages(before, (question, partial, scope)), "", gr.skip(), gr.skip(), gr.skip()
    answer = None
    try:
        with _index_lock.read():
            stream = get_assistant().stream(question, history=chatview.history_pairs(before) or None,
                                            filters=chatview.filters(regions, doc_ids), mode=mode or None)
            for item in stream:
                if isinstance(item, str):
                    for piece in chatview.paced(item, STREAM_STEP):
                        partial += piece
                        yield chat_messages(before, (question, partial, scope)), *(gr.skip(),) * 4
                        time.sleep(STREAM_PAUSE_S)
                else:
                    answer = item
        if answer is None:
            answer = "没有得到回答，请重试。"
    except Exception as exc:  # shown in the chat; the conversation goes on
        answer = plain_message(exc)
    turns = (before + [(question, answer, scope)] + after)[-MAX_TURNS:]
    yield chat_messages(turns), gr.skip(), sources_panel(turns), turns, _turn_choices(turns)


def _turn_choices(turns: list, selected: int | None = None):
    value = selected if selected else (len(turns) if turns else None)
    return gr.update(choices=chatview.turn_labels(turns), value=value)


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


def _write_export(blocks, prefix: str, fmt: str):
    path = export.write(blocks, staging.export_folder(), prefix, fmt, datetime.now().strftime("%Y%m%d-%H%M%S"))
    return gr.update(value=str(path), visible=True)


def on_export(turns, number, whole: bool, fmt: str):
    turns = list(turns or [])
    if not turns:
        _warn("还没有可以导出的回答。")
        return gr.skip()
    if whole:
        return _write_export(export.conversation_blocks(turns, _documents_or_empty()), "对话", fmt)
    return _write_export(*export.turn_blocks(turns, number, _documents_or_empty()), fmt)


# --- 对照


def on_compare(doc_ids, aspect):
    doc_ids = list(doc_ids or [])
    aspect = str(aspect or "").strip()
    problem = chatview.compare_problem(doc_ids, aspect, MAX_ASPECT_CHARS)
    if problem:
        _warn(problem)
        return gr.skip(), gr.skip()
    try:
        with _index_lock.read():
            table = alignment.compare(get_assistant(), doc_ids, aspect)
    except Exception as exc:
        return render.error_html(plain_message(exc)), None
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
    assistant = get_assistant()
    read = getattr(assistant, "clauses", None) or assistant.index.clauses  # Assistant.clauses where it has one
    with _index_lock.read():
        clauses = read(doc_id)
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
        render.library_html(entries, writable=library_access() != "disabled")
        + chatview.uploads_table_html(entries, upload_log.read()),
        gr.update(choices=regions),
        gr.update(choices=decisions),
        gr.update(choices=decisions, value=None),
        gr.update(choices=decisions),
        gr.update(choices=decisions),
        status,
    )


def on_load(progress=gr.Progress()):
    def report(done, total, desc=""):
        progress((done, total), desc=f"正在建立索引：{desc}" if desc else "正在建立索引")

    try:
        get_assistant(progress=report)
    except Exception as exc:
        message = render.status_html(f"文库无法打开：{plain_message(exc)}", "bad")
        return (*(gr.skip(),) * 6, message, *(gr.skip(),) * 5)
    settings = get_settings()
    if settings.llm_configured:
        default = "llm" if settings.answer_mode in ("auto", "llm") else "extractive"
        mode = gr.update(choices=MODE_CHOICES, value=default, interactive=True, info="大模型回答失败时自动改用摘录。")
    else:
        mode = gr.update(choices=MODE_CHOICES[:1], value="extractive", interactive=False,
                         info="未配置大模型：目前只能摘录原文回答。配置方法见 README.zh.md「大模型」一节。")
    level = library_access()
    writable = level != "disabled"
    return (*_library_outputs(), mode, access_note(), gr.update(visible=level == "token"),
            gr.update(interactive=writable), gr.update(interactive=writable))


# --- uploads: staged for review (assistant/uploads.py), then added as a background job (assistant/jobs.py)


def _discard_gradio_copy(path) -> None:
    """Gradio's own copy of an upload once we have staged ours (Gradio's delete_cache sweeps what is left)."""
    from gradio.utils import get_upload_folder

    discard_within(path, get_upload_folder())


def _library_dir() -> Path:
    """Where indexed uploads are kept, next to the index they belong to."""
    return Path(get_settings().index_dir) / "uploads"


def on_upload(files, token=None, request: gr.Request = None):
    """Parse the uploaded files for review; nothing is indexed yet."""
    if not files:
        return "", [], gr.update(interactive=False)
    paths = [str(getattr(f, "name", f)) for f in files]
    try:
        check_admin(token)
        upload_quota.take(_client(request), len(paths))
    except (gr.Error, UploadRefused) as exc:
        for path in paths:
            _discard_gradio_copy(path)
        if isinstance(exc, UploadRefused):
            raise AppError(str(exc)) from None
        raise
    staging.sweep()
    settings = get_settings()
    assistant = get_assistant()
    items, pending = [], []
    for path in paths:
        display, staged, digest, error = staging.stage(path, settings.max_file_bytes)
        _discard_gradio_copy(path)
        if error is None:
            try:
                parsed = assistant.preview(staged)
                items.append({"name": display, "parsed": parsed})
                pending.append((display, str(staged), digest))
                continue
            except Exception as exc:
                error = for_user(plain_message(exc), display, staged)
                discard(staged)
        items.append({"name": display, "error": error})
    button = gr.update(interactive=bool(pending), value=f"加入文库（{len(pending)} 个文件）" if pending else "加入文库")
    return render.preview_html(items), pending, button


def on_clear_upload(pending):
    for entry in pending or ():
        discard(entry[1])
    return "", [], gr.update(interactive=False, value="加入文库")


def start_ingest_job(pending: list, who: str, client: str) -> IngestJob:
    dense = os.environ.get("JUEDING_UPLOAD_DENSE", "auto")  # as `ingest add --dense`: auto, all or none
    job = IngestJob(pending, who, client, assistant=get_assistant(), library_dir=_library_dir(), log=upload_log,
                    plain_error=plain_message, on_change=_library_changed,
                    dense=dense if dense in DENSE_MODES else "auto")
    try:
        return jobs.start(job)
    except UploadRefused as exc:
        raise AppError(str(exc)) from None


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
    running = jobs.current
    if running is not None and not running.finished:  # else it would wait for the job, holding every question
        raise AppError(f"正在加入文库（{running.done}/{running.total}），请等加入完成后再删除。")
    doc_id = str(doc_id or "").strip()
    doc = documents_by_id().get(doc_id)
    if doc is None:
        raise AppError(f"文库中没有编号为「{doc_id}」的决定（需要完整编号）。")
    try:
        with _index_lock.write():
            removed = get_assistant().remove(doc_id)
            forget_kept(getattr(doc, "source_path", None), _library_dir())
    except Exception as exc:
        raise AppError(f"删除失败：{plain_message(exc)}") from None
    finally:
        _library_changed()
    upload_log.forget(doc_id)
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


# ---------------------------------------------------------------------------
# Layout

THEME = gr.themes.Soft(
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)


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
                                secret=history.browser_secret())

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
                access_box = gr.HTML(elem_id="jd-access")
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
        demo.load(on_load, None, [*library_out, mode, access_box, admin_token, files, remove_btn], **private)
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
                returns = ASK_RETURNS if fn.api_name == "ask" else ASK_STREAM_RETURNS
                component._api_info = {**component._api_info, "description": returns}


demo = build_demo()
demo.queue(default_concurrency_limit=16)


# ---------------------------------------------------------------------------
# Command line


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
    print(access.CONSOLE[library_access()], file=sys.stderr)
    settings = get_settings()
    print(f"打开文库：{settings.index_dir}", file=sys.stderr)
    try:
        from assistant.cli import console_progress

        assistant = get_assistant(progress=console_progress("建立索引"))
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
        app_kwargs={"middleware": [Middleware(EarlyHead, snippet=EARLY_HEAD)]},  # Chinese before Gradio starts
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
