"""决定问答 — the web app.

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR] [--share]

Chat with cited answers, a sources panel, and a library tab to add or remove decisions.
Besides the UI it serves the Gradio endpoint `/ask` (question → {"text", "refused", "citations"}).
Importing this module builds the UI only; the assistant (and its index) opens in `__main__`
before launch, or on the first request when `demo` is launched some other way.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant import render  # noqa: E402

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
MODE_CHOICES = [("摘录（离线）", "extractive"), ("大模型（LLM）", "llm")]


# ---------------------------------------------------------------------------
# The assistant: opened once, shared by all sessions


class _ReadWriteLock:
    """Many answers at once; adding or removing a decision waits for them and runs alone."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self):
        with self._cond:
            while self._writing:
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
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


_config: dict = {"index_dir": None}
_state: dict = {"assistant": None, "settings": None, "documents": None, "uploads": None}
_open_lock = threading.Lock()
_index_lock = _ReadWriteLock()


def configure(index_dir: str | None = None) -> None:
    _config["index_dir"] = index_dir
    _state.update(assistant=None, settings=None, documents=None)


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


def ask(
    question: str,
    history: list[list[str]] | None = None,
    filters: dict | None = None,
    mode: str | None = None,
) -> dict:
    """Answer a question from the indexed decisions.

    history: earlier turns as [[question, answer_text], ...]; filters: {"region": [...], "doc_id": [...]};
    mode: "extractive" | "llm" | null. Returns {"text", "refused", "citations": [...], ...}.
    """
    question = _check_question(question)
    pairs = [(str(q), str(a)) for q, a in (history or [])]
    try:
        with _index_lock.read():
            answer = get_assistant().ask(question, history=pairs or None, filters=filters or None, mode=mode or None)
    except Exception as exc:
        raise gr.Error(_plain_error(exc)) from None
    return answer.to_dict()


def _check_question(question) -> str:
    question = str(question or "").strip()
    if not question:
        raise gr.Error("问题不能为空。")
    if len(question) > MAX_QUESTION_CHARS:
        raise gr.Error(f"问题过长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内。")
    return question


# ---------------------------------------------------------------------------
# Chat


def chat_messages(turns: list, pending: tuple[str, str] | None = None) -> list[dict]:
    """turns: (question, Answer | error message) pairs; pending: (question, partial text)."""
    messages = []
    for number, (question, answer) in enumerate(turns, start=1):
        messages.append({"role": "user", "content": render.user_html(question)})
        body = render.error_html(answer) if isinstance(answer, str) else render.answer_html(answer, number)
        messages.append({"role": "assistant", "content": body})
    if pending is not None:
        messages.append({"role": "user", "content": render.user_html(pending[0])})
        messages.append({"role": "assistant", "content": render.partial_html(pending[1])})
    return messages


def sources_panel(turns: list) -> str:
    if all(isinstance(a, str) for _, a in turns):
        return render.SOURCES_EMPTY
    try:
        documents = documents_by_id()
    except Exception:  # the panel still shows the clauses, without dates
        traceback.print_exc()
        documents = {}
    # Errored turns stay as empty slots so that turn numbers match the chips in the chat.
    return render.sources_html([(q, _NO_ANSWER if isinstance(a, str) else a) for q, a in turns], documents)


_NO_ANSWER = SimpleNamespace(citations=(), refused=False, query="", sources=())


def _history(turns: list) -> list[tuple[str, str]]:
    return [(q, a.text) for q, a in turns if not isinstance(a, str)]


def _answer(question: str, turns: list, regions, doc_ids, mode):
    """Stream one answer: yields (chat, question box, sources, turns)."""
    partial = ""
    yield chat_messages(turns, (question, partial)), "", gr.skip(), turns
    answer = None
    try:
        with _index_lock.read():
            stream = get_assistant().stream(
                question, history=_history(turns) or None, filters=_filters(regions, doc_ids), mode=mode or None
            )
            for item in stream:
                if isinstance(item, str):
                    partial += item
                    yield chat_messages(turns, (question, partial)), gr.skip(), gr.skip(), gr.skip()
                else:
                    answer = item
        if answer is None:
            answer = "没有得到回答，请重试。"
    except Exception as exc:  # shown in the chat; the conversation goes on
        answer = _plain_error(exc)
    turns = turns + [(question, answer)]
    yield chat_messages(turns), gr.skip(), sources_panel(turns), turns


