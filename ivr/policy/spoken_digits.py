"""Digits spoken one by one (a callback number, a reference number), and their read-back.

Chinese callers read a number as characters: 一 三 八, 幺 for 1 (so it is not heard as 七),
两 for 2, 洞 for 0 (the radio forms, with 拐 for 7 and 勾 for 9), 零 or 〇 for 0; the recogniser
returns them as separate words ("幺 三 八 零 零"). US English callers say "one three eight",
"oh" or "zero", "double five". ``parse`` turns such text (or plain digits) into a digit string;
``speak`` is the inverse used for the read-back ("幺三八，零零零零，幺二三四"), which the caller
hears in full: only logs mask a number.

A number said with place values ("一百二十三", "twenty three") is refused (None): a phone
number is read digit by digit, and guessing would put a wrong number on a ticket. Words before
the first digit and after the last ("我的电话是…", "…谢谢") are allowed; inside the number only
fillers ("嗯", "uh") and separators are.
"""

from __future__ import annotations

import re

from ivr.text import tidy

ZH_DIGITS: dict[str, str] = {
    "零": "0", "〇": "0", "洞": "0",
    "一": "1", "幺": "1", "壹": "1",
    "二": "2", "两": "2", "贰": "2",
    "三": "3", "叁": "3",
    "四": "4", "肆": "4",
    "五": "5", "伍": "5",
    "六": "6", "陆": "6",
    "七": "7", "拐": "7", "柒": "7",
    "八": "8", "捌": "8",
    "九": "9", "勾": "9", "玖": "9",
}
ZH_PLACE_VALUES = frozenset("十百千万亿拾佰仟")
ZH_FILLERS = frozenset("嗯呃啊哦额")
EN_DIGITS: dict[str, str] = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
EN_REPEATS = {"double": 2, "triple": 3}
EN_PLACE_VALUES = frozenset({
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
    "eighty", "ninety", "hundred", "thousand", "million",
})
EN_FILLERS = frozenset({"uh", "um", "er", "erm", "ah", "and", "then"})
_SEPARATORS = re.compile(r"[\s,.;:!?\-—–、，。；：！？·/]+")
# How a read-back is grouped (pauses): 11-digit mobile numbers as 3-4-4, others in fours.
MOBILE_GROUPS = (3, 4, 4)
GROUP_DIGITS = 4
ZH_SPOKEN = "零幺二三四五六七八九"  # read-back: 幺 for 1, as Chinese hotlines read numbers
EN_SPOKEN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def digit_words(locale: str) -> tuple[str, ...]:
    """Every word that stands for a digit in ``locale`` (the grammar of a number step)."""
    if locale.startswith("zh"):
        return tuple(ZH_DIGITS)
    return tuple(EN_DIGITS) + tuple(EN_REPEATS)


def _zh_tokens(text: str) -> list[str] | None:
    """Per character: a digit, "" (filler/separator), "?" (other), None when a place value."""
    out: list[str] = []
    for ch in text:
        if ch in ZH_PLACE_VALUES:
            return None
        if ch.isascii() and ch.isdigit():
            out.append(ch)
        elif ch in ZH_DIGITS:
            out.append(ZH_DIGITS[ch])
        elif ch in ZH_FILLERS or _SEPARATORS.fullmatch(ch):
            out.append("")
        else:
            out.append("?")
    return out


def _en_tokens(text: str) -> list[str] | None:
    out: list[str] = []
    repeat = 1
    for word in _SEPARATORS.split(text.casefold()):
        if not word:
            continue
        if word in EN_PLACE_VALUES:
            return None
        if word in EN_REPEATS:
            repeat = EN_REPEATS[word]
            continue
        if word.isdigit():
            out.append(word * repeat if len(word) == 1 else word)
        elif word in EN_DIGITS:
            out.append(EN_DIGITS[word] * repeat)
        elif word in EN_FILLERS:
            out.append("")
        else:
            out.append("?")
        repeat = 1
    return out


def parse(text: str, locale: str) -> str | None:
    """The digits in ``text`` ("幺 三 八 零" -> "1380"), or None when it is not a number.

    None: no digit at all, a place value ("一百"), or other words between the digits.
    """
    tokens = _zh_tokens(tidy(text)) if locale.startswith("zh") else _en_tokens(tidy(text))
    if tokens is None:
        return None
    positions = [i for i, tok in enumerate(tokens) if tok not in ("", "?")]
    if not positions:
        return None
    inside = tokens[positions[0]:positions[-1] + 1]
    if "?" in inside:
        return None
    return "".join(inside)


def groups(digits: str) -> list[str]:
    """Digits grouped for reading aloud: 138 0000 1234 for a mobile number, else fours."""
    if len(digits) == sum(MOBILE_GROUPS) and digits.startswith("1"):
        sizes: list[int] = list(MOBILE_GROUPS)
    else:
        sizes = [GROUP_DIGITS] * (len(digits) // GROUP_DIGITS)
        if len(digits) % GROUP_DIGITS:
            sizes.append(len(digits) % GROUP_DIGITS)
    out = []
    i = 0
    for size in sizes:
        out.append(digits[i:i + size])
        i += size
    return out


def speak(digits: str, locale: str) -> str:
    """The digits as the caller should hear them read back, grouped with pauses (commas)."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"speak: not a digit string: {digits!r}")
    if locale.startswith("zh"):
        return "，".join("".join(ZH_SPOKEN[int(d)] for d in g) for g in groups(digits))
    return ", ".join(" ".join(EN_SPOKEN[int(d)] for d in g) for g in groups(digits))
