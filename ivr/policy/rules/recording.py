"""Taking down what the caller says (complaint, suggestion, inquiry details).

Seed 000 第八条: "将申诉/投诉详情完整记录". Recording stops at the end-recording key (#), after
complaint.end_of_speech_s of silence following speech, or at complaint.max_recording_s.
"""

from __future__ import annotations

from collections.abc import Callable

from ivr.policy import events as e
from ivr.policy.context import RECORD_END, RECORD_MAX, CallContext, Step

Done = Callable[[CallContext, str, bool], None]  # (ctx, transcript, caller spoke)


class Recording(Step):
    name = "recording"
    line_rules = False
    dialogue = False

    def __init__(self, purpose: str, done: Done) -> None:
        self.purpose = purpose
        self.done = done
        self.parts: list[str] = []
        self.spoke = False
        self.finished = False

    def enter(self, ctx: CallContext) -> None:
        cfg = ctx.settings.complaint
        ctx.start_recording(self.purpose, cfg.max_recording_s)
        ctx.start_timer(RECORD_MAX, cfg.max_recording_s)
        if ctx.speaking:
            self.spoke = True
            self._capture(ctx)
        else:
            # Nobody talks yet: give the caller the ordinary answer time to begin.
            ctx.start_timer(RECORD_END, ctx.settings.dialogue.intent_timeout_s)

    def leave(self, ctx: CallContext) -> None:
        ctx.stop_recording()

    def on_speech_started(self, ctx: CallContext, ev: e.SpeechStarted) -> None:
        self.spoke = True
        self._capture(ctx)
        ctx.cancel_timer(RECORD_END)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        self.spoke = True
        if ev.transcript:
            self.parts.append(ev.transcript)
        self._capture(ctx)
        ctx.start_timer(RECORD_END, ctx.settings.complaint.end_of_speech_s)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        if ev.digit == ctx.settings.menu.end_recording_digit:
            self.finish(ctx)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name in (RECORD_END, RECORD_MAX):
            self.finish(ctx)

    def _capture(self, ctx: CallContext) -> None:
        """Keep a complaint's details on the call as they come (issue 13 defect 5)."""
        capture = ctx.pending_complaint
        if capture is not None and self.purpose == "complaint":
            capture.stage = "recording"
            capture.spoke = capture.spoke or self.spoke
            capture.parts[:] = self.parts

    @property
    def transcript(self) -> str:
        return " ".join(p.strip() for p in self.parts if p.strip())

    def finish(self, ctx: CallContext) -> None:
        if self.finished:
            return
        self.finished = True
        ctx.stop_recording()
        ctx.cancel_timer(RECORD_END)
        ctx.cancel_timer(RECORD_MAX)
        self.done(ctx, self.transcript, self.spoke)


class AskThenRecord(Step):
    """Say the request phrases, then record; talking over them starts the recording at once."""

    name = "ask"
    line_rules = False
    dialogue = False

    def __init__(self, prompts: tuple[str, ...], purpose: str, done: Done) -> None:
        self.prompts = prompts
        self.purpose = purpose
        self.done = done
        self.toned = False

    def enter(self, ctx: CallContext) -> None:
        for prompt_id in self.prompts:
            ctx.play(prompt_id)

    def on_idle(self, ctx: CallContext) -> None:
        if not self.toned and ctx.settings.complaint.tone_enabled:
            # "请在提示音后讲述…": the promised tone, then the recording (issue 13 defect 6).
            self.toned = True
            ctx.tone()
            return
        ctx.goto(Recording(self.purpose, self.done))

    def on_speech_started(self, ctx: CallContext, ev: e.SpeechStarted) -> None:
        ctx.interrupt()
        ctx.goto(Recording(self.purpose, self.done))

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        """A key cut the request phrase short: start recording now."""
        ctx.idle_check()
