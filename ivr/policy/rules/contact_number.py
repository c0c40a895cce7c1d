"""The number a callback goes to (seed 001 特殊沟通内容 11; 用户抱怨和投诉 4 and 6).

"您的这个问题我需要进壹步确认后才能回复您,请您留下您的联系电话,我们会于**小时内有专人和您联系,
好吗?" (特殊 11); "记录下用户姓氏、电话及复述投诉内容" (投诉 4); "请问您是否方便留下您的联系电话,
我会请关联人员稍后回复您的,好吗?" (投诉 6). Before any callback promise
(contact_number.promise_prompts) the bot asks for the number, once per call:

- a caller whose calling number is a plausible phone number hears it read back in full and
  confirms it with menu.confirm_digit or "可以"; menu.rerecord_digit, "不", or a spoken number
  lead on to another number;
- otherwise the caller says the number digit by digit (幺三八…, ivr.policy.spoken_digits) or keys
  it, ended by menu.end_recording_digit or by a pause of contact_number.inter_digit_s;
- the number is read back IN FULL ("您的联系电话是幺三八,零零零零,幺二三四,对吗?") and confirmed
  with menu.confirm_digit / yes; menu.rerecord_digit / no asks again;
- a confirmed number goes to the ticket the promise belongs to (UpdateTicket, stored encrypted
  like the caller number). It is never put in a mark, a note or a log line.

After contact_number.attempts_count misses (silence, no number, wrong length, "no") the call
goes on to the promise without a new number: the ticket still has the calling number, and a
caller is never held in a loop. DTMF is always accepted; speech is heard under a grammar of the
digit words and yes/no keywords (the session falls back to free speech when the model lacks
any of them, ivr.media.lexicon), so the unintelligible ladder does not run in this step.
"""

from __future__ import annotations

from collections.abc import Callable

from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy import spoken_digits
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.rules.intent import yes_no

USE_CALLER = "contact_number_use_caller"
ASK = "contact_number_ask"
CONFIRM = "contact_number_confirm"
RETRY = "contact_number_retry"
FIELD = "contact_number"  # the UpdateTicket field the session stores encrypted
# The policy sees the calling number masked (138****5678): where the read-back or the ticket
# needs it in full, the policy says this and the session puts the real number in its place.
CALLING_NUMBER = "<calling-number>"
ASKED = "contact_number"  # ctx.asked key: asked once per call
# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({USE_CALLER, ASK, CONFIRM, RETRY})

Then = Callable[[CallContext], None]


def wanted(ctx: CallContext, prompt_id: str) -> bool:
    """Ask before this promise? Only for a configured promise with a ticket to attach to."""
    settings = ctx.settings.contact_number
    return (settings.enabled and prompt_id in settings.promise_prompts
            and ctx.last_request_id is not None)


def ask(ctx: CallContext, then: Then) -> None:
    """Get the callback number for the ticket just opened, then run ``then`` (the promise).

    Asked once per call: a second promise reuses the number already confirmed.
    """
    request_id = ctx.last_request_id or ""
    if ctx.count_ask(ASKED) > 1:
        if ctx.contact_number:
            _attach(ctx, request_id, ctx.contact_number)
        then(ctx)
        return
    caller = _plausible(ctx, ctx.answered.caller if ctx.answered else "")
    ctx.goto(ContactNumber(request_id, then, offer=caller))


def _plausible(ctx: CallContext, number: str) -> str | None:
    """CALLING_NUMBER when the calling number can be called back (not "anonymous", not short).

    The policy gets it masked ("138****5678"): the digits and the mask's stars are counted.
    """
    shown = number.strip().lstrip("+").replace("-", "").replace(" ", "")
    if shown and all(ch.isdigit() or ch == "*" for ch in shown) and _fits(ctx, shown):
        return CALLING_NUMBER
    return None


def read_back(digits: str, locale: str) -> str:
    """The number as the caller hears it; CALLING_NUMBER stays for the session to fill in."""
    return digits if digits == CALLING_NUMBER else spoken_digits.speak(digits, locale)


def _fits(ctx: CallContext, digits: str) -> bool:
    s = ctx.settings.contact_number
    return s.min_digits_count <= len(digits) <= s.max_digits_count


def _attach(ctx: CallContext, request_id: str, digits: str) -> None:
    ctx.emit(a.UpdateTicket(request_id=request_id, fields={FIELD: digits}))


def grammar(ctx: CallContext) -> tuple[str, ...]:
    """Digit words plus the yes/no keywords: everything this step listens for."""
    keywords = ctx.settings.keywords(ctx.locale)
    words = (*spoken_digits.digit_words(ctx.locale), *keywords.get("yes", ()),
             *keywords.get("no", ()))
    return tuple(dict.fromkeys(words))


