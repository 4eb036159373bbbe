"""Figures a question asks for: 「几个工作日」「多久」「百分之多少」, and what a sentence must contain to state one.

The answerability step asks whether the retrieved text states the figure at all (api._figure_answered);
the extractive answerer keeps, of each document's quotes, those that state it (extractive.figure_focus).
"""

from __future__ import annotations

import re

# The question asks for a figure: a count, an amount, a length of time.
QUANTITY_QUESTION_RE = re.compile(r"多少|多久|多长时间|(?<!哪)几(天|年|个月|月|岁|次|倍|小时|元|周)")
# A sentence states some figure (a bare 「多少」 is met by any number).
QUANTITY_RE = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万两]+(个|年|月|日|天|元|岁|周|次|倍|小时|分钟)|[%％]|百分之[一二三四五六七八九十百零]")

FIGURE_UNITS = {"工作日": "工作日", "天": "日|天", "日": "日|天", "个月": "月", "月": "月", "年": "年", "岁": "岁", "次": "次",
                "倍": "倍", "小时": "小时", "元": "元", "钱": "元", "费用": "元", "金额": "元", "周": "周|日",
                "时间": "日|天|月|年|小时", "期限": "日|天|月|年", "多久": "日|天|月|年|小时", "人": "人|名", "名": "人|名",
                "人数": "人|名", "年龄": "岁"}
# Measures (an area, a volume, a length, a weight): asked right after 多少 or 几, as the time units are.
MEASURE_UNITS = {"平方公里": "平方公里|平方千米", "平方千米": "平方公里|平方千米", "平方米": "平方米", "立方米": "立方米",
                 "公顷": "公顷", "亩": "亩", "公里": "公里|千米", "千米": "公里|千米", "米": "米", "吨": "吨",
                 "公斤": "公斤|千克", "千克": "公斤|千克"}
FIGURE_UNITS.update(MEASURE_UNITS)
# The unit a figure question asks in: the word the asking word governs (「多少天」「几个工作日」「多久」), or the
# noun it asks about (「期限是多长」「金额为多少」); a 次 or 人 elsewhere in the question (次要, 人民) says nothing.
ASKED_UNIT_RE = re.compile(r"(?:多少|几|多长)个?[十百千万亿]*(工作日|小时|个月|天|日|月|年|岁|次|倍|元|周|人|名|钱|时间|"
                           + "|".join(MEASURE_UNITS) + r")|(多久)")
# 「…人数要求有什么不同」 compares the figures as 「人数是多少」 asks for one.
ASKED_NOUN_RE = re.compile(r"(期限|时间|金额|费用|人数|年龄)(?:要求|规定)?[^，。？,?]{0,3}?(?:是|为|有)?"
                           r"(?:多少|多长|几|什么不同|何不同|什么区别|何区别|什么差别|何差异|哪些不同)")
SHARE_NOUNS = r"(?:比例|比率|利率|税率|费率)"
ASKED_SHARE_RE = re.compile(r"百分之(?:多少|几)|(?:多少|几)(?:%|％|成)|" + SHARE_NOUNS + r"[^，。？,?]{0,3}?(?:是|为)?(?:多少|几)"
                            r"|(?:多少|多大|几)的?" + SHARE_NOUNS)  # 「比例是多少」 or 「多大比例」
NUMBER = r"([0-9０-９.]+|[一二三四五六七八九十百千万亿两]+)"
# A date is not a length of time: 「2018年12月1日」 states no 年, 月 or 日 figure.
NOT_A_DATE_BEFORE = r"(?<![0-9０-９.〇零一二三四五六七八九十百千万亿两年月])(?![0-9０-９]{4}\s*年)"
NOT_A_DATE_AFTER = r"(?![0-9０-９一二三四五六七八九十]+\s*日)"
SHARE_FIGURE = r"百分之[一二三四五六七八九十百零]|[0-9０-９.]+\s*[%％]|[一二三四五六七八九十]成|[一二三四五六七八九十]分之[一二三四五六七八九十]|过半数|半数"


def asked_units(query: str) -> str:
    """The asked-for figure's units as a regex alternation; "" when the question names none."""
    keys = [m.group(1) or m.group(2) for m in ASKED_UNIT_RE.finditer(query)]
    keys += [m.group(1) for m in ASKED_NOUN_RE.finditer(query)]
    return "|".join(dict.fromkeys(FIGURE_UNITS[k] for k in keys))


def figure_pattern(query: str) -> re.Pattern | None:
    """What a sentence must contain to state the figure asked for: a number of the asked unit (「几个工作日」
    → N个工作日), a share (「百分之多少」「利率是多少」 → 百分之N, N%), or None when the question names neither."""
    units, share = asked_units(query), ASKED_SHARE_RE.search(query)
    parts = ([NOT_A_DATE_BEFORE + rf"{NUMBER}个?[十百千万亿]*({units})" + NOT_A_DATE_AFTER] if units else []) + (
        [SHARE_FIGURE] if share else [])
    return re.compile("|".join(parts)) if parts else None


def asks_figure(query: str) -> bool:
    """The question asks for a figure: a count, an amount, a length of time (「多少」「多久」「几天」), or a number
    of a named unit or a share (`figure_pattern`: 「几个工作日」「几名」「期限是多长」「比例是多少」)."""
    return bool(QUANTITY_QUESTION_RE.search(query)) or figure_pattern(query) is not None