def on_submit(question, turns, regions, doc_ids, mode):
    try:
        question = _check_question(question)
    except gr.Error as exc:
        gr.Warning(exc.message)
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    yield from _answer(question, turns or [], regions, doc_ids, mode)


def on_retry(turns, regions, doc_ids, mode):
    if not turns:
        gr.Info("还没有可以重试的问题。")
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    question = turns[-1][0]
    yield from _answer(question, turns[:-1], regions, doc_ids, mode)


def on_clear():
    return [], "", render.SOURCES_EMPTY, []


# ---------------------------------------------------------------------------
# Library


def _library_outputs() -> tuple:
    """Table, region filter, decision filter, remove picker, status line."""
    entries = get_assistant().documents()
    _library_changed()
    regions = sorted({e.document.region for e in entries if e.document.region})
    decisions = [(f"{e.document.title}", e.document.doc_id) for e in entries]
    n_clauses = sum(e.n_clauses for e in entries)
    status = render.status_html(f"文库已就绪：{len(entries)} 部决定，{n_clauses} 个条款。")
    return (
        render.library_html(entries),
        gr.update(choices=regions),
        gr.update(choices=decisions),
        gr.update(choices=decisions, value=None),
        status,
    )


def on_load(progress=gr.Progress()):
    def report(done, total, desc=""):
        progress((done, total), desc=f"正在建立索引：{desc}" if desc else "正在建立索引")

    try:
        get_assistant(progress=report)
    except Exception as exc:
        message = render.status_html(f"文库无法打开：{_plain_error(exc)}", "bad")
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), message, gr.skip()
    settings = get_settings()
    if settings.llm_configured:
        default = "llm" if settings.answer_mode in ("auto", "llm") else "extractive"
        mode = gr.update(choices=MODE_CHOICES, value=default, interactive=True, info="大模型回答失败时自动改用摘录。")
    else:
        mode = gr.update(choices=MODE_CHOICES[:1], value="extractive", interactive=False,
                         info="未配置大模型（见 README：JUEDING_LLM_BASE_URL / JUEDING_LLM_MODEL）。")
    return (*_library_outputs(), mode)


def _staging_dir() -> Path:
    if _state["uploads"] is None:
        _state["uploads"] = Path(tempfile.mkdtemp(prefix="jueding-uploads-"))
    return _state["uploads"]


def _library_dir() -> Path:
    """Where indexed uploads are kept, next to the index they belong to."""
    path = Path(get_settings().index_dir) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def _stage_upload(path: str, limit_bytes: int) -> tuple[str, Path | None, str | None]:
    """Copy one upload under a safe name for review. Returns (display name, staged path, error)."""
    display = os.path.basename(str(path))  # Gradio keeps the user's file name as the last part
    suffix = os.path.splitext(display)[1].lower()
    if suffix not in UPLOAD_SUFFIXES:
        return display, None, f"不支持的文件类型「{suffix or '无扩展名'}」。支持：{'、'.join(UPLOAD_SUFFIXES)}。"
    size = os.path.getsize(path)
    if size > limit_bytes:
        return display, None, f"文件过大（{size / 1048576:.1f} MB），上限为 {limit_bytes / 1048576:g} MB。"
    if size == 0:
        return display, None, "文件是空的。"
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    staged = _staging_dir() / safe_upload_name(display, digest)
    shutil.copyfile(path, staged)
    return display, staged, None


def _for_user(message: str, display: str, *paths) -> str:
    """A lower layer's message with our internal file paths replaced by the user's file name."""
    for path in paths:
        for form in (str(path), Path(path).name):
            message = message.replace(form, display)
    message = message.strip()
    for prefix in (f"{display}: ", f"{display}："):
        message = message.removeprefix(prefix)
    return message


def on_upload(files):
    """Parse the uploaded files for review; nothing is indexed yet."""
    if not files:
        return "", [], gr.update(interactive=False)
    settings = get_settings()
    assistant = get_assistant()
    items, pending = [], []
    for f in files:
        path = getattr(f, "name", f)
        display, staged, error = _stage_upload(str(path), settings.max_file_bytes)
        if error is None:
            try:
                parsed = assistant.preview(staged)
                items.append({"name": display, "parsed": parsed})
                pending.append((display, str(staged)))
                continue
            except Exception as exc:
                error = _for_user(_plain_error(exc), display, staged)
        items.append({"name": display, "error": error})
    button = gr.update(interactive=bool(pending), value=f"加入文库（{len(pending)} 个文件）" if pending else "加入文库")
    return render.preview_html(items), pending, button


