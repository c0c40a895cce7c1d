"""The call register's row for a finished call: how it ended and how its line sounded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ivr.session.facts import CallFacts, CallOutcome
from ivr.session.timing import FRAME_MS
from ivr.tickets.types import CallRecordDraft


def call_record_draft(
    facts: CallFacts,
    outcome: CallOutcome,
    verdict_frames: Mapping[str, int],
    ticket_ids: tuple[str, ...],
) -> CallRecordDraft:
    frame_s = FRAME_MS / 1000.0
    return CallRecordDraft(
        call_id=facts.call_id,
        answered_at=facts.answered_at,
        ended_at=facts.answered_at + dt.timedelta(seconds=outcome.duration_s),
        end_reason=outcome.end_reason,
        caller_number=facts.caller or None,
        prompts_played=tuple(outcome.prompts_played),
        transfer_target=outcome.transfer_target,
        silent_s=verdict_frames["silent"] * frame_s,
        low_volume_s=verdict_frames["low_volume"] * frame_s,
        noisy_s=verdict_frames["noisy"] * frame_s,
        ticket_ids=ticket_ids,
        sip_call_id=facts.sip_call_id or None,
        worker_id=facts.worker_id,
    )
