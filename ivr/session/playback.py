"""Phrases on their way to the caller, for one call.

A catalogue phrase is ready PCM in memory and starts at once; a phrase with call variables
(ticket number, hours, name) or runtime text is synthesised on the session's executor, never
on the call thread, and comes back through the inbox (PcmReady). A phrase stopped (barge-in)
before its audio was ready never starts; it is reported as interrupted. Every phrase ends with
a PromptDone in the inbox, whether the player finished it, it was stopped, or it was empty.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ivr.policy import actions as act
from ivr.ports import Player, PromptSource
from ivr.session.inbox import InboxMessage, PcmReady, PromptDone

log = logging.getLogger(__name__)

SAY = "say"  # what a runtime-text phrase is called where a prompt id would be


class Playback:
    def __init__(
        self,
        call_id: str,
        locale: str,
        rate_hz: int,
        *,
        player: Player,
        prompts: PromptSource,
        executor: Executor,
        post: Callable[[InboxMessage], None],
    ) -> None:
        self.call_id = call_id
        self.locale = locale
        self.rate_hz = rate_hz
        self.player = player
        self._prompts = prompts
        self._executor = executor
        self._post = post
        self._tags = itertools.count(1)
        self._playing: dict[Any, str] = {}
        self._pending_render: set[int] = set()  # tags whose PCM is being synthesised
        self._cancelled_render: set[int] = set()  # ... and stopped before it was ready
        self.played: list[str] = []  # catalogue phrases the caller heard start, in order

    @property
    def now_playing(self) -> str:
        """The phrase most recently started and not yet finished ('' when quiet)."""
        playing = list(self._playing.values())
        return playing[-1] if playing else ""

    def play(self, action: act.Play) -> None:
        tag = next(self._tags)
        self._playing[tag] = action.prompt_id
        if not action.vars:
            self.pcm_ready(tag, self._render(action))
            return
        self._pending_render.add(tag)

        def render() -> None:
            self._post(PcmReady(tag, self._render(action)))

        self._executor.submit(render)

    def say(self, text: str) -> None:
        tag = next(self._tags)
        self._playing[tag] = SAY
        self._pending_render.add(tag)

        def ready(pcm: np.ndarray, tag: int = tag) -> None:
            self._post(PcmReady(tag, pcm))

        self._prompts.say(self.locale, text, self.rate_hz, ready)

    def stop(self) -> None:
        self.player.stop()
        self._cancelled_render |= self._pending_render

    def pcm_ready(self, tag: int, pcm: np.ndarray) -> None:
        self._pending_render.discard(tag)
        prompt_id = self._playing.get(tag)
        if prompt_id is None:
            return
        if tag in self._cancelled_render:  # stopped (barge-in) before it could start
            self._cancelled_render.discard(tag)
            self._post(PromptDone(tag, False))
            return
        if prompt_id != SAY:
            self.played.append(prompt_id)
        if pcm.size == 0:
            self._post(PromptDone(tag, True))
            return
        self.player.play(pcm.astype(np.int16, copy=False).tobytes(), tag)

    def finished(self, tag: Any) -> str | None:
        """The prompt id of a phrase that ended (None: not ours, or already reported)."""
        return self._playing.pop(tag, None)

    def _render(self, action: act.Play) -> np.ndarray:
        try:
            return self._prompts.prompt(
                self.locale, action.prompt_id, self.rate_hz, dict(action.vars)
            )
        except Exception as exc:
            # A missing or broken phrase must not stall the call: the policy carries on.
            log.error("call %s: prompt %s unavailable: %s", self.call_id, action.prompt_id, exc)
            return np.zeros(0, dtype=np.int16)
