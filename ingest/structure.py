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

import bisect
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
REPUBLISH_RE = re.compile(r"^根据本(决定|决议).{0,200}重新公布")
INTRO_RE = re.compile(r"(作如下[^。；，：]{0,8}|修改如下|决定如下|规定如下)[：:]$")
AMEND_RE = re.compile(rf"^(将|删去|删除|在)[^“”]{{0,120}}?(第[{_N}0-9]+条|引言|附件).{{0,40}}?(修改为|删去|删除|增加|作为)")


@dataclass
class Block:
    kind: str  # note | preamble | heading | article | closing
    lines: list[str] = field(default_factory=list)
    article: int | None = None
    suffix: str | None = None  # 之一 in 第二百二十四条之一
    level: int = 1  # headings only
    headed: bool = False  # articles only: its first line is a markdown heading (「## 一、…」)
    label: str | None = None  # a label other than the kind's own (附注 for 「根据本决定…重新公布」)
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Structure:
    blocks: list[Block]
    scheme: str
    warnings: list[str]


def quoted_lines(lines: list[str]) -> set[int]:
    """Indexes of lines that start inside a quotation “…” (quoted text of an amended law, say).

    Quotes are matched as a stack over the whole text, so a quote spanning lines counts and an
    unmatched “ or ” (a typo) quotes nothing.
    """
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    stack: list[int] = []
    quoted: set[int] = set()
    for pos, ch in enumerate("\n".join(lines)):
        if ch == "“":
            stack.append(pos)
        elif ch == "”" and stack:
            begin = stack.pop()
            first = bisect.bisect_right(starts, begin)
            last = bisect.bisect_right(starts, pos)
            quoted.update(range(first, last))
    return quoted


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else parse_chinese_numeral(text)


def choose_scheme(lines: list[str], md_headings: set[int], quoted: set[int] | frozenset = frozenset()) -> str:
    def numbered(rx: re.Pattern, headed: bool | None = False) -> list[tuple[int, int]]:
        """(line, number) of unquoted lines rx matches; headed: only md headings, only plain lines, or both."""
        out = []
        for i, ln in enumerate(lines):
            if i in quoted or (headed is not None and (i in md_headings) != headed):
                continue
            if m := rx.match(ln):
                out.append((i, _number(m.group(1))))
        return out

    tiao = [n for _, n in numbered(TIAO_RE)]
    if tiao and tiao[0] == 1:
        return "tiao"
    cn = [i for i, _ in numbered(CN_ENUM_RE)]
    arabic = numbered(ARABIC_RE)
    arabic_numbers = [n for _, n in arabic]
    arabic_lines = {i for i, _ in arabic}
    arabic_run = len(arabic_numbers) >= 3 and arabic_numbers == list(range(1, len(arabic_numbers) + 1))
    if cn and arabic_run and all(i + 1 in arabic_lines for i in cn):
        return "parts+arabic"
    headed = [n for _, n in numbered(CN_ENUM_RE, headed=True)]
    every_cn = [n for _, n in numbered(CN_ENUM_RE, headed=None)]
    if headed and cn and every_cn == list(range(1, len(every_cn) + 1)) and not arabic_run:
        return "cn-headed"  # 「## 一、」 then plain 「二、」「三、」: one run of numbered items, some as headings
    if cn and _number(CN_ENUM_RE.match(lines[cn[0]]).group(1)) == 1:
        return "cn"
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
    quoted = quoted_lines(lines)
    scheme = choose_scheme(lines, md_headings, quoted)
    warnings: list[str] = []
    blocks: list[Block] = []
    last_article = 0
    nested = 0  # the last item of a numbered list restarting at 1 inside the current article
    seen_article = False
    in_closing = False
    single_change = _single_change_start(lines, quoted, note_lines) if scheme == "none" else None

    def open_block(kind: str, line: str, **kw) -> None:
        blocks.append(Block(kind=kind, lines=[line], **kw))

    numbers = [(None, None) if i in quoted else _article_number(ln, scheme) for i, ln in enumerate(lines)]
    article_ahead = _article_ahead(numbers)
    for i, line in enumerate(lines):
        if i < note_lines or (not seen_article and not blocks_of(blocks, "preamble", "heading")
                              and NOTE_LINE_RE.match(line) and i < 4):
            if blocks and blocks[-1].kind == "note":
                blocks[-1].lines.append(line)
            else:
                open_block("note", line)
            continue
        if i in quoted:  # quoted text of another instrument: never a heading, article or closing of its own
            if blocks and blocks[-1].kind != "note":
                blocks[-1].lines.append(line)
            else:
                open_block("preamble", line)
            continue
        if in_closing:
            if REPUBLISH_RE.match(line) and blocks[-1].label is None:
                open_block("closing", line, label="附注")  # 根据本决定，《…》作相应修改后，重新公布。
            else:
                blocks[-1].lines.append(line)
            continue
        heading_level = _heading_level(line, i, md_headings, scheme)
        if heading_level:
            open_block("heading", line, level=heading_level)
            if numbers[i][0] is not None and seen_article:
                nested = numbers[i][0]  # 「## 一、」 of an annex: 二、 after it is the annex's, not an article
            continue
        number, suffix = numbers[i]
        if number is not None and _continues(number, suffix, last_article, scheme):
            if scheme == "tiao" and seen_article and number > last_article + 1 and not suffix:
                warnings.append(f"article numbers skip from {last_article} to {number}: {line[:30]}")
            open_block("article", line, article=number, suffix=suffix, headed=i in md_headings)
            last_article, nested = number, 0
            seen_article = True
            continue
        if number is not None and not suffix and seen_article:
            if number == nested + 1:
                nested = number  # a list 一、二、… (or 1. 2. …) restarting inside an article: its items
            else:
                # a number opening a line, unquoted, repeating or going back from the last article: a
                # duplicate or an out-of-order number in the source. Keep it as its own article under its
                # own number (and say so) rather than merging it into the article before.
                what = "duplicate" if number == last_article else "out-of-order"
                warnings.append(f"{what} article number {number} after article {last_article}: {line[:30]}")
                open_block("article", line, article=number, suffix=suffix, headed=i in md_headings)
                nested = 0
                continue
        if i == single_change:
            open_block("article", line, article=1)  # a decision making one change: that change is its article
            last_article = 1
            seen_article = True
            continue
        if seen_article and _is_closing(line) and not _continuation_ahead(numbers, i, last_article, scheme):
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
        block.paragraphs = _paragraphs(block, scheme) if block.kind != "heading" else []
    return Structure(blocks=blocks, scheme=scheme, warnings=warnings)