def on_add(pending, progress=gr.Progress()):
    """Index the reviewed files. An upload with the same (cleaned) name as an earlier one replaces it."""
    if not pending:
        gr.Warning("没有可加入的文件。")
        return (gr.skip(),) * 10

    def report(done, total, desc=""):
        progress((done, total), desc="正在建立索引")

    progress(0, desc="正在建立索引")
    names: dict[str, tuple[str, str]] = {}
    try:
        with _index_lock.write():
            for display, staged in pending:
                kept = (_library_dir() / safe_upload_name(display)).resolve()
                if str(kept) in names:  # two files of this batch clean to the same name
                    kept = kept.with_name(Path(staged).name)
                shutil.copyfile(staged, kept)
                names[str(kept)] = (display, staged)
            result = get_assistant().add_paths(list(names), progress=report)
            for path, _ in result.errors:
                Path(path).unlink(missing_ok=True)
    except Exception as exc:
        message = render.status_html(f"加入失败：{_plain_error(exc)}", "bad")
        return (message, *(gr.skip(),) * 9)
    lines = [(f"已加入 {result.added} 部，更新 {result.replaced} 部，未变 {result.unchanged} 部。", "ok")]
    for path, message in result.errors:
        display, staged = names.get(str(Path(path).resolve()), (os.path.basename(str(path)), path))
        lines.append((f"{display}：{_for_user(message, display, path, staged)}", "bad"))
    report_html = "".join(render.status_html(text, kind) for text, kind in lines)
    return (report_html, None, "", [], gr.update(interactive=False, value="加入文库"), *_library_outputs())


def on_remove(doc_id):
    if not doc_id:
        return (render.status_html("请先选择要删除的决定。", "bad"), *(gr.skip(),) * 5)
    doc = documents_by_id().get(doc_id)
    try:
        with _index_lock.write():
            removed = get_assistant().remove(doc_id)
            _forget_upload(getattr(doc, "source_path", None))
    except Exception as exc:
        return (render.status_html(f"删除失败：{_plain_error(exc)}", "bad"), *(gr.skip(),) * 5)
    message = render.status_html(f"已删除《{doc.title if doc else doc_id}》（{removed} 个条款）。")
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

