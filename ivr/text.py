"""Caller text as the recogniser gives it, made fit for keyword matching and ticket text.

Pure (no I/O): a base module like ``ivr.config`` that the policy, media and tickets may import.

Vosk's Chinese models return lexicon words separated by spaces ("我 要 投诉", "转 人工") and
``[unk]`` for audio they cannot map to a word (rhasspy/hassio-addons#69); typed or scripted
text may carry full-width forms ("ＱＱ", "１３８") and Chinese punctuation. ``tidy`` turns all
of these into the form a person would write: no spaces next to a CJK character (spaces between
Latin words stay), NFKC width folding, no ``[unk]``. ``has_keyword`` matches configured keywords
on that form, so a keyword spanning two lexicon words ("转人工" = "转" + "人工") still matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

UNKNOWN_WORD = "[unk]"

# Han ideographs (with extensions and compatibility forms), kana, CJK symbols and punctuation,
# and the full-width forms block. Hangul is NOT here: Korean writes spaces between words.
_CJK_RANGES = (
    (0x2E80, 0x2FDF),  # radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。「」)
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # extension A
    (0x4E00, 0x9FFF),  # unified ideographs
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms left after NFKC (e.g. ｡ is folded, ￥ is not)
    (0x20000, 0x2FA1F),  # extensions B-F and compatibility supplement
)
_CJK_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES)
_UNK = re.compile(re.escape(UNKNOWN_WORD), re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# A space with a CJK character on either side is the recogniser's word boundary, not writing.
_CJK_SPACE = re.compile(rf"(?<=[{_CJK_CLASS}]) | (?=[{_CJK_CLASS}])")
# Punctuation after NFKC (ASCII and CJK; not the apostrophe of "don't"): no keyword spans it.
_PUNCT = re.compile(r"[!-&(-/:-@\[-`{-~\u3000-\u303f\uff5f-\uff65·…—–‘’“”]+")
_ASCII_WORD_EDGE = r"[A-Za-z0-9_']"  # Chinese next to a Latin word is an edge


def is_cjk(char: str) -> bool:
    """True for a Han/kana character or CJK punctuation (not Hangul, not Latin)."""
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def tidy(text: str) -> str:
    """The written form of a transcript: what tickets store and the policy matches on.

    NFKC folds full-width letters, digits and punctuation ("ＱＱ，" -> "QQ,"); ``[unk]`` is
    removed; runs of whitespace become one space; a space next to a CJK character is removed.
    Idempotent: ``tidy(tidy(x)) == tidy(x)``.
    """
    folded = unicodedata.normalize("NFKC", text)
    folded = _UNK.sub(" ", folded)
    folded = _SPACES.sub(" ", folded).strip()
    return _CJK_SPACE.sub("", folded)


def match_form(text: str) -> str:
    """``tidy`` text, case-folded, with each run of punctuation turned into a line break.

    A line break stops a CJK keyword from matching across a comma and counts as a word edge for
    Latin keywords.
    """
    return "\n".join(part.strip() for part in _PUNCT.split(tidy(text).casefold()))


def _compact(text: str) -> str:
    return text.replace(" ", "")


def has_keyword(text: str, keyword: str) -> bool:
    """Does the caller's text hold this configured keyword?

    An ASCII keyword must stand as whole words ("no" is not in "know"); any other keyword is a
    substring, compared without spaces, so "转人工", "转 人工" and a Korean keyword written with
    or without its word space all match the recogniser's spaced output.
    """
    key = match_form(keyword)
    if not key:
        return False
    hay = match_form(text)
    if key.isascii():
        pattern = rf"(?<!{_ASCII_WORD_EDGE}){re.escape(key)}(?!{_ASCII_WORD_EDGE})"
        return re.search(pattern, hay) is not None
    return _compact(key) in _compact(hay)


def has_any(text: str, keywords: Iterable[str]) -> bool:
    """True when any keyword is in the text (see ``has_keyword``)."""
    return any(has_keyword(text, k) for k in keywords)


def only_unknown(text: str) -> bool:
    """True when the recogniser heard speech but no lexicon word ("", "[unk]", "[unk] [unk]")."""
    return not tidy(text)