def _is_closing(line: str) -> bool:
    return bool(CLOSING_RE.match(line) or (CLOSING_ANYWHERE_RE.search(line) and line.startswith("本")))


def _continuation_ahead(numbers: list[tuple[int | None, str | None]], index: int, last: int, scheme: str) -> bool:
    """Some line after `index` opens the next article: text here cannot be the closing clause."""
    return any(n is not None and _continues(n, s, last, scheme) for n, s in numbers[index + 1 :])


def _single_change_start(lines: list[str], quoted: set[int], note_lines: int) -> int | None:
    """The line where the one change of an unnumbered amendment decision begins, or None.

    「…作如下修改：」 followed by 「将第十二条修改为：“…”」 (or any text) and then 「本决定自…起施行」: the
    text between the introduction and the closing sentence is the decision's only article.
    """
    body = [i for i in range(note_lines, len(lines)) if i not in quoted]
    for k, i in enumerate(body):
        line = lines[i]
        if AMEND_RE.match(line) and k > 0:
            return i
        if INTRO_RE.search(line) and k + 1 < len(body):
            nxt = body[k + 1]
            return None if _is_closing(lines[nxt]) else nxt
        if _is_closing(line):
            return None
    return None


def _article_ahead(numbers: list[tuple[int | None, str | None]]) -> list[bool]:
    """article_ahead[i]: some line after i carries an article number of this scheme."""
    ahead = [False] * len(numbers)
    seen = False
    for i in range(len(numbers) - 1, -1, -1):
        ahead[i] = seen
        seen = seen or numbers[i][0] is not None
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


def _paragraphs(block: Block, scheme: str) -> list[str]:
    """Split a block's lines into 款; item lines （一）… stay inside the paragraph that lists them."""
    lines = block.lines
    # a section heading (「## 一、…」, or a short title line 「三、强化监督」) is not a 款 of its own
    titled = block.kind == "article" and scheme == "cn-headed" and (
        block.headed or _is_heading_continuation(lines[0]))
    paragraphs: list[str] = []
    for i, line in enumerate(lines):
        is_item = i > 0 and ITEM_RE.match(line) and not (scheme == "tiao" and TIAO_RE.match(line))
        under_heading = i == 1 and titled
        if (is_item or under_heading) and paragraphs:
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    return paragraphs
