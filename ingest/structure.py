"""Cleaned body lines → blocks: note, preamble, headings (parts/chapters/sections), articles, closing.

Numbering schemes, chosen per document, never forced:
- 「第X条」 articles under 第X编/章/节 headings (laws and regulations);
- 「一、」 parts above 「1.」 articles (呼和浩特-style decisions);
- 「一、」 articles (西藏/山东-style decisions) or 「1.」 articles;
- 「## 一、…」 section headings with their paragraphs below (some 决议): each numbered section is
  an article, its heading line the article's first line.
A numbered line only opens an article when its number continues the sequence, so a
cross-reference or a quoted 「第十条…」 inside a sentence never becomes a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.numerals import NUMERAL_CHARS, parse_chinese_numeral

_N = NUMERAL_CHARS
TIAO_RE = re.compile(rf"^第([{_N}0-9]+) ?条(之[{_N}]+)?(?=[\s\u3000]|$|[^\s款项])")
CN_ENUM_RE = re.compile(rf"^([{_N}]+)、")
ARABIC_RE = re.compile(r"^(\d{1,3})[.．、](?!\d)")
DIVISION_RE = re.compile(rf"^第([{_N}0-9]+)(编|分编|章|节)(?=[\s\u3000]|$|[^\s，。；])")
ITEM_RE = re.compile(rf"^([（(][{_N}0-9]+[）)]|[①-⑳]|\d{{1,3}}[.．、](?!\d)|[{_N}]+、)")
NOTE_LINE_RE = re.compile(r"^[（(].{0,200}?\d{4}\s*年.{0,200}?(通过|批准|修正|修订|公布|施行|发布).{0,200}[）)]$")
CLOSING_RE = re.compile(r"^本(决定|决议|条例|规定|办法|细则|规则|法|解释|意见|修正案|通知)(自|从|于|经|所称|的解释权)")
CLOSING_ANYWHERE_RE = re.compile(r"(起施行|起生效|同时废止)")


@dataclass
class Block:
    kind: str  # note | preamble | heading | article | closing
    lines: list[str] = field(default_factory=list)
    article: int | None = None
    suffix: str | None = None  # 之一 in 第二百二十四条之一
    level: int = 1  # headings only
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Structure:
    blocks: list[Block]
    scheme: str
    warnings: list[str]


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else parse_chinese_numeral(text)


def choose_scheme(lines: list[str], md_headings: set[int]) -> str:
    tiao = [_number(m.group(1)) for i, ln in enumerate(lines) if i not in md_headings and (m := TIAO_RE.match(ln))]
    if tiao and tiao[0] == 1:
        return "tiao"
    cn = [i for i, ln in enumerate(lines) if CN_ENUM_RE.match(ln) and i not in md_headings]
    arabic = [(i, int(m.group(1))) for i, ln in enumerate(lines) if (m := ARABIC_RE.match(ln)) and i not in md_headings]
    arabic_numbers = [n for _, n in arabic]
    arabic_lines = {i for i, _ in arabic}
    if (
        cn
        and len(arabic_numbers) >= 3
        and arabic_numbers == list(range(1, len(arabic_numbers) + 1))
        and all(i + 1 in arabic_lines for i in cn)
    ):
        return "parts+arabic"
    if cn and _number(CN_ENUM_RE.match(lines[cn[0]]).group(1)) == 1:
        return "cn"
    headed = [_number(m.group(1)) for i, ln in enumerate(lines) if (m := CN_ENUM_RE.match(ln)) and i in md_headings]
    arabic_run = len(arabic_numbers) >= 3 and arabic_numbers == list(range(1, len(arabic_numbers) + 1))
    if len(headed) >= 2 and headed[0] == 1 and not arabic_run and not (tiao and tiao[0] == 1):
        return "cn-headed"  # 1. items restarting in each section are the sections' items, not articles
    if cn:
        return "cn"
    if arabic_numbers and arabic_numbers[0] == 1:
        return "arabic"
    if tiao:
        return "tiao"
    return "none"


def segment(lines: list[str], md_headings: set[int], note_lines: int = 0) -> Structure:
    scheme = choose_scheme(lines, md_headings)
    warnings: list[str] = []
    blocks: list[Block] = []
    last_article = 0
    seen_article = False
    in_closing = False

    def open_block(kind: str, line: str, **kw) -> None:
        blocks.append(Block(kind=kind, lines=[line], **kw))

    article_ahead = _article_ahead(lines, scheme)
    for i, line in enumerate(lines):
        if i < note_lines or (not seen_article and not blocks_of(blocks, "preamble", "heading")
                              and NOTE_LINE_RE.match(line) and i < 4):
            if blocks and blocks[-1].kind == "note":
                blocks[-1].lines.append(line)
            else:
                open_block("note", line)
            continue
        if in_closing:
            blocks[-1].lines.append(line)
            continue
        heading_level = _heading_level(line, i, md_headings, scheme)
        if heading_level:
            open_block("heading", line, level=heading_level)
            continue
        number, suffix = _article_number(line, scheme)
        if number is not None and _continues(number, suffix, last_article, scheme):
            open_block("article", line, article=number, suffix=suffix)
            last_article = number
            seen_article = True
            continue
        if seen_article and (CLOSING_RE.match(line) or (CLOSING_ANYWHERE_RE.search(line) and line.startswith("本"))):
            open_block("closing", line)
            in_closing = True
            continue
        if blocks and blocks[-1].kind in ("article", "preamble", "closing"):
            blocks[-1].lines.append(line)
        elif not seen_article:
            open_block("preamble", line)
        elif _is_heading_continuation(line):
            blocks[-1].lines.append(line)  # a heading broken over two lines
        elif not article_ahead[i]:
            open_block("closing", line)  # annexes and notes after the last article
            in_closing = True
        else:
            previous = next(b for b in reversed(blocks) if b.kind == "article")
            open_block("article", line, article=previous.article, suffix=previous.suffix)
            warnings.append(f"unnumbered text after a heading kept with article {previous.article}: {line[:30]}")

    if not seen_article:
        warnings.append("no recognisable article numbering: the text is kept as one preamble")
    for block in blocks:
        block.paragraphs = _paragraphs(block.lines, scheme) if block.kind != "heading" else []
    return Structure(blocks=blocks, scheme=scheme, warnings=warnings)


def _article_ahead(lines: list[str], scheme: str) -> list[bool]:
    """article_ahead[i]: some line after i carries an article number of this scheme."""
    ahead = [False] * len(lines)
    seen = False
    for i in range(len(lines) - 1, -1, -1):
        ahead[i] = seen
        seen = seen or _article_number(lines[i], scheme)[0] is not None
    return ahead


def _is_heading_continuation(line: str) -> bool:
    return len(line) <= 40 and line[-1] not in "。；：！？.;:!?"


def blocks_of(blocks: list[Block], *kinds: str) -> list[Block]:
    return [b for b in blocks if b.kind in kinds]


def _heading_level(line: str, index: int, md_headings: set[int], scheme: str) -> int:
    division = DIVISION_RE.match(line)
    if division:
        return 2 if division.group(2) == "节" else 1
    if index in md_headings:
        return 0 if scheme == "cn-headed" and CN_ENUM_RE.match(line) else 1
    if scheme == "parts+arabic" and CN_ENUM_RE.match(line):
        return 1
    return 0


def _article_number(line: str, scheme: str) -> tuple[int | None, str | None]:
    if scheme == "tiao":
        match = TIAO_RE.match(line)
        return (_number(match.group(1)), match.group(2)) if match else (None, None)
    if scheme in ("cn", "cn-headed"):
        match = CN_ENUM_RE.match(line)
        return (_number(match.group(1)), None) if match else (None, None)
    if scheme in ("arabic", "parts+arabic"):
        match = ARABIC_RE.match(line)
        return (int(match.group(1)), None) if match else (None, None)
    return None, None


def _continues(number: int, suffix: str | None, last: int, scheme: str) -> bool:
    if suffix:
        return number == last
    if scheme == "tiao":
        return number > last
    return number == last + 1


def _paragraphs(lines: list[str], scheme: str) -> list[str]:
    """Split a block's lines into 款; item lines （一）… stay inside the paragraph that lists them."""
    paragraphs: list[str] = []
    for i, line in enumerate(lines):
        is_item = i > 0 and ITEM_RE.match(line) and not (scheme == "tiao" and TIAO_RE.match(line))
        under_heading = i == 1 and scheme == "cn-headed"  # a section heading is not a 款 of its own
        if (is_item or under_heading) and paragraphs:
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    return paragraphs