CSS = """
.gradio-container { max-width: 1500px !important; }
.jd-header h1 { font-size: 1.5rem; margin: 0; }
.jd-header p { margin: .2rem 0 0; color: var(--body-text-color-subdued); }
.jd-status { font-size: .9rem; padding: .35rem .7rem; border-radius: 6px; margin: .2rem 0; }
.jd-status-ok { background: #eef6ee; color: #1d5b25; }
.jd-status-bad { background: #fdecec; color: #8a1c1c; }
.jd-examples button { font-size: .85rem !important; border-radius: 999px !important; }
#jd-chat .jd-answer, #jd-chat .jd-refusal, #jd-chat .jd-footnotes { white-space: normal; }
#jd-chat .jd-answer p { margin: .3rem 0; }
#jd-chat .jd-answer ul, #jd-chat .jd-answer ol { margin: .3rem 0; padding-left: 1.4rem; }
#jd-chat .jd-answer li { margin: .25rem 0; }
#jd-chat .jd-answer li p { margin: 0; }
.jd-examples-head { margin-top: .4rem; }
.jd-examples { flex-wrap: wrap; gap: .4rem !important; }
.jd-examples button { flex: 0 1 auto !important; min-width: 0 !important; }
#jd-chat .jd-answer h1, #jd-chat .jd-answer h2, #jd-chat .jd-answer h3, #jd-chat .jd-answer h4 { font-size: 1rem; margin: .6rem 0 .3rem; }
#jd-chat .jd-answer table { border-collapse: collapse; font-size: .9rem; }
#jd-chat .jd-answer td, #jd-chat .jd-answer th { border: 1px solid var(--border-color-primary); padding: .25rem .45rem; vertical-align: top; }
a.jd-cite, a.jd-fn { text-decoration: none; color: #0b5394; background: #e8f0fb; border-radius: 4px; padding: 0 .2rem; cursor: pointer; white-space: nowrap; }
a.jd-cite:hover, a.jd-fn:hover { background: #cfe0f7; }
a.jd-cite sup, a.jd-fn sup { font-weight: 700; margin-left: .1rem; }
.jd-cite-group { color: #0b5394; }
.jd-footnotes { border-top: 1px dashed var(--border-color-primary); margin-top: .5rem; padding-top: .3rem; font-size: .85rem; }
.jd-footnotes ol { margin: .2rem 0 0 1.2rem; padding: 0; list-style: none; }
.jd-footnotes li { margin: .15rem 0; }
.jd-fn-title { color: var(--body-text-color-subdued); margin-left: .4rem; }
.jd-fn-head, .jd-refusal-title, .jd-error-title { font-weight: 700; }
.jd-refusal { border-left: 4px solid #c98a00; background: #fff7e0; padding: .4rem .7rem; border-radius: 4px; color: #5c4200; }
.jd-notice { border-left: 4px solid #6b7fa8; background: #eef2fa; padding: .3rem .6rem; margin-bottom: .4rem; font-size: .9rem; }
.jd-error { border-left: 4px solid #b42318; background: #fdecec; padding: .4rem .7rem; color: #7a1a12; }
.jd-cursor { animation: jd-blink 1s steps(2) infinite; }
.jd-wait { color: var(--body-text-color-subdued); }
@keyframes jd-blink { 50% { opacity: 0; } }
#jd-sources { max-height: 82vh; overflow-y: auto; position: sticky; top: 8px; }
.jd-sources-head { font-weight: 700; font-size: 1.05rem; margin-bottom: .4rem; }
.jd-turn { margin-bottom: .8rem; }
.jd-turn-q { font-weight: 600; margin: .3rem 0; cursor: default; }
details.jd-turn > summary { cursor: pointer; color: var(--body-text-color-subdued); }
.jd-turn-no { display: inline-block; background: #444; color: #fff; border-radius: 3px; padding: 0 .3rem; margin-right: .4rem; font-size: .8rem; }
.jd-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem; margin: .45rem 0; background: var(--background-fill-primary); scroll-margin-top: 12px; }
.jd-src.jd-flash { animation: jd-flash 1.6s ease-out; }
@keyframes jd-flash { 0% { box-shadow: 0 0 0 3px #f5b400; } 100% { box-shadow: 0 0 0 0 transparent; } }
.jd-src-head { display: flex; gap: .5rem; align-items: baseline; }
.jd-num { font-weight: 700; color: #0b5394; }
.jd-label { font-weight: 700; }
.jd-region { color: var(--body-text-color-subdued); font-size: .85rem; }
.jd-src-title { font-size: .85rem; color: var(--body-text-color-subdued); margin: .15rem 0; }
.jd-src-part { font-size: .8rem; color: var(--body-text-color-subdued); }
.jd-src-text p { margin: .3rem 0; line-height: 1.65; white-space: pre-wrap; }
.jd-src-text p.jd-context { color: var(--body-text-color-subdued); font-size: .88rem; }
.jd-src-text p.jd-cited { border-left: 3px solid #0b5394; padding-left: .5rem; }
.jd-src-text mark { background: #ffe58a; padding: 0 1px; border-radius: 2px; }
.jd-src-meta { font-size: .8rem; color: var(--body-text-color-subdued); margin-top: .3rem; }
.jd-muted { color: var(--body-text-color-subdued); font-size: .9rem; }
.jd-table-wrap { overflow-x: auto; }
.jd-table { border-collapse: collapse; width: 100%; font-size: .88rem; }
.jd-table th, .jd-table td { border: 1px solid var(--border-color-primary); padding: .3rem .45rem; text-align: left; vertical-align: top; }
.jd-table th { background: var(--background-fill-secondary); white-space: nowrap; }
.jd-title-cell { min-width: 16rem; }
.jd-num-cell { text-align: right; }
.jd-date-cell { white-space: nowrap; }
.jd-id-cell code { font-size: .75rem; word-break: break-all; }
.jd-clause-text { white-space: pre-wrap; }
.jd-upload { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem; margin: .5rem 0; }
.jd-upload-bad { border-color: #e3a29b; background: #fff5f4; }
.jd-upload-name { font-weight: 700; }
.jd-upload-error { color: #8a1c1c; }
.jd-facts { display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .88rem; margin: .3rem 0; }
.jd-clauses { max-height: 420px; }
"""

