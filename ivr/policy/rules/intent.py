"""Intent after the greeting: transcript keywords (per-locale lists in config) or menu digits.

Seed 000 第十六条 1 ends the greeting with "请问有什么可以帮助您?"; what the caller answers picks
the flow. Without a recogniser (no transcript) the DTMF menu alone runs every flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.flows import FlowName
from ivr.policy.rules.caller_name import parse as parse_name
from ivr.policy.rules.caller_name import reprompt
from ivr.text import has_keyword

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"menu", "repeat_please", "silent_reprompt"})

# The order in which intents win when a sentence holds several keywords: a business request
# beats the special ones (seed 001 特殊沟通内容 1, 2, 4, 5), which beat the generic inquiry words
# ("请问" is politeness as often as a question) and thanks/goodbye.
INTENT_ORDER: tuple[FlowName, ...] = (
    "person",
    "complaint",
    "suggestion",
    "wrong_number",
    "personal_info",
    "named_colleague",
    "out_of_scope",
    "inquiry",
    "thanks",
    "goodbye",
)
BUSINESS_INTENTS: frozenset[FlowName] = frozenset({"person", "complaint", "suggestion", "inquiry"})
# Requests the standard answers with its own phrase; they are not business (see ctx.business).
SPECIAL_INTENTS: frozenset[FlowName] = frozenset(
    {"wrong_number", "named_colleague", "personal_info", "out_of_scope"}
)


def _has_word(text: str, word: str) -> bool:
    """Keyword match on the written form (ivr.text): the recogniser's spaces between Chinese
    words, full-width forms and ``[unk]`` do not hide a keyword."""
    return has_keyword(text, word)


def matches(text: str, words: Iterable[str]) -> bool:
    return any(_has_word(text, w) for w in words)


def classify(text: str, keywords: Mapping[str, Sequence[str]]) -> FlowName | None:
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


def digit_intent(settings: Settings, digit: str) -> FlowName | None:
    menu = settings.menu
    table: dict[str, FlowName] = {
        menu.complaint_digit: "complaint",
        menu.inquiry_digit: "inquiry",
        menu.suggestion_digit: "suggestion",
        menu.person_digit: "person",
    }
    return table.get(digit)


class IntentStep(Step):
    """Waiting for what the caller wants; misses replay the menu, then a person takes over."""

    name = "intent"

    def __init__(self, prompts: Sequence[str] = ("menu",), *, misses: int = 0,
                 talk_misses: int = 0) -> None:
        self.prompts = tuple(prompts)
        self.misses = misses
        self.talk_misses = talk_misses  # understood speech with no business in it

    def enter(self, ctx: CallContext) -> None:
        for prompt_id in self.prompts:
            ctx.play(prompt_id)

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.dialogue.intent_timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == WAIT:
            self.miss(ctx, talk=False)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        keywords = ctx.settings.keywords(ctx.locale)
        intent = classify(ev.transcript, keywords)
        if intent is not None:
            ctx.start_flow(intent)
        elif ev.confidence is None and not ev.transcript:
            # No recogniser: speech alone says nothing; the menu is the way in.
            self.miss(ctx, talk=False, prompts=("menu",))
        elif parse_name(ev.transcript, keywords) is not None:
            # "您好,我是王先生": an introduction, not a miss; answer it by name (000 第十六条 2).
            ctx.goto(IntentStep((reprompt(ctx, "silent_reprompt"),), misses=self.misses,
                                talk_misses=self.talk_misses))
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
            if not talk and prompts and prompts[0] == "repeat_please":
                # Nothing was said: address a caller whose name we know (seed 000 第十六条 2);
                # after words we could not use, seed 001 无法听清 7's "请您…重讲一遍" stays.
                prompts = (reprompt(ctx, "repeat_please"), *prompts[1:])
            ctx.goto(IntentStep(prompts=prompts, misses=misses, talk_misses=talk_misses))
