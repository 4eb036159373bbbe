"""HTML for the web app: answers with citation chips, the sources panel, library tables.

Pure functions, no Gradio. Every string that comes from a user or a document goes through
`esc()` (or markdown-it with raw HTML off) before it becomes markup; the app never renders
a user's or a document's text any other way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date
from urllib.parse import urlparse

from ingest.tokenize import QUESTION_FILLERS, query_terms, tokenize

# 〔《西藏…决定》第十六条第三款〕, possibly several references: 〔《A》第十一条；《B》第十六条〕
CITE_MARKER = re.compile(r"〔([^〔〕\n]{1,300})〕")
_PART_SPLIT = re.compile(r"[；;，,、]\s*")
_TITLE = re.compile(r"《([^《》]{1,120})》")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_PRIVATE = re.compile("[\ue000\ue001]")

KIND_NAMES = {"article": "条文", "preamble": "序言", "note": "题注", "closing": "施行条款"}

_md = None


def esc(value) -> str:
    """Text → HTML text (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_url(url: str | None) -> str | None:
    """The URL when it is plain http(s), else None (no javascript:, data:, relative paths)."""
    if not url:
        return None
    url = str(url).strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return None
    return url if parsed.scheme in ("http", "https") and parsed.netloc else None


def fmt_date(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.year}年{value.month}月{value.day}日"


def effective_text(doc) -> str:
    if doc is None:
        return ""
    if getattr(doc, "effective_date", None):
        return fmt_date(doc.effective_date)
    if getattr(doc, "effective_on_publication", False):
        return "自公布之日起施行"
    return ""


def document_facts(doc) -> list[tuple[str, str]]:
    """(label, value) of what is known about a decision: 通过, 施行, 状态 (plain text, not escaped)."""
    facts = []
    if doc is not None:
        if getattr(doc, "adoption_date", None):
            facts.append(("通过", fmt_date(doc.adoption_date)))
        effective = effective_text(doc)
        if effective:
            facts.append(("施行", effective))
        if getattr(doc, "status", None):
            facts.append(("状态", doc.status))
    return facts


# ---------------------------------------------------------------------------
# Markdown (answer text) → HTML, raw HTML off


def _markdown():
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True, "typographer": False})
        md.enable("table").disable(["image", "link", "autolink", "html_inline", "html_block"])
        _md = md
    return _md


def markdown_html(text: str) -> str:
    """A subset of Markdown (headings, lists, emphasis, quotes, tables) with all HTML escaped."""
    return _render(_PRIVATE.sub("", text or ""))


def _render(text: str) -> str:
    # The chat shows messages with pre-wrapped white space: drop the newlines between tags.
    return _markdown().render(text).replace(">\n<", "><").strip()


# ---------------------------------------------------------------------------
# Citations in the answer text


def _title_score(title: str, citation) -> float:
    """How well a short title 《西藏…决定》 names the citation's decision (0..1)."""
    full = f"{citation.doc_title}{citation.region}"
    if not title:
        return 0.5
    if title in full or citation.region and citation.region in title:
        return 1.0
    shared = sum(1 for ch in set(title) if ch in full)
    return shared / max(len(set(title)), 1)


def _match(title: str, label: str, citations: Sequence) -> int | None:
    """Index of the citation a (title, label) reference names, or None."""

    def best(candidates):
        scored = [(_title_score(title, c), i) for i, c in candidates]
        scored = [s for s in scored if s[0] >= 0.5]
        return max(scored, key=lambda s: (s[0], -s[1]))[1] if scored else None

    exact = [(i, c) for i, c in enumerate(citations) if c.label == label]
    found = best(exact)
    if found is None and label:
        loose = [
            (i, c)
            for i, c in enumerate(citations)
            if c.label and (c.label.startswith(label) or label.startswith(c.label))
        ]
        found = best(loose)
    return found


match_citation = _match  # public name: which citation a (title, label) reference names