class ContactNumber(Step):
    """Offer the calling number, or take a new one; read it back; confirm."""

    name = "contact_number"
    dialogue = False  # answers are digits under a grammar: no dialect/abuse ladder here

    def __init__(self, request_id: str, then: Then, *, offer: str | None = None,
                 candidate: str | None = None, misses: int = 0,
                 prompt: str | None = None) -> None:
        self.request_id = request_id
        self.then = then
        self.offer = offer  # the calling number, while the caller has not declined it
        self.candidate = candidate  # a number read back, awaiting confirmation
        self.misses = misses
        self.prompt = prompt
        self.keys = ""  # digits keyed so far

    # Saying ---------------------------------------------------------------------------------
    def enter(self, ctx: CallContext) -> None:
        ctx.emit(a.Listen(grammar=grammar(ctx)))
        if self.candidate is not None:
            ctx.play(CONFIRM, {"number": read_back(self.candidate, ctx.locale)})
        elif self.offer is not None:
            ctx.play(USE_CALLER, {"number": read_back(self.offer, ctx.locale)})
        else:
            ctx.play(self.prompt or ASK)

    def leave(self, ctx: CallContext) -> None:
        ctx.emit(a.Listen(grammar=None))

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.contact_number.timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name != WAIT:
            return
        if self.keys:
            self._number(ctx, self.keys)  # keyed digits, then a pause: take them
        else:
            self._miss(ctx)

    # Hearing --------------------------------------------------------------------------------
    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        menu = ctx.settings.menu
        if self.candidate is not None or (self.offer is not None and not self.keys):
            if ev.digit == menu.confirm_digit:
                self._confirmed(ctx, self.candidate or self.offer or "")
                return
            if ev.digit == menu.rerecord_digit:
                self._again(ctx, miss=self.candidate is not None)
                return
        if ev.digit.isdigit():
            self.keys += ev.digit
            ctx.interrupt()  # keying over the phrase: the caller knows what to do
            ctx.start_timer(WAIT, ctx.settings.contact_number.inter_digit_s)
        elif ev.digit == menu.end_recording_digit and self.keys:
            self._number(ctx, self.keys)
        elif ev.digit == menu.repeat_digit:
            self.keys = ""
            ctx.interrupt()
            ctx.goto(ContactNumber(self.request_id, self.then, offer=self.offer,
                                   candidate=self.candidate, misses=self.misses,
                                   prompt=self.prompt))
        else:
            ctx.idle_check()

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        digits = spoken_digits.parse(ev.transcript, ctx.locale)
        if digits is not None and len(digits) >= ctx.settings.contact_number.min_digits_count:
            self._number(ctx, digits)
            return
        answer = yes_no(ev.transcript, ctx.settings.keywords(ctx.locale))
        pending = self.candidate if self.candidate is not None else self.offer
        if answer is True and pending is not None:
            self._confirmed(ctx, pending)
        elif answer is False and pending is not None:
            self._again(ctx, miss=self.candidate is not None)
        elif digits is not None or ev.transcript:
            self._miss(ctx)  # a short number, or words that are not an answer
        else:
            ctx.idle_check()  # no recogniser: keys are the way

    # Moving on ------------------------------------------------------------------------------
    def _number(self, ctx: CallContext, digits: str) -> None:
        if not _fits(ctx, digits):
            self._miss(ctx)
            return
        ctx.interrupt()
        ctx.goto(ContactNumber(self.request_id, self.then, candidate=digits,
                               misses=self.misses))

    def _again(self, ctx: CallContext, *, miss: bool) -> None:
        """The caller wants another number: ask for it (a rejected read-back is a miss)."""
        misses = self.misses + (1 if miss else 0)
        if misses >= ctx.settings.contact_number.attempts_count:
            self._give_up(ctx)
            return
        ctx.interrupt()
        ctx.goto(ContactNumber(self.request_id, self.then, misses=misses))

    def _miss(self, ctx: CallContext) -> None:
        misses = self.misses + 1
        if misses >= ctx.settings.contact_number.attempts_count:
            self._give_up(ctx)
            return
        ctx.interrupt()
        ctx.goto(ContactNumber(self.request_id, self.then, offer=self.offer, misses=misses,
                               prompt=RETRY))

    def _confirmed(self, ctx: CallContext, digits: str) -> None:
        ctx.interrupt()
        ctx.contact_number = digits  # CALLING_NUMBER when the caller kept the calling number
        _attach(ctx, self.request_id, digits)
        ctx.mark("contact number confirmed")  # never the number itself
        self._done(ctx)

    def _give_up(self, ctx: CallContext) -> None:
        ctx.mark("contact number not given")
        ctx.interrupt()
        self._done(ctx)

    def _done(self, ctx: CallContext) -> None:
        ctx.cancel_timer(WAIT)
        self.leave(ctx)
        ctx.step = Step()  # the promise that follows sets the next step (closing, understood)
        self.then(ctx)
