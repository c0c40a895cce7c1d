"""Properties over random callers (hypothesis): the contract holds whatever the caller does.

Every call ends (hang-up or transfer) within a bound; never two prompts at once; no timer or
recording outlives the call; every hang-up has a known reason and, unless the caller left, the
standard phrase for that reason was the last thing the caller heard.
"""

from __future__ import annotations

import datetime as dt

from fakes import VirtualCall, dtmf, estimated_seconds, line, speech
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ivr.config import load_settings
from ivr.policy import REASONS, CallPolicy, final_phrase
from ivr.policy import actions as a
from ivr.policy import events as e

MAX_CALL_S = 90.0
CFG = load_settings(overrides={"dialogue": {"max_call_s": MAX_CALL_S}})
# Seed 001's silent ladder (goodbye after the notice) and no "was that clear?" question.
CFG_ALT = load_settings(
    overrides={
        "dialogue": {"max_call_s": MAX_CALL_S, "ask_understood": False},
        "silent_call": {"goodbye_after_notice": True},
    }
)
SECONDS = {loc: estimated_seconds(CFG, loc) for loc in ("zh-CN", "en-US")}
LONGEST_PHRASE_S = max(SECONDS["zh-CN"](p) for p in CFG.prompts["zh-CN"])
LONGEST_PAUSE_S = max(
    CFG.silent_call.after_final_notice_s,
    CFG.low_volume.hangup_after_final_s,
    CFG.noisy_line.hangup_after_final_s,
    CFG.unintelligible.hangup_after_final_s,
    CFG.harassment.hangup_after_final_s,
)
BOUND_S = MAX_CALL_S + LONGEST_PHRASE_S + LONGEST_PAUSE_S

WORDS = [
    "我要投诉",
    "请问",
    "建议",
    "转人工",
    "谢谢",
    "再见",
    "是的",
    "不是",
    "神经病",
    "今天天气不错",
    "嗯",
    "",
    "complaint",
    "agent",
    "yes",
    "打错了",
    "我要找小李",
    "你的微信多少",
    "我想贷款",
    "我是王先生",
    "我姓李",
    "清楚了",
    "不太明白",
    "wrong number",
    "this is mister wang",
]

speech_part = st.builds(
    lambda d, w, c, lvl, voc: ("speech", d, w, c, lvl, voc),
    st.floats(0.2, 8.0),
    st.sampled_from(WORDS),
    st.one_of(st.none(), st.floats(0.0, 1.0)),
    st.one_of(st.none(), st.floats(-70.0, -5.0)),
    st.booleans(),
)
key_part = st.builds(lambda k: ("dtmf", k), st.sampled_from(list("0123456789*#")))
line_part = st.builds(
    lambda v, d, r: ("line", v, d, r),
    st.sampled_from(["ok", "low_volume", "noisy", "silent"]),
    st.floats(0.25, 6.0),
    st.booleans(),
)
rare_part = st.sampled_from([("hangup",), ("shutdown",), ("speech_start_only",)])
part = st.one_of(speech_part, speech_part, key_part, key_part, line_part, rare_part)


def build_script(parts, gaps) -> list[e.Event]:
    t = 0.0
    events: list[e.Event] = []
    for p, gap in zip(parts, gaps, strict=False):
        t += gap
        kind = p[0]
        if kind == "speech":
            _, d, w, c, lvl, voc = p
            events += speech(t, d, w, c, level_dbfs=lvl, in_vocabulary=voc)
            t += d
        elif kind == "dtmf":
            events += dtmf(t, p[1])
        elif kind == "line":
            _, v, d, r = p
            events += line(t, t + d, v, reverberant=r)
            t += d
        elif kind == "hangup":
            events.append(e.CallerHungUp(t=t))
        elif kind == "shutdown":
            events.append(e.ShutdownRequested(t=t))
        else:
            events.append(e.SpeechStarted(t=t))
    return events


@hsettings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(part, max_size=25),
    gaps=st.lists(st.floats(0.0, 12.0), min_size=25, max_size=25),
    locale=st.sampled_from(["zh-CN", "en-US"]),
    ring_s=st.floats(0.0, 30.0),
    hour=st.integers(0, 23),
    blacklisted=st.booleans(),
    ticket_ok=st.booleans(),
    ticket_delay=st.sampled_from([0.1, 3.0, 50.0]),
    transfer_ok=st.booleans(),
    transfer_delay=st.sampled_from([0.5, 200.0]),
    alt_config=st.booleans(),
)
def test_contract_holds_for_any_caller(
    parts,
    gaps,
    locale,
    ring_s,
    hour,
    blacklisted,
    ticket_ok,
    ticket_delay,
    transfer_ok,
    transfer_delay,
    alt_config,
):
    cfg = CFG_ALT if alt_config else CFG
    answered = e.Answered(
        t=0.0, ring_s=ring_s, blacklisted=blacklisted, local_time=dt.datetime(2026, 3, 3, hour, 15)
    )
    call = VirtualCall(
        CallPolicy(cfg, locale),
        SECONDS[locale],
        answered=answered,
        ticket_ok=ticket_ok,
        ticket_delay_s=ticket_delay,
        transfer_ok=transfer_ok,
        transfer_delay_s=transfer_delay,
    )
    call.run(build_script(parts, gaps))

    assert call.violations == [], call.format()
    assert call.policy.ended, call.format()
    assert call.end_t is not None and call.end_t <= BOUND_S, call.format()
    hangups = call.actions(a.Hangup)
    assert len(hangups) == 1
    reason = hangups[0][1].reason
    assert reason in REASONS and call.policy.end_reason == reason
    expected = final_phrase(cfg, reason)
    if expected is not None:
        finished = [p for t, p in call.finished() if t <= call.end_t]
        assert finished and finished[-1] == expected, call.format()
        if reason == "transferred":
            transfer_t = call.actions(a.Transfer)[-1][0]
            assert [t for t, p in call.finished() if p == expected][-1] <= transfer_t
