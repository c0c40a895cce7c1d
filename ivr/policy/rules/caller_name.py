"""The caller's surname and title (seed 000 第十六条 2; seed 001 了解用户姓氏时的称呼语).

"了解用户姓氏后,于后面的通话中应使用 '*先生/小姐'(不可过于频繁称呼),不能够无视客户姓氏." When a
transcript introduces the caller ("我姓王", "我是王先生", "my name is Mr Wang") the call remembers
surname and title: re-prompts become greeting_surname ("王先生,请问有什么可以帮助您?") once both
are known, and every later ticket carries them. The intro words and titles are per-locale keyword
lists in config (surname_intro, caller_title). Nothing here is logged: a name is personal data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ivr.policy.context import CallContext

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"greeting_surname"})

GREETING = "greeting_surname"
_HAN = "[\u4e00-\u9fff]"
# Two-character surnames (复姓) a caller may give; any other surname is one character.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙".split()
    + "宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 轩辕".split()
)
# Characters that follow "我是" in ordinary talk but are not surnames ("我是说…", "我是这个…").
NOT_SURNAMES = frozenset("说这那你我他她它的个一找问要想在来")
# Spoken English titles (vosk writes "mister") -> how the phrase says them.
EN_TITLES = {"mr": "Mr", "mister": "Mr", "mrs": "Mrs", "missus": "Mrs", "ms": "Ms", "miss": "Miss"}


@dataclass(frozen=True)
class CallerName:
    surname: str
    title: str | None = None


def parse(text: str, keywords: Mapping[str, Sequence[str]]) -> CallerName | None:
    """The name a caller gives for themselves in `text`, or None."""
    intros = [w for w in keywords.get("surname_intro", ()) if w]
    titles = [w for w in keywords.get("caller_title", ()) if w]
    if not text.strip() or not intros:
        return None
    if text.isascii():
        return _parse_latin(text, intros, titles)
    return _parse_han(text, intros, titles)


def _parse_han(text: str, intros: Sequence[str], titles: Sequence[str]) -> CallerName | None:
    found: list[tuple[int, CallerName]] = []
    title_alt = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))
    for intro in intros:
        if title_alt:  # "我是王先生", "我姓欧阳,欧阳女士"
            pattern = rf"{re.escape(intro)}({_HAN}{{1,2}}?)({title_alt})"
            for m in re.finditer(pattern, text):
                if _surname_ok(m.group(1)):
                    found.append((m.start(), CallerName(m.group(1), m.group(2))))
        if intro.endswith("姓"):  # "我姓王" (title unknown unless given later)
            for m in re.finditer(rf"{re.escape(intro)}({_HAN}{{1,2}})", text):
                two = m.group(1)
                surname = two if two in COMPOUND_SURNAMES else two[0]
                if _surname_ok(surname):
                    title = _title_after(text, surname, titles)
                    found.append((m.start(), CallerName(surname, title)))
    if not found:
        return None
    # The earliest introduction wins; a titled reading beats an untitled one at the same place.
    found.sort(key=lambda item: (item[0], item[1].title is None))
    return found[0][1]


def _surname_ok(surname: str) -> bool:
    if len(surname) == 2:
        return surname in COMPOUND_SURNAMES
    return len(surname) == 1 and surname not in NOT_SURNAMES


def _title_after(text: str, surname: str, titles: Sequence[str]) -> str | None:
    for title in titles:
        if surname + title in text:
            return title
    return None


def _parse_latin(text: str, intros: Sequence[str], titles: Sequence[str]) -> CallerName | None:
    """English needs a title ("this is Mrs Smith"): a bare first name is not a surname."""
    if not titles:
        return None
    lower = text.lower()
    intro_alt = "|".join(re.escape(w.lower()) for w in sorted(intros, key=len, reverse=True))
    title_alt = "|".join(re.escape(w.lower()) for w in sorted(titles, key=len, reverse=True))
    pattern = rf"(?<![\w'])(?:{intro_alt})\s+({title_alt})\.?\s+([a-z][a-z'-]*)"
    m = re.search(pattern, lower)
    if m is None:
        return None
    title = EN_TITLES.get(m.group(1), m.group(1).capitalize())
    return CallerName(m.group(2).capitalize(), title)


def remember(ctx: CallContext, transcript: str) -> None:
    """Keep the name the caller gives; a title said later completes a bare surname."""
    keywords = ctx.settings.keywords(ctx.locale)
    name = parse(transcript, keywords)
    if name is not None:
        ctx.caller_surname = name.surname
        ctx.caller_title = name.title
        return
    if ctx.caller_surname and not ctx.caller_title:
        ctx.caller_title = _title_after(transcript, ctx.caller_surname, keywords.get(
            "caller_title", ()))


def reprompt(ctx: CallContext, plain: str) -> str:
    """greeting_surname instead of the plain re-prompt once the caller's name is known."""
    return GREETING if ctx.knows_name else plain
