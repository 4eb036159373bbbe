"""Answers, conversations and 对照 tables as Markdown and Word (.docx) files for a memo.

Pure functions, no Gradio, no printing. Every 〔…〕 citation marker in an answer is written out in full
(〔《西藏自治区人民代表大会常务委员会关于加强新时代检察机关法律监督工作的决定》第十六条第三款〕), the quoted clauses follow
with their full citations, and a list of the cited decisions gives adoption/effective dates and the source URL.

Both formats are rendered from one list of blocks: ("h1"|"h2"|"h3"|"p"|"li"|"quote", text) or
("table", header, rows). In text, **…** is bold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from assistant.render import CITE_MARKER, document_facts, match_citation, safe_url, split_marker

Block = tuple


def full_citation(citation) -> str:
    """《full title》第十六条第三款."""
    return f"《{citation.doc_title}》{citation.label}"


def expand_markers(text: str, citations: Sequence) -> str:
    """Each 〔《西藏…决定》第十六条〕 marker with the decisions' full titles."""

    def repl(m: re.Match) -> str:
        parts = []
        for title, label in split_marker(m.group(1)):
            index = match_citation(title, label, citations)
            parts.append(full_citation(citations[index]) if index is not None else
                         (f"《{title}》{label}" if title else label))
        return f"〔{'；'.join(parts)}〕"

    return CITE_MARKER.sub(repl, text or "")


def text_blocks(text: str) -> list[Block]:
    """Markdown-ish answer text → blocks (headings, list items, paragraphs)."""
    blocks: list[Block] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(("- ", "* ", "+ ")):
            blocks.append(("li", line[2:].strip()))
        elif line.startswith("#"):
            blocks.append(("h3", line.lstrip("#").strip()))
        elif line.startswith(">"):
            blocks.append(("quote", line.lstrip(">").strip()))
        else:
            blocks.append(("p", line))
    return blocks


def decision_line(doc, title: str = "", region: str = "") -> str:
    """《title》（地区）通过：…；施行：…；状态：…；来源：URL."""
    title = getattr(doc, "title", None) or title
    facts = []
    region = getattr(doc, "region", None) or region
    if region:
        facts.append(f"地区：{region}")
    if doc is not None:
        facts.extend(f"{label}：{value}" for label, value in document_facts(doc))
        url = safe_url(getattr(doc, "source_url", None))
        facts.append(f"来源：{url}" if url else "来源：未记录")
    return f"《{title}》" + (f"（{'；'.join(facts)}）" if facts else "")


def decisions_blocks(citations: Iterable, documents: dict) -> list[Block]:
    seen: dict[str, object] = {}
    for c in citations:
        seen.setdefault(c.doc_id, c)
    if not seen:
        return []
    blocks: list[Block] = [("h3", "所引决定")]
    for doc_id, c in seen.items():
        blocks.append(("li", decision_line(documents.get(doc_id), c.doc_title, c.region)))
    return blocks


def answer_blocks(question: str, answer, documents: dict, *, number: int | None = None,
                  scope: str | None = None, decisions: bool = True) -> list[Block]:
    """One question and its answer: the text with full citations, the quoted clauses, the decisions."""
    head = f"第{number}问：{question}" if number else f"问：{question}"
    blocks: list[Block] = [("h2", head)]
    if scope:
        blocks.append(("p", f"检索范围：{scope}"))
    if isinstance(answer, str):  # an error shown in the chat
        return blocks + [("p", f"（未得到回答：{answer}）")]
    citations = list(getattr(answer, "citations", []) or [])
    if getattr(answer, "refused", False):
        return blocks + [("p", "未找到依据。"), *text_blocks(answer.text)]
    blocks += text_blocks(expand_markers(answer.text, citations))
    if citations:
        blocks.append(("h3", "引用条文"))
        for i, c in enumerate(citations, start=1):
            blocks.append(("quote", f"[{i}] {c.text}"))
            blocks.append(("p", f"——{full_citation(c)}"))
        if decisions:
            blocks += decisions_blocks(citations, documents)
    return blocks


def conversation_blocks(turns: Sequence, documents: dict, title: str = "决定问答 · 对话记录") -> list[Block]:
    """turns: (question, Answer | error message[, scope]) in order."""
    blocks: list[Block] = [("h1", title)]
    cited = []
    for number, turn in enumerate(turns, start=1):
        question, answer = turn[0], turn[1]
        scope = turn[2] if len(turn) > 2 else None
        blocks += answer_blocks(question, answer, documents, number=number, scope=scope, decisions=False)
        cited += list(getattr(answer, "citations", []) or [])
    return blocks + decisions_blocks(cited, documents)


