"""Chinese numerals as used in legal numbering: 一 … 十六 … 一百二十三 … 两千, and back."""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
NUMERAL_CHARS = "".join(DIGITS) + "".join(UNITS)

_DIGIT_CHARS = "零一二三四五六七八九"


def parse_chinese_numeral(text: str) -> int | None:
    """十六 → 16, 一百零三 → 103, 二〇二四 → 2024 (digit by digit). None if not a numeral."""
    if not text or any(ch not in DIGITS and ch not in UNITS for ch in text):
        return None
    if not any(ch in UNITS for ch in text):
        value = 0
        for ch in text:
            value = value * 10 + DIGITS[ch]
        return value
    total, current = 0, 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        else:
            total += (current or 1) * UNITS[ch]
            current = 0
    return total + current


def to_chinese_numeral(n: int) -> str:
    """16 → 十六, 103 → 一百零三, 110 → 一百一十, 1000 → 一千."""
    if n < 0:
        raise ValueError("negative numbers have no article label")
    if n < 10:
        return _DIGIT_CHARS[n]
    if n < 20:
        return "十" + (_DIGIT_CHARS[n % 10] if n % 10 else "")
    parts: list[str] = []
    pending_zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = (n // unit_value) % 10
        if digit == 0:
            if parts:
                pending_zero = True
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(_DIGIT_CHARS[digit] + unit)
    return "".join(parts)
