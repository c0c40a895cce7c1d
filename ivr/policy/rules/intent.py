"""Intent after the greeting: transcript keywords (per-locale lists in config) or menu digits.

Seed 000 第十六条 1 ends the greeting with "请问有什么可以帮助您?"; what the caller answers picks
the flow. Without a recogniser (no transcript) the DTMF menu alone runs every flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step

# The order in which intents win when a sentence holds several keywords.
INTENT_ORDER = ("person", "complaint", "suggestion", "inquiry", "thanks", "goodbye")
BUSINESS_INTENTS = frozenset({"person", "complaint", "suggestion", "inquiry"})


def _has_word(text: str, word: str) -> bool:
    if not word:
        return False
    if word.isascii():
        return re.search(rf"(?<![\w']){re.escape(word.lower())}(?![\w'])", text.lower()) is not None
    return word in text  # Chinese has no spaces: a keyword is a substring


def matches(text: str, words: Iterable[str]) -> bool:
    return any(_has_word(text, w) for w in words)


def classify(text: str, keywords: Mapping[str, Sequence[str]]) -> str | None:
    """The caller's intent from a transcript, or None when no keyword matches."""
    if not text.strip():
        return None
    for intent in INTENT_ORDER:
        if matches(text, keywords.get(intent, ())):
            return intent
    return None


def yes_no(text: str, keywords: Mapping[str, Sequence[str]]) -> bool | None:
    """True for yes, False for no, None for neither ("不是" is checked before "是")."""
    if matches(text, keywords.get("no", ())):
        return False
    if matches(text, keywords.get("yes", ())):
        return True
    return None


def is_abuse(text: str, keywords: Mapping[str, Sequence[str]]) -> bool:
    return matches(text, keywords.get("abuse", ()))


def digit_intent(settings: Settings, digit: str) -> str | None:
    menu = settings.menu
    table = {
        menu.complaint_digit: "complaint",
        menu.inquiry_digit: "inquiry",
        menu.suggestion_digit: "suggestion",
        menu.person_digit: "person",
    }
    return table.get(digit)


class IntentStep(Step):
    """Waiting for what the caller wants; misses replay the menu, then a person takes over."""

    name = "intent"

    def __init__(self, prompts: Sequence[str] = ("menu",), *, opening: bool = False,
                 misses: int = 0, talk_misses: int = 0) -> None:
        self.prompts = tuple(prompts)
        self.opening = opening  # right after the greeting: a silent line starts the silent ladder
        self.misses = misses
        self.talk_misses = talk_misses  # understood speech with no business in it

    def enter(self, ctx: CallContext) -> None:
        for prompt_id in self.prompts:
            ctx.play(prompt_id)

    def on_idle(self, ctx: CallContext) -> None:
        if self.opening and not ctx.heard:
            from ivr.policy.rules.silent_call import SilentCall

            ctx.goto(SilentCall(back=IntentStep(prompts=(), misses=self.misses)))
            return
        ctx.start_timer(WAIT, ctx.settings.dialogue.intent_timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == WAIT:
            self.miss(ctx, talk=False)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        intent = classify(ev.transcript, ctx.settings.keywords(ctx.locale))
        if intent is not None:
            ctx.start_flow(intent)
        elif ev.confidence is None and not ev.transcript:
            # No recogniser: speech alone says nothing; the menu is the way in.
            self.miss(ctx, talk=False, prompts=("menu",))
        else:
            self.miss(ctx, talk=True)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        intent = digit_intent(ctx.settings, ev.digit)
        if intent is not None:
            ctx.start_flow(intent)
        elif ev.digit == ctx.settings.menu.repeat_digit:
            ctx.goto(IntentStep(("menu",), misses=self.misses, talk_misses=self.talk_misses))
        else:
            self.miss(ctx, talk=False)

    def miss(self, ctx: CallContext, *, talk: bool,
             prompts: Sequence[str] = ("repeat_please", "menu")) -> None:
        """The caller said or pressed nothing we can act on."""
        attempts = ctx.settings.dialogue.intent_attempts_count
        misses = self.misses + 1
        talk_misses = self.talk_misses + (1 if talk else 0)
        if talk_misses >= attempts and not ctx.business:
            ctx.start_flow("harassment")  # seed 001 特殊沟通内容 6: repeated non-business talk
        elif misses >= attempts:
            ctx.start_flow("person", why="no_intent")
        else:
            ctx.goto(IntentStep(prompts=prompts, misses=misses, talk_misses=talk_misses))