# Citation chips: bring the clause into view (open its folded turn first) and flash it.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.jd-cite, a.jd-fn") : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  var target = document.getElementById((link.getAttribute("href") || "").replace(/^#/, ""));
  if (!target) return;
  var folded = target.closest("details");
  if (folded) folded.open = true;
  target.scrollIntoView({ behavior: "smooth", block: "start" });
  target.classList.remove("jd-flash");
  void target.offsetWidth;
  target.classList.add("jd-flash");
}, true);
</script>
"""

THEME = gr.themes.Soft(
    font=["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)


def build_demo() -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        with gr.Row(elem_classes="jd-header"):
            gr.HTML(
                "<h1>决定问答</h1><p>检索人大常委会关于加强检察机关法律监督工作的决定，每个要点都标注所依据的条款。</p>"
            )
        status = gr.HTML(render.status_html("正在打开文库…"), elem_id="jd-status")
        turns = gr.State([])
        pending = gr.State([])

        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="jd-chat",
                            label="对话",
                            show_label=False,
                            height=600,
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
                                placeholder="输入问题，例如：公安机关需配合哪些事项（回车发送）",
                                lines=1,
                                max_lines=4,
                                max_length=MAX_QUESTION_CHARS,
                                scale=6,
                                autofocus=True,
                            )
                            ask_btn = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="jd-ask")
                        with gr.Row():
                            retry_btn = gr.Button("重试", size="sm", elem_id="jd-retry")
                            clear_btn = gr.Button("清空对话", size="sm", elem_id="jd-clear")
                        gr.HTML('<div class="jd-muted jd-examples-head">示例问题（点击即问）</div>')
                        with gr.Row(elem_classes="jd-examples"):
                            example_btns = [
                                gr.Button(q, size="sm", variant="secondary", elem_classes="jd-example") for q in EXAMPLES
                            ]
                        with gr.Accordion("检索范围与回答方式", open=True):
                            with gr.Row():
                                regions = gr.Dropdown(
                                    label="限定地区", choices=[], multiselect=True, elem_id="jd-regions"
                                )
                                decisions = gr.Dropdown(
                                    label="限定决定", choices=[], multiselect=True, elem_id="jd-decisions"
                                )
                            mode = gr.Radio(
                                label="回答方式", choices=MODE_CHOICES[:1], value="extractive", elem_id="jd-mode"
                            )
                    with gr.Column(scale=2, min_width=360):
                        sources = gr.HTML(render.SOURCES_EMPTY, elem_id="jd-sources")

            with gr.Tab("文库", id="library"):
                library = gr.HTML(elem_id="jd-library")
                refresh_btn = gr.Button("刷新", size="sm")
                gr.HTML(
                    "<h3>添加决定</h3><p class='jd-muted'>支持 .md .txt .html .docx .pdf。上传后先显示解析出的条款表供核对，"
                    "确认后再加入文库。</p>"
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
                gr.HTML("<h3>删除决定</h3>")
                with gr.Row():
                    remove_pick = gr.Dropdown(label="选择决定", choices=[], elem_id="jd-remove-pick", scale=4)
                    remove_btn = gr.Button("删除", variant="stop", scale=1, elem_id="jd-remove")
                remove_report = gr.HTML(elem_id="jd-remove-report")

        # --- events
        private = {"api_visibility": "private"}
        chat_in = [question, turns, regions, decisions, mode]
        chat_out = [chatbot, question, sources, turns]
        question.submit(on_submit, chat_in, chat_out, **private)
        ask_btn.click(on_submit, chat_in, chat_out, **private)
        retry_btn.click(on_retry, [turns, regions, decisions, mode], chat_out, **private)
        clear_btn.click(on_clear, None, chat_out, queue=False, **private)
        chatbot.clear(on_clear, None, chat_out, queue=False, **private)  # the chat's own trash icon
        for btn in example_btns:
            btn.click(lambda q=btn.value: q, None, question, queue=False, **private).then(
                on_submit, chat_in, chat_out, **private
            )

        library_out = [library, regions, decisions, remove_pick, status]
        demo.load(on_load, None, [*library_out, mode], **private)
        refresh_btn.click(_library_outputs, None, library_out, **private)
        files.upload(on_upload, files, [review, pending, add_btn], concurrency_limit=1, **private)
        files.clear(lambda: ("", [], gr.update(interactive=False, value="加入文库")), None,
                    [review, pending, add_btn], **private)
        add_btn.click(on_add, pending, [add_report, files, review, pending, add_btn, *library_out],
                      concurrency_limit=1, **private)
        remove_btn.click(
            on_remove, remove_pick, [remove_report, *library_out], concurrency_limit=1,
            js="(d) => (d && window.confirm('确定从文库删除这部决定？') ? d : null)", **private,
        )

        gr.api(ask, api_name="ask", concurrency_limit=16)
    return demo


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
    args = parser.parse_args(argv)

    started = time.perf_counter()
    configure(args.index_dir)
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
        footer_links=["api"],
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