def split_marker(inner: str) -> list[tuple[str, str]]:
    """〔《A》第十一条；第十二条〕 → [("A", "第十一条"), ("A", "第十二条")]."""
    parts, title = [], ""
    for piece in _PART_SPLIT.split(inner):
        piece = piece.strip()
        if not piece:
            continue
        m = _TITLE.search(piece)
        if m:
            title = m.group(1).strip()
            label = (piece[: m.start()] + piece[m.end() :]).strip()
        else:
            label = piece
        parts.append((title, label))
    return parts


def anchor_id(turn: int, number: int) -> str:
    return f"jd-src-{turn}-{number}"


def preview_text(citation, limit: int = 160) -> str:
    """A chip's hover preview: the clause, cut at `limit` characters."""
    text = " ".join((getattr(citation, "text", "") or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


def _chip(turn: int, number: int, text: str, cls: str = "jd-cite", citation=None) -> str:
    hover = f"[{number}] {preview_text(citation)}" if citation is not None else f"查看引用条文 [{number}]"
    return (
        f'<a class="{cls}" href="#{anchor_id(turn, number)}" title="{esc(hover)}">'
        f"{esc(text)}<sup>[{number}]</sup></a>"
    )


def open_link(citation, text: str = "全文") -> str:
    """A link that opens the whole decision at the cited clause (handled by the page's script)."""
    return (f'<a class="jd-open" href="{esc(open_href(citation.doc_id, getattr(citation, "clause_id", "")))}" '
            f'title="打开决定全文并定位到该条">{esc(text)}</a>')


def open_href(doc_id: str, clause_id: str | None = "") -> str:
    """#jd-open/DOC/CLAUSE: the chat's sanitizer keeps a link's href (not its data- attributes)."""
    return f"#jd-open/{doc_id}/{clause_id or ''}"


def cite_chips(text: str, citations: Sequence, turn: int) -> tuple[str, list[str]]:
    """Replace each 〔…〕 marker with a placeholder; return the text and the chip HTML for each."""
    chips: list[str] = []

    def repl(m: re.Match) -> str:
        pieces, plain = [], True
        for title, label in split_marker(m.group(1)):
            index = _match(title, label, citations)
            shown = f"《{title}》{label}" if title else label
            if index is None:
                pieces.append(esc(shown))
            else:
                plain = False
                pieces.append(_chip(turn, index + 1, shown, citation=citations[index]))
        if plain:
            return m.group(0)
        chips.append(f'<span class="jd-cite-group">〔{"；".join(pieces)}〕</span>')
        return f"\ue000{len(chips) - 1}\ue001"

    return CITE_MARKER.sub(repl, _PRIVATE.sub("", text or "")), chips


ANSWER_SCOPE_LINE = re.compile(r"^（检索范围：[^）\n]*）")


def scope_html(scope: str | None) -> str:
    return f'<div class="jd-scope">检索范围：{esc(scope)}</div>' if scope else ""


def answer_html(answer, turn: int, scope: str | None = None, copy_text: str | None = None) -> str:
    """A finished Answer as chat HTML: the scope it searched, text with chips, footnotes, a copy button."""
    text = (getattr(answer, "text", "") or "").strip()
    citations = list(getattr(answer, "citations", []) or [])
    notice = getattr(answer, "notice", None)
    out = [scope_html(scope)]
    if copy_text is not None:
        out.append('<div class="jd-tools"><span class="jd-copy" role="button" tabindex="0" title="复制本条回答（含完整出处）">'
                   f'复制</span><span class="jd-copy-src">{esc(copy_text)}</span></div>')
    if notice:
        out.append(f'<div class="jd-notice">{esc(notice)}</div>')
        text = text.removeprefix(notice).strip()
    if scope:  # the page states the scope above the answer; the answer's own statement of it would repeat it
        text = ANSWER_SCOPE_LINE.sub("", text, count=1).strip()
    if getattr(answer, "refused", False):
        body = markdown_html(text or "现有决定中未找到与该问题相关的规定。")
        out.append(f'<div class="jd-refusal"><div class="jd-refusal-title">未找到依据</div>{body}</div>')
        return "".join(out)
    marked, chips = cite_chips(text or "（没有生成回答。）", citations, turn)
    body = _PLACEHOLDER.sub(lambda m: chips[int(m.group(1))], _render(marked))
    out.append(f'<div class="jd-answer">{body}</div>')
    if citations:
        items = "".join(
            f"<li>{_chip(turn, i + 1, f'{c.region} · {c.label}', 'jd-fn', c)}"
            f'<span class="jd-fn-title">{esc(c.doc_title)}</span> {open_link(c)}</li>'
            for i, c in enumerate(citations)
        )
        out.append(f'<div class="jd-footnotes"><div class="jd-fn-head">引用条文</div><ol>{items}</ol></div>')
    return "".join(out)


def partial_html(text: str) -> str:
    """An answer still streaming: plain Markdown, markers as text, a cursor."""
    body = markdown_html(text) if text else '<p class="jd-wait">正在检索相关条文…</p>'
    return f'<div class="jd-answer jd-streaming">{body}<span class="jd-cursor">▍</span></div>'


def user_html(text: str) -> str:
    return f'<div class="jd-question">{esc(text).replace(chr(10), "<br>")}</div>'


def error_html(message: str) -> str:
    return f'<div class="jd-error"><div class="jd-error-title">出错了</div>{esc(message)}</div>'


# ---------------------------------------------------------------------------
# Sources panel


def highlight_terms(question: str) -> tuple[list[str], list[str]]:
    """(terms, joiners) for highlighting: the question's query terms, plus its stopword bigrams,
    which are marked only where they touch a term (公安机关 whole, not every 机关)."""
    terms = query_terms(question or "")
    text = question or ""
    for filler in QUESTION_FILLERS:
        text = text.replace(filler, " ")
    joiners = [t for t in tokenize(text) if t not in terms and len(t) > 1]
    return terms, joiners


def _spans(lower: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for term in {t.lower() for t in terms if t}:
        start = lower.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = lower.find(term, start + 1)
    return spans


def _merge(spans: Iterable[tuple[int, int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def highlight(text: str, terms: Iterable[str], joiners: Iterable[str] = ()) -> str:
    """Escaped text with every occurrence of the terms wrapped in <mark>."""
    text = text or ""
    lower = text.lower()
    merged = _merge(_spans(lower, terms))
    if merged:
        extra = [(s, e) for s, e in _spans(lower, joiners) if any(s < me and e > ms for ms, me in merged)]
        merged = _merge([*map(tuple, merged), *extra])
    out, pos = [], 0
    for s, e in merged:
        out.append(esc(text[pos:s]))
        out.append(f"<mark>{esc(text[s:e])}</mark>")
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def _paragraphs_html(text: str, terms) -> str:
    return "".join(f"<p>{highlight(p, *terms)}</p>" for p in (text or "").split("\n") if p.strip())


def _article_html(citation, article, terms) -> str:
    """The whole article, the cited paragraph (款) marked and the others dimmed."""
    paragraphs = list(getattr(article, "paragraphs", ()) or ())
    n = citation.paragraph
    if not article or not n or len(paragraphs) < n or paragraphs[n - 1].strip() != (citation.text or "").strip():
        return _paragraphs_html(citation.text, terms)
    out = []
    for i, para in enumerate(paragraphs, start=1):
        cls = "jd-cited" if i == n else "jd-context"
        out.append(f'<p class="{cls}">{highlight(para, *terms)}</p>')
    return "".join(out)


_PARAGRAPH_SUFFIX = re.compile(r"p\d+$")


def article_of(citation, sources: Iterable) -> object | None:
    """The full article a paragraph citation (第十六条第三款) was cut from, when among `sources`."""
    if not citation.paragraph:
        return None
    wanted = _PARAGRAPH_SUFFIX.sub("", citation.clause_id or "")
    return next((c for c in sources or () if getattr(c, "clause_id", None) == wanted), None)


def source_card(citation, number: int, turn: int, doc, terms: tuple[list[str], list[str]], article=None) -> str:
    meta = [f"{label}：{esc(value)}" for label, value in document_facts(doc)]
    if doc is not None:
        url = safe_url(getattr(doc, "source_url", None))
        if url:
            meta.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">来源</a>')
    meta.append(open_link(citation, "阅读全文"))
    part = getattr(citation, "part", None)
    part_html = f'<div class="jd-src-part">{esc(part)}</div>' if part else ""
    return (
        f'<article class="jd-src" id="{anchor_id(turn, number)}">'
        f'<div class="jd-src-head"><span class="jd-num">[{number}]</span>'
        f'<span class="jd-label">{esc(citation.label)}</span>'
        f'<span class="jd-region">{esc(citation.region)}</span></div>'
        f'<div class="jd-src-title">{esc(citation.doc_title)}</div>{part_html}'
        f'<div class="jd-src-text">{_article_html(citation, article, terms)}</div>'
        f'<div class="jd-src-meta">{" · ".join(meta)}</div></article>'
    )


SOURCES_EMPTY = (
    '<div class="jd-sources"><div class="jd-sources-head">引用条文</div>'
    '<p class="jd-muted">提问后，这里列出回答所引用的每一条原文（决定名称、条款、全文、通过与施行日期、效力状态）。'
    "点击回答中的引用标记可定位到对应条文。</p></div>"
)


def sources_html(turns: Sequence, documents: dict) -> str:
    """All turns' citations, latest first; earlier turns folded. `turns`: (question, Answer) pairs."""
    if not turns:
        return SOURCES_EMPTY
    blocks = []
    for turn in range(len(turns), 0, -1):
        question, answer = turns[turn - 1]
        citations = list(getattr(answer, "citations", []) or [])
        terms = highlight_terms(getattr(answer, "query", "") or question)
        if citations:
            sources = getattr(answer, "sources", ()) or ()
            cards = "".join(
                source_card(c, i + 1, turn, documents.get(c.doc_id), terms, article_of(c, sources))
                for i, c in enumerate(citations)
            )
        elif getattr(answer, "refused", False):
            cards = '<p class="jd-muted">未找到相关条文。</p>'
        else:
            cards = '<p class="jd-muted">本次回答没有引用条文。</p>'
        summary = f'<span class="jd-turn-no">第{turn}问</span>{esc(question)}'
        if turn == len(turns):
            blocks.append(f'<section class="jd-turn"><div class="jd-turn-q">{summary}</div>{cards}</section>')
        else:
            blocks.append(f'<details class="jd-turn"><summary class="jd-turn-q">{summary}</summary>{cards}</details>')
    return f'<div class="jd-sources"><div class="jd-sources-head">引用条文</div>{"".join(blocks)}</div>'


# ---------------------------------------------------------------------------
# Library


def status_text(doc, today: date | None = None) -> str:
    """The recorded status, else 有效 when the decision is in force by its dates (marked as inferred)."""
    if getattr(doc, "status", None):
        return doc.status
    today = today or date.today()
    effective = getattr(doc, "effective_date", None)
    if getattr(doc, "effective_on_publication", False) or (effective and effective <= today):
        return "有效（按施行日期推定）"
    if effective and effective > today:
        return "尚未施行"
    return "未标注"


def library_html(entries: Sequence, writable: bool = True) -> str:
    """One row per decision: title, region, dates, status, article count, source, open, delete."""
    if not entries:
        return '<p class="jd-muted">文库为空。请在下方上传决定文件。</p>'
    rows = []
    for entry in entries:
        d = entry.document
        url = safe_url(d.source_url)
        link = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">来源</a>' if url else "—"
        n_articles = getattr(entry, "n_articles", None)
        count = int(n_articles) if n_articles is not None else int(entry.n_clauses)
        delete = (f'<a class="jd-lib-del" href="#jd-del/{esc(d.doc_id)}" title="从文库删除这部决定">删除</a>'
                  if writable else "")
        rows.append(
            f'<tr data-doc="{esc(d.doc_id)}">'
            f'<td class="jd-title-cell">{esc(d.title)}</td><td>{esc(d.region)}</td>'
            f'<td class="jd-date-cell">{esc(fmt_date(d.adoption_date)) or "—"}</td>'
            f'<td class="jd-date-cell">{esc(effective_text(d)) or "—"}</td><td>{esc(status_text(d))}</td>'
            f'<td class="jd-num-cell">{count}</td><td class="jd-date-cell">{link}</td>'
            f'<td class="jd-actions"><a class="jd-lib-open" href="{esc(open_href(d.doc_id))}" title="阅读全文">打开</a>'
            f"{delete}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("决定名称", "地区", "通过日期", "施行", "状态", "条款数", "来源", "操作"))
    return (f'<div class="jd-table-wrap"><table class="jd-table" id="jd-library-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


# ---------------------------------------------------------------------------
# A whole decision, the cited clause marked


def clause_anchor(clause_id: str) -> str:
    return "jd-cl-" + re.sub(r"[^0-9A-Za-z_-]", "-", clause_id or "")


def reader_html(doc, clauses: Sequence, focus: str | None = None) -> str:
    """The decision's full text, clause by clause; the `focus` clause (or the article it belongs to) marked."""
    if doc is None:
        return '<p class="jd-muted">从回答的「全文」链接、引用条文或文库的「打开」进入，这里显示决定全文并标出所引条款。</p>'
    focus = focus or ""
    article_of_focus = _PARAGRAPH_SUFFIX.sub("", focus)
    facts = [("地区", doc.region), ("通过", fmt_date(doc.adoption_date)), ("施行", effective_text(doc)),
             ("状态", status_text(doc))]
    facts_html = "".join(f"<span><b>{k}</b>：{esc(v) or '—'}</span>" for k, v in facts)
    url = safe_url(doc.source_url)
    if url:
        facts_html += f'<span><a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">来源</a></span>'
    ids = {c.clause_id for c in clauses}
    target = focus if focus in ids else article_of_focus if article_of_focus in ids else ""
    paragraph = int(focus[len(article_of_focus) + 1:]) if target != focus and focus != article_of_focus else 0
    body, part = [], None
    for c in clauses:
        if c.part and c.part != part:
            part = c.part
            body.append(f'<div class="jd-reader-part">{esc(part)}</div>')
        cid = c.clause_id or ""
        hit = bool(target) and cid == target
        cls = "jd-reader-clause jd-hl" if hit else "jd-reader-clause"
        label = f'<span class="jd-reader-label">{esc(c.label)}</span>' if c.kind == "article" else ""
        paras = [p for p in (c.text or "").split("\n") if p.strip()]
        text = "".join(f'<p class="jd-hl-para">{esc(p)}</p>' if hit and i == paragraph else f"<p>{esc(p)}</p>"
                       for i, p in enumerate(paras, start=1))
        body.append(f'<div class="{cls}" id="{clause_anchor(cid)}">{label}{text}</div>')
    return (f'<div class="jd-reader" data-focus="{esc(clause_anchor(target)) if target else ""}">'
            f'<h3 class="jd-reader-title">{esc(doc.title)}</h3><div class="jd-facts">{facts_html}</div>'
            f'{"".join(body)}</div>')


# ---------------------------------------------------------------------------
# 对照 table


def compare_html(table: dict | None) -> str:
    if not table:
        return ('<p class="jd-muted">选择两部或更多决定，填写要对照的方面（如 公益诉讼、公安机关、适用税额；多个方面用顿号分隔），'
                "点击「对照」。每一格是该决定的原文摘录及出处，没有相应规定的格子会明确标出。</p>")
    docs = table["documents"]
    head = "<th>方面</th>" + "".join(
        f'<th>《{esc(d["title"])}》<div class="jd-muted">{esc(d["region"])} · 通过 {esc(fmt_date(d.get("adoption_date")))}'
        f'</div></th>' for d in docs)
    rows = []
    for row in table["rows"]:
        cells = [f'<th class="jd-aspect">{esc(row["aspect"])}</th>']
        for cell in row["cells"]:
            if not cell:
                cells.append('<td class="jd-missing">无相应规定</td>')
                continue
            items = "".join(
                f'<div class="jd-cmp-item"><div class="jd-cmp-quote">{esc(item["quote"])}</div>'
                f'<div class="jd-cmp-cite">〔{esc(item["citation"])}〕 {open_link(_Ref(item))}</div></div>'
                for item in cell)
            cells.append(f"<td>{items}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    diffs = "".join(f"<li>{esc(d)}</li>" for d in table["differences"]) or         "<li>所引条文中未发现数额、期限、机关或列举事项上的差异。</li>"
    return (f'<div class="jd-table-wrap"><table class="jd-table jd-compare" id="jd-compare-table"><thead><tr>{head}</tr>'
            f'</thead><tbody>{"".join(rows)}</tbody></table></div>'
            f'<div class="jd-diffs"><div class="jd-fn-head">差异（据所引原文）</div><ul>{diffs}</ul></div>')


class _Ref:
    def __init__(self, item: dict):
        self.doc_id, self.clause_id = item["doc_id"], item["clause_id"]


def clause_table_html(clauses: Sequence, limit: int = 400) -> str:
    rows = "".join(
        f"<tr><td>{esc(c.label)}</td><td>{esc(KIND_NAMES.get(c.kind, c.kind))}</td>"
        f'<td class="jd-clause-text">{esc(c.text)}</td></tr>'
        for c in list(clauses)[:limit]
    )
    more = f'<p class="jd-muted">（仅显示前 {limit} 条）</p>' if len(clauses) > limit else ""
    return (
        '<table class="jd-table jd-clauses"><thead><tr><th>条款</th><th>类型</th><th>原文</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{more}"
    )


def preview_html(items: Sequence[dict]) -> str:
    """Review of uploaded files: items are {name, parsed} or {name, error}."""
    if not items:
        return ""
    cards = []
    for item in items:
        name = esc(item["name"])
        if item.get("error"):
            cards.append(
                f'<div class="jd-upload jd-upload-bad"><div class="jd-upload-name">✗ {name}</div>'
                f'<div class="jd-upload-error">{esc(item["error"])}</div></div>'
            )
            continue
        parsed = item["parsed"]
        d = parsed.document
        facts = [
            ("标题", d.title),
            ("地区", d.region),
            ("通过日期", fmt_date(d.adoption_date)),
            ("施行", effective_text(d)),
            ("状态", d.status or ""),
            ("条款数", str(len(parsed.clauses))),
        ]
        facts_html = "".join(f"<span><b>{k}</b>：{esc(v) or '—'}</span>" for k, v in facts)
        warnings = "".join(f"<li>{esc(w)}</li>" for w in getattr(d, "warnings", ()) or ())
        warn_html = f'<ul class="jd-warnings">{warnings}</ul>' if warnings else ""
        cards.append(
            f'<div class="jd-upload jd-upload-ok"><div class="jd-upload-name">✓ {name}</div>'
            f'<div class="jd-facts">{facts_html}</div>{warn_html}'
            f"<details open><summary>条款表（请核对）</summary>{clause_table_html(parsed.clauses)}</details></div>"
        )
    return "".join(cards)


def status_html(message: str, kind: str = "ok") -> str:
    return f'<div class="jd-status jd-status-{esc(kind)}">{esc(message)}</div>'
