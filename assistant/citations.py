"""Citation markers: how an answer names a clause, and the check that it names a retrieved one.

A marker reads 〔《西藏…决定》第十六条第三款〕: the decision's short title and the label a lawyer cites.
`verify` keeps only markers that resolve to a clause that was shown to the answerer and drops
the rest (counting them), so an answer never carries an article number that is not in its sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.documents import plain_short_title
from assistant.records import Citation
from ingest.numerals import NUMERAL_CHARS, parse_chinese_numeral, to_chinese_numeral
from ingest.records import Clause

MARKER_RE = re.compile(r"〔《([^》]+)》([^〕]+)〕")
LABEL_RE = re.compile(rf"第([{NUMERAL_CHARS}0-9]+)条(之[{NUMERAL_CHARS}]+)?(?:第([{NUMERAL_CHARS}0-9]+)款)?")


def short_title(title: str, region: str, doc_type: str | None) -> str:
    """《西藏…决定》 for local decisions; short titles stay whole."""
    return title if len(title) <= 16 else plain_short_title(title, region, doc_type)


def marker(clause: Clause, title: str | None = None) -> str:
    """〔《title》label〕; `title` is the document's unique short title (`DocumentTable.short_title`)."""
    return f"〔《{title or short_title(clause.doc_title, clause.region, None)}》{clause.label}〕"


@dataclass(frozen=True)
class Verified:
    text: str
    citations: list[Citation]
    dropped: int


def _parse_label(label: str) -> tuple[str, int | None, int | None]:
    """('article', 16, 3) for 第十六条第三款; (kind, None, None) for 序言/题注/施行条款."""
    match = LABEL_RE.fullmatch(label.strip())
    if match:
        article = int(match.group(1)) if match.group(1).isdigit() else parse_chinese_numeral(match.group(1))
        paragraph = None
        if match.group(3):
            paragraph = int(match.group(3)) if match.group(3).isdigit() else parse_chinese_numeral(match.group(3))
        return "article", article, paragraph
    kinds = {"序言": "preamble", "题注": "note", "施行条款": "closing", "附件": "closing", "附注": "closing"}
    return kinds.get(label.strip(), "?"), None, None


def _article_label(label: str) -> str:
    """第16条第3款 / 第十六条第三款 → 第十六条 (the article part, in the form labels use)."""
    match = LABEL_RE.fullmatch(label.strip())
    if not match:
        return label
    number = match.group(1)
    article = int(number) if number.isdigit() else parse_chinese_numeral(number)
    return f"第{to_chinese_numeral(article)}条{match.group(2) or ''}"


def resolve(short: str, label: str, sources: list[Clause], titles: dict[str, str]) -> Clause | None:
    """The source clause (or its paragraph) a marker names, or None.

    `titles` maps doc_id → the short title markers use; short titles are unique among the indexed
    documents, so a marker names one document or none (never the first of several 《北京…决定》).
    """
    kind, article, paragraph = _parse_label(label)
    if len({doc for doc, title in titles.items() if title != short and title.startswith(f"{short}（")}) > 1:
        return None  # the bare title of a law indexed in two versions (公司法): which one is not said
    if kind not in ("article", "?"):  # 施行条款 / 附注 / 附件 are all closings: the one so labelled first
        sources = sorted(sources, key=lambda c: c.label != label.strip())
    for clause in sources:
        if titles.get(clause.doc_id) != short and short != clause.doc_title:
            continue
        if clause.kind != kind or (kind == "article" and clause.article != article):
            continue
        if kind == "article" and clause.label != _article_label(label):
            continue  # 第二百二十四条 vs 第二百二十四条之一
        if paragraph is None:
            return clause
        if paragraph <= len(clause.paragraphs):
            return clause.paragraph_view(paragraph)
        return None
    return None


def verify(text: str, sources: list[Clause], titles: dict[str, str]) -> Verified:
    """Keep markers that name a source clause; drop the others; list citations in order of first use."""
    citations: list[Citation] = []
    seen: set[str] = set()
    dropped = 0

    def check(match: re.Match) -> str:
        nonlocal dropped
        clause = resolve(match.group(1), match.group(2), sources, titles)
        if clause is None:
            dropped += 1
            return ""
        if clause.clause_id not in seen:
            seen.add(clause.clause_id)
            citations.append(Citation.from_clause(clause))
        return match.group(0)

    cleaned = MARKER_RE.sub(check, text)
    return Verified(text=cleaned, citations=citations, dropped=dropped)