def compare_blocks(table: dict, documents: dict | None = None) -> list[Block]:
    """A 对照 table (assistant.alignment.compare) as blocks."""
    docs = table["documents"]
    blocks: list[Block] = [("h1", f"对照：{table['aspect']}")]
    header = ["方面", *(f"《{d['title']}》" for d in docs)]
    rows = []
    for row in table["rows"]:
        cells = [row["aspect"]]
        for cell in row["cells"]:
            if not cell:
                cells.append("【无相应规定】")
            else:
                cells.append("\n".join(f"{item['quote']}〔{item['citation']}〕" for item in cell))
        rows.append(cells)
    blocks.append(("table", header, rows))
    blocks.append(("h3", "差异"))
    blocks += [("li", d) for d in table["differences"]] or [("p", "所引条文中未发现数额、期限、机关或列举事项上的差异。")]
    blocks.append(("h3", "所引决定"))
    for d in docs:
        blocks.append(("li", decision_line((documents or {}).get(d["doc_id"]) or _Doc(d), d["title"], d["region"])))
    return blocks


class _Doc:
    """The document facts a 对照 table carries, read like a Document."""

    def __init__(self, d: dict):
        self.title, self.region = d.get("title"), d.get("region")
        self.adoption_date, self.effective_date = d.get("adoption_date"), d.get("effective_date")
        self.effective_on_publication = d.get("effective_on_publication", False)
        self.status, self.source_url = d.get("status"), d.get("source_url")


# ---------------------------------------------------------------------------
# Writers


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    previous = None
    for block in blocks:
        kind = block[0]
        if kind != "li" and previous == "li":
            out.append("")
        if kind == "h1":
            out += [f"# {block[1]}", ""]
        elif kind == "h2":
            out += [f"## {block[1]}", ""]
        elif kind == "h3":
            out += [f"### {block[1]}", ""]
        elif kind == "li":
            out.append(f"- {block[1]}")
        elif kind == "quote":
            out += [f"> {block[1]}", ""]
        elif kind == "table":
            header, rows = block[1], block[2]
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        else:
            out += [block[1], ""]
        previous = kind
    return "\n".join(out).rstrip() + "\n"


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _runs(paragraph, text: str) -> None:
    pos = 0
    for m in _BOLD.finditer(text):
        if m.start() > pos:
            paragraph.add_run(text[pos:m.start()])
        paragraph.add_run(m.group(1)).bold = True
        pos = m.end()
    if pos < len(text):
        paragraph.add_run(text[pos:])


def to_docx(blocks: Sequence[Block], path: str | Path) -> Path:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    for block in blocks:
        kind = block[0]
        if kind in ("h1", "h2", "h3"):
            doc.add_heading(block[1], level=int(kind[1]))
        elif kind == "li":
            _runs(doc.add_paragraph(style="List Bullet"), block[1])
        elif kind == "quote":
            _runs(doc.add_paragraph(style="Quote"), block[1])
        elif kind == "table":
            header, rows = block[1], block[2]
            table = doc.add_table(rows=1 + len(rows), cols=len(header))
            table.style = "Table Grid"
            for j, h in enumerate(header):
                table.cell(0, j).text = ""
                table.cell(0, j).paragraphs[0].add_run(str(h)).bold = True
            for i, row in enumerate(rows, start=1):
                for j, value in enumerate(row):
                    table.cell(i, j).text = str(value)
        else:
            _runs(doc.add_paragraph(), block[1])
    path = Path(path)
    doc.save(str(path))
    return path


def export_name(prefix: str, stamp: str, suffix: str) -> str:
    """A file name a clerk recognises: 决定问答-回答-20250101-0930.docx."""
    return f"决定问答-{prefix}-{stamp}{suffix}"


def write(blocks: Sequence[Block], folder: str | Path, prefix: str, fmt: str, stamp: str) -> Path:
    """The blocks as a Word (fmt "docx") or Markdown file in `folder`, named by export_name."""
    folder = Path(folder)
    if fmt == "docx":
        return to_docx(blocks, folder / export_name(prefix, stamp, ".docx"))
    path = folder / export_name(prefix, stamp, ".md")
    path.write_text(to_markdown(blocks), encoding="utf-8")
    return path


def turn_blocks(turns: Sequence, number, documents: dict) -> tuple[list[Block], str]:
    """One turn of a conversation (1-based `number`, clamped; default the last) as an export: (blocks, prefix)."""
    number = min(max(int(number or len(turns)), 1), len(turns))
    question, answer = turns[number - 1][0], turns[number - 1][1]
    scope = turns[number - 1][2] if len(turns[number - 1]) > 2 else None
    return [("h1", "决定问答 · 回答"), *answer_blocks(question, answer, documents, scope=scope)], f"第{number}问"
