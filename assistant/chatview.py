"""The chat tab's content from the conversation's turns: messages, the sources panel, the scope line, the
uploaded-document notices. Pure functions, no Gradio.

A turn is (question, Answer | error message, scope): scope states the filter it was asked under.
`documents` maps doc_id → Document; `uploads` is the UploadLog's doc_id → provenance.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from types import SimpleNamespace

from assistant import export, render
from assistant.uploads import uploaded_label

NO_ANSWER = SimpleNamespace(citations=(), refused=False, query="", sources=())


def question_problem(question: str, limit: int) -> str | None:
    """What stops a question from being asked, in words (None when it may be)."""
    if not question:
        return "问题不能为空。"
    if len(question) > limit:
        return f"问题过长（{len(question)} 字），请控制在 {limit} 字以内。"
    return None


def compare_problem(doc_ids, aspect: str, limit: int) -> str | None:
    """What stops a 对照 from being made, in words (None when it may be)."""
    if len(doc_ids or ()) < 2:
        return "请至少选择两部决定进行对照。"
    if not aspect:
        return "请填写要对照的方面，例如：公益诉讼。"
    if len(aspect) > limit:
        return f"对照的方面过长（{len(aspect)} 字），请控制在 {limit} 字以内。"
    return None


def scope_of(turn) -> str | None:
    return turn[2] if len(turn) > 2 else None


def scope_text(regions, doc_ids, documents: dict) -> str:
    """The filter a question is asked under, in words: 全部决定 / 限定地区：西藏自治区 / 限定决定：《…》."""
    parts = []
    if regions:
        parts.append("限定地区：" + "、".join(regions))
    if doc_ids:
        parts.append("限定决定：" + "、".join(f"《{documents[d].title}》" if d in documents else d for d in doc_ids))
    return "；".join(parts) or "全部决定"


def filters(regions, doc_ids) -> dict | None:
    out = {}
    if regions:
        out["region"] = list(regions)
    if doc_ids:
        out["doc_id"] = list(doc_ids)
    return out or None


def history_pairs(turns: Sequence) -> list[tuple[str, str]]:
    """(question, answer text) of the answered turns, for the next question's history."""
    return [(t[0], t[1].text) for t in turns if not isinstance(t[1], str)]


def turn_labels(turns: Sequence) -> list[tuple[str, int]]:
    return [(f"第{i}问：{t[0][:24]}", i) for i, t in enumerate(turns, start=1)]


def paced(delta: str, step: int) -> Iterator[str]:
    """An extractive answer arrives line by line at once: shown `step` characters at a time, so it is seen."""
    for i in range(0, len(delta), step):
        yield delta[i:i + step]


def uploaded_notice(answer, uploads: dict) -> str:
    """A line above an answer that quotes uploaded documents: they are user data, not published law."""
    cited = list(dict.fromkeys(c.doc_id for c in getattr(answer, "citations", ()) if c.doc_id in uploads))
    if not cited:
        return ""
    titles = {c.doc_id: c.doc_title for c in answer.citations}
    names = "、".join(f"《{render.esc(titles[d])}》（{render.esc(uploaded_label(uploads[d]))}）" for d in cited)
    return f'<div class="jd-notice jd-uploaded">注意：以下回答引用了用户上传的文件 {names}，请与官方发布文本核对。</div>'


def chat_messages(turns: Sequence, pending: tuple | None = None, *, documents: dict, uploads: dict) -> list[dict]:
    """The chat's messages; pending: (question, partial text, scope) of the answer being written."""
    messages = []
    for number, turn in enumerate(turns, start=1):
        question, answer, scope = turn[0], turn[1], scope_of(turn)
        messages.append({"role": "user", "content": render.user_html(question)})
        if isinstance(answer, str):
            body = render.scope_html(scope) + render.error_html(answer)
        else:
            copy = export.to_markdown(export.answer_blocks(question, answer, documents, scope=scope))
            body = uploaded_notice(answer, uploads) + render.answer_html(answer, number, scope, copy)
        messages.append({"role": "assistant", "content": body})
    if pending is not None:
        messages.append({"role": "user", "content": render.user_html(pending[0])})
        messages.append({"role": "assistant",
                         "content": render.scope_html(pending[2]) + render.partial_html(pending[1])})
    return messages


def sources_panel(turns: Sequence, *, documents: dict, uploads: dict) -> str:
    if all(isinstance(t[1], str) for t in turns):
        return render.SOURCES_EMPTY
    if uploads:  # an uploaded document says so where its clauses are shown
        documents = {d: (replace(doc, status=uploaded_label(uploads[d])) if d in uploads else doc)
                     for d, doc in documents.items()}
    # Errored turns stay as empty slots so that turn numbers match the chips in the chat.
    return render.sources_html([(t[0], NO_ANSWER if isinstance(t[1], str) else t[1]) for t in turns], documents)


def uploads_table_html(entries: Sequence, uploads: dict) -> str:
    """Below the library: the decisions users uploaded, with file name, who and when."""
    rows = []
    for entry in entries:
        meta = uploads.get(entry.document.doc_id)
        if meta is None:
            continue
        rows.append(f"<tr><td>{render.esc(entry.document.title)}</td><td>{render.esc(meta.get('name', ''))}</td>"
                    f"<td>{render.esc(meta.get('by', ''))}</td>"
                    f"<td class='jd-date-cell'>{render.esc(meta.get('at', '')[:19].replace('T', ' '))}</td></tr>")
    if not rows:
        return ""
    return ("<h4>用户上传的文件（非官方发布文本，内容仅作为资料检索）</h4><div class='jd-table-wrap'>"
            "<table class='jd-table' id='jd-uploaded'><thead><tr><th>决定名称</th><th>上传文件名</th><th>上传者</th>"
            f"<th>上传时间（UTC）</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
