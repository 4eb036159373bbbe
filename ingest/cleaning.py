"""Raw text → (front matter, title, header lines, cleaned body lines).

Handles the shapes seen in the wild: YAML front matter (national law database exports),
LawRefBook markdown (`# title`, date lines, `<!-- INFO END -->`), scraped web pages with
navigation around the text, markdown emphasis and quotes, half-width punctuation in Chinese
text, and PDF line breaks that split a sentence (「听\\n\\n取」).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import yaml

from ingest.numerals import NUMERAL_CHARS

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"

TITLE_RE = re.compile(
    rf"^[{_CJK}（）()〈〉《》、·\s\d]{{2,120}}?(决定|决议|条例|规定|办法|细则|规则|法|解释|意见|通知|纲要|章程|修正案(（[{_CJK}]+）)?)$"
)
NOTE_RE = re.compile(r"^[（(][^）)]*\d{4}\s*年.*(通过|批准|修正|修订|公布|施行)[^）)]*[）)]?$")
DATE_LINE_RE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.*(通过|批准|修正|修订|公布|施行|发布)")

# Lines of site chrome in scraped pages; matched against the whole stripped line.
NOISE_LINE_RES = [re.compile(p) for p in (
    r"^(发布日期|发布时间|来源|作者|浏览次数|点击数|访问量|阅读数|字体|字号)\s*[:：].*",
    r"^分享到\s*[:：]?.*$",
    r"^(【?\s*(打印|关闭|关闭窗口|返回顶部|返回|收藏|纠错|打印本页)\s*】?\s*)+$",
    r"^首页\s*[>＞»].*",
    r"^当前位置\s*[:：].*",
    r"^扫一扫.*",
    r"^(上一篇|下一篇)\s*[:：].*",
    r"^.{0,30}(ICP备|网站标识码|公网安备)",
    r"^(版权所有|主办单位|承办单位|技术支持|联系我们|网站地图)\s*[:：©]",
    r"^[\[［【]?\s*(大|中|小)\s*[\]］】]?(\s*[\[［【]?\s*(大|中|小)\s*[\]］】]?)+$",
)]

NOISE_MAX_LEN = 80  # page chrome is short; a long line is document text whatever it mentions
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

# PDF text layers often carry Kangxi/CJK radical code points (⼀ ⼯ ⾏) for ordinary characters.
RADICALS = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in [*range(0x2E80, 0x2EFA), *range(0x2F00, 0x2FD6)]
            if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)}

TERMINAL_PUNCT = "。；：！？.;:!?”」』）)】…—"


@dataclass
class CleanedText:
    front_matter: dict = field(default_factory=dict)
    title: str | None = None
    header_lines: list[str] = field(default_factory=list)  # LawRefBook date lines above INFO END
    body_lines: list[str] = field(default_factory=list)
    markdown_headings: set[int] = field(default_factory=set)  # indexes into body_lines
    dropped_noise: list[str] = field(default_factory=list)
    publication_hint: str | None = None  # a web page's 发布日期 value


def clean_text(raw: str, source_format: str) -> CleanedText:
    result = CleanedText()
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").translate(ZERO_WIDTH)
    text = text.translate(RADICALS)
    if source_format == "pdf":
        text = re.sub(rf"(?<=[{_CJK}]) +(?=[0-9])|(?<=[0-9]) +(?=[{_CJK}])", "", text)
    text, result.front_matter = _split_front_matter(text)
    lines = [_strip_markup(line) for line in text.split("\n")]

    if "<!-- INFO END -->" in text:
        head_end = lines.index("<!-- INFO END -->") if "<!-- INFO END -->" in lines else -1
        head = [ln for ln in lines[:head_end] if ln]
        lines = lines[head_end + 1 :]
        if head:
            result.title = head[0].lstrip("#").strip()
            result.header_lines = head[1:]
    lines = [ln for ln in lines if ln]

    if result.title is None:
        lines = _take_title(lines, result)
    kept = []
    for line in lines:
        if len(line) <= NOISE_MAX_LEN and any(rx.match(line) for rx in NOISE_LINE_RES):
            result.dropped_noise.append(line)
            match = re.match(r"^发布(日期|时间)\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2})", line)
            if match:
                result.publication_hint = match.group(2)
            continue
        kept.append(line)
    joined = join_broken_lines([normalize_punctuation(ln) for ln in kept])
    for line in joined:
        if line.startswith("#"):
            line = line.lstrip("#").strip()
            if not line:
                continue
            result.markdown_headings.add(len(result.body_lines))
        result.body_lines.append(line)
    if result.title:
        result.title = normalize_punctuation(result.title)
    return result


def _split_front_matter(text: str) -> tuple[str, dict]:
    match = re.match(r"^\s*---\n(.*?)\n---\s*\n", text, flags=re.S)
    if not match:
        return text, {}
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return text, {}
    if not isinstance(data, dict):
        return text, {}
    return text[match.end() :], data


def _strip_markup(line: str) -> str:
    line = line.strip().strip("\u3000").strip()
    if line.startswith(">"):
        line = line.lstrip(">").strip()
    if re.fullmatch(r"\*\*(.+)\*\*", line):
        line = line[2:-2].strip()
    if re.fullmatch(r"__(.+)__", line):
        line = line[2:-2].strip()
    return line


def _take_title(lines: list[str], result: CleanedText) -> list[str]:
    """Find the title line (front matter, markdown #, or a title-shaped line); drop what precedes it."""
    wanted = str(result.front_matter.get("title") or "").strip()
    for i, line in enumerate(lines[:60]):
        bare = line.lstrip("#").strip()
        if (wanted and bare == wanted) or line.startswith("# ") or TITLE_RE.match(bare):
            result.title = bare
            result.dropped_noise.extend(lines[:i])
            return lines[i + 1 :]
    if wanted:
        result.title = wanted
    return lines


_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


def normalize_punctuation(line: str) -> str:
    """Half-width punctuation next to Chinese text → the full-width forms official texts use."""
    line = re.sub(rf"(?<=[{_CJK}”’）》\d])([,;:?!])(?=[{_CJK}“‘（《\s]|$)",
                  lambda m: _HALF_TO_FULL[m.group(1)], line)
    line = re.sub(rf"\(([^()]*[{_CJK}][^()]*)\)", r"（\1）", line)
    return line


_NUMBERED_START = re.compile(
    rf"^(#|第[{NUMERAL_CHARS}0-9]+[条章节编]|[{NUMERAL_CHARS}]+[、．.]|\d+[.．、]|[（(][{NUMERAL_CHARS}0-9]+[）)]|[①-⑳]|本(决定|决议|条例|规定|办法|法))"
)


def join_broken_lines(lines: list[str]) -> list[str]:
    """Re-join a sentence split across lines by PDF extraction (「…会议听」+「取和审议…」)."""
    out: list[str] = []
    for line in lines:
        if out and _is_continuation(out[-1], line):
            out[-1] += line
        else:
            out.append(line)
    return out


def _is_continuation(prev: str, line: str) -> bool:
    if prev.startswith("#") or _NUMBERED_START.match(line) or NOTE_RE.match(line):
        return False
    if prev[-1] in TERMINAL_PUNCT or not re.match(rf"[{_CJK}，、]", prev[-1]):
        return False
    if not re.match(rf"[{_CJK}，、“]", line[0]):
        return False
    # A short unpunctuated line above numbered text is a heading, not half a sentence.
    return not (_looks_like_heading(prev))


def _looks_like_heading(line: str) -> bool:
    return bool(re.match(rf"^(第[{NUMERAL_CHARS}0-9]+[章节编]|[{NUMERAL_CHARS}]+、)", line)) or len(line) <= 12
