"""Document metadata from the title, the 题注, the closing text and front matter."""

from __future__ import annotations

import re
from datetime import date

from ingest.numerals import NUMERAL_CHARS, parse_chinese_numeral

_N = NUMERAL_CHARS
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
CN_DATE_RE = re.compile(rf"([{_N}]{{4}})年([{_N}]{{1,3}})月([{_N}]{{1,3}})日")
MEETING_RE = re.compile(
    rf"([^\s，。（）()、]*?第[{_N}]+届[^\s，。（）()]*?(?:人民代表大会|人大)(?:常务委员会)?第[{_N}]+次(?:全体)?会议)"
)
# The shortest prefix ending in an administrative division: 济南市12345市民服务热线条例 → 济南市.
REGION_RE = re.compile(r"^([\u4e00-\u9fff]{2,8}?(?:特别行政区|经济特区|自治区|自治州|自治县|自治旗|省|市|盟|地区|县|旗))")
NOT_PLACES = ("中华人民共和国", "中国", "国务院", "全国", "最高")
EFFECTIVE_RE = re.compile(r"自(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)起(?:施行|生效|执行)")
ON_PUBLICATION_RE = re.compile(r"自(?:公布|发布|通过)之日起(?:施行|生效|执行)")
REPEALS_RE = re.compile(r"《([^《》]{4,120})》(?:（[^）]*）)?同时(?:废止|失效)")
DOC_TYPES = ("修正案", "决定", "决议", "条例", "规定", "办法", "细则", "规则", "解释", "意见", "通知", "法")


def parse_date(text: str | None) -> date | None:
    if not text:
        return None
    text = str(text)
    match = DATE_RE.search(text) or re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        return _safe_date(*(int(g) for g in match.groups()))
    match = CN_DATE_RE.search(text)
    if match:
        parts = [parse_chinese_numeral(g) for g in match.groups()]
        if None not in parts:
            return _safe_date(*parts)
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def region_of(title: str, authority: str | None) -> str:
    if title.startswith("中华人民共和国") or (authority or "").startswith(("全国人民代表大会", "国务院", "最高人民")):
        return "全国"
    for text in (title, authority or ""):
        match = REGION_RE.match(text)
        if match and "关于" not in match.group(1) and not match.group(1).startswith(NOT_PLACES):
            return match.group(1)
    return ""


def authority_from_meeting(meeting: str | None) -> str | None:
    if not meeting:
        return None
    body = re.sub(rf"第[{_N}]+届", "", meeting)
    body = re.sub(rf"第[{_N}]+次(?:全体)?会议$", "", body)
    return body or None


def authority_from_title(title: str) -> str | None:
    match = re.match(r"^(.+?(?:人民代表大会常务委员会|人民代表大会|人民政府|人民法院|人民检察院))关于", title)
    return match.group(1) if match else None


def doc_type_of(title: str) -> str | None:
    for kind in DOC_TYPES:
        if title.endswith(kind) or re.search(f"{kind}（[^）]*）$", title):
            return kind
    return None


def adoption_from_note(note: str) -> tuple[date | None, str | None]:
    """The first 通过/批准 event of a 题注: its date and meeting."""
    for piece in re.split(r"[\n；;]", note):
        if "通过" in piece or "批准" in piece:
            return parse_date(piece), _meeting(piece)
    return parse_date(note), _meeting(note)


def _meeting(text: str) -> str | None:
    match = MEETING_RE.search(text)
    if not match:
        return None
    return re.sub(r"^.*?\d{1,2}\s*日\s*", "", match.group(1).lstrip("（(")) or None


def effective_from_closing(text: str) -> tuple[date | None, bool]:
    """(date, on_publication) from 本决定自…起施行 / 自公布之日起施行."""
    match = EFFECTIVE_RE.search(text)
    if match:
        return parse_date(match.group(1)), False
    return None, bool(ON_PUBLICATION_RE.search(text))


NOTE_EFFECTIVE_RE = re.compile(r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起?(?:施行|生效)")


def effective_from_note(note: str) -> date | None:
    """The 施行 date a 题注 states on its own line (LawRefBook's 「2012年4月10日 施行」)."""
    match = NOTE_EFFECTIVE_RE.search(note)
    return parse_date(match.group(1)) if match else None


def repeals_in(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(REPEALS_RE.findall(text)))
