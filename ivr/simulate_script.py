"""`ivr simulate --script FILE`: a whole conversation from a caller script, without a speech model.

Admins tune keywords and timers on a box with no Mandarin recogniser: the script says what the
recogniser would return for each utterance (or gives real audio), the real policy answers in
virtual time, and tickets go to an in-memory register with the real validation and the real SLA
calendar (a ticket the register would refuse fails here too). The script (TOML):

    [call]
    local_time = "2026-03-06T17:45:00"   # answer time, in business.timezone
    ring_s = 2.0
    caller = "13800000001"
    locale = "zh-CN"
    blacklisted = false

    [[turn]]                 # turns run in order
    after_bot_s = 1.0        # this long after the bot's reply ends (default 1.0): the bot has
                             # started a phrase since the previous turn began and is quiet; or
    # after_s = 0.5          # this long after the previous turn, whatever the bot does; or
    # at = 12.5              # seconds after the answer
    say = "我想问一下我的快递到哪了"   # what the recogniser returns for this utterance
    confidence = 0.9         # default 0.9
    speech_s = 2.5           # how long the caller talks (default: from the text)
    level_dbfs = -25.0       # how loud (below line.low_volume_below_dbfs: a quiet caller)
    [[turn]]
    dtmf = "1"
    [[turn]]
    wav = "caller.wav"       # real audio through the line monitor (relative to the script);
                             # with `say`, its last speech segment carries that transcript
    [[turn]]
    silence_s = 30
    [[turn]]
    hangup = true

    [expect]                 # optional: checked after the run (exit status 1 if not met)
    end_reason = "transferred"
    prompts = ["greeting", "repeat_please", "transfer_notice"]   # in this order (a subsequence)
    absent = ["harassment_warning"]
    tickets = ["callback"]   # ticket categories, in order

Every turn has exactly one of say / dtmf / wav / silence_s / hangup (wav may add say). `say`
and `silence_s` take noise_dbfs: a noise floor above line.noisy_floor_above_dbfs makes the line
reports say "noisy" (a noisy line without a WAV). After the last turn the line is silent until
the call ends.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from ivr.config import Settings
from ivr.config.constants import LOCALES
from ivr.policy import CallPolicy
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.speech_length import say_seconds
from ivr.policy.virtual import VirtualCall
from ivr.session.effects import ticket_draft
from ivr.session.facts import CallFacts
from ivr.simulate import jsonable
from ivr.tickets.sla import sla_calendar
from ivr.tickets.types import InvalidDraft, ticket_uuid
from ivr.vocabulary import LineVerdict

DEFAULT_AFTER_BOT_S = 1.0
DEFAULT_CONFIDENCE = 0.9
DEFAULT_LEVEL_DBFS = -25.0
CLEAR_NOISE_DBFS = -70.0
REPORT_EVERY_S = 0.25  # line reports during a said turn (the session's rate is similar)
DTMF_GAP_S = 0.5
KINDS = ("say", "dtmf", "wav", "silence_s", "hangup")
TURN_KEYS = frozenset({*KINDS, "after_bot_s", "after_s", "at", "confidence", "speech_s",
                       "level_dbfs", "in_vocabulary", "noise_dbfs"})
EXPECT_KEYS = frozenset({"end_reason", "prompts", "absent", "tickets"})
CALL_KEYS = frozenset({"local_time", "ring_s", "caller", "locale", "blacklisted", "called"})


class ScriptError(ValueError):
    """A caller script that cannot run: names the file, the place and the allowed values."""


@dataclass(frozen=True)
class Turn:
    index: int
    kind: str
    value: Any
    at: float | None = None
    after_s: float | None = None
    after_bot_s: float = DEFAULT_AFTER_BOT_S
    say: str = ""
    confidence: float = DEFAULT_CONFIDENCE
    speech_s: float | None = None
    level_dbfs: float = DEFAULT_LEVEL_DBFS
    in_vocabulary: bool = True
    noise_dbfs: float = CLEAR_NOISE_DBFS


@dataclass(frozen=True)
class Expect:
    end_reason: str | None = None
    prompts: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    tickets: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CallSetup:
    local_time: dt.datetime | None = None
    ring_s: float = 0.0
    caller: str = ""
    called: str = ""
    locale: str | None = None
    blacklisted: bool = False


@dataclass(frozen=True)
class Script:
    path: Path
    call: CallSetup
    turns: tuple[Turn, ...]
    expect: Expect = Expect()


def _num(path: Path, where: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScriptError(f"{path}: {where}.{key} = {value!r}: must be a number")
    if not low <= float(value) <= high:
        raise ScriptError(f"{path}: {where}.{key} = {value!r}: allowed {low} .. {high}")
    return float(value)


def parse_script(path: str | Path) -> Script:
    """Read and check a caller script; every problem names the file, turn and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"call", "turn", "expect"}
    if unknown:
        raise ScriptError(f"{path}: unknown table(s) {sorted(unknown)} (allowed: [call], "
                          "[[turn]], [expect])")
    call = _parse_call(path, data.get("call", {}))
    raw_turns = data.get("turn", [])
    if not isinstance(raw_turns, list):
        raise ScriptError(f"{path}: turn must be an array of tables ([[turn]])")
    turns = tuple(_parse_turn(path, i + 1, t) for i, t in enumerate(raw_turns))
    return Script(path, call, turns, _parse_expect(path, data.get("expect", {})))


def _parse_expect(path: Path, raw: Mapping[str, Any]) -> Expect:
    unknown = set(raw) - EXPECT_KEYS
    if unknown:
        raise ScriptError(f"{path}: expect: unknown key(s) {sorted(unknown)} "
                          f"(allowed: {', '.join(sorted(EXPECT_KEYS))})")
    for key in ("prompts", "absent", "tickets"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScriptError(f"{path}: expect.{key} = {value!r}: a list of strings")
    tickets = raw.get("tickets")
    return Expect(end_reason=raw.get("end_reason"), prompts=tuple(raw.get("prompts", [])),
                  absent=tuple(raw.get("absent", [])),
                  tickets=None if tickets is None else tuple(tickets))


def _parse_call(path: Path, raw: Mapping[str, Any]) -> CallSetup:
    unknown = set(raw) - CALL_KEYS
    if unknown:
        raise ScriptError(f"{path}: call: unknown key(s) {sorted(unknown)} "
                          f"(allowed: {', '.join(sorted(CALL_KEYS))})")
    local = raw.get("local_time")
    local_time = None
    if isinstance(local, dt.datetime):
        local_time = local.replace(tzinfo=None) if local.tzinfo is None else local
    elif isinstance(local, str):
        try:
            local_time = dt.datetime.fromisoformat(local)
        except ValueError as exc:
            raise ScriptError(f"{path}: call.local_time = {local!r}: expected ISO 8601, e.g. "
                              "2026-03-06T17:45:00") from exc
    elif local is not None:
        raise ScriptError(f"{path}: call.local_time = {local!r}: expected ISO 8601")
    locale = raw.get("locale")
    if locale is not None and locale not in LOCALES:
        raise ScriptError(f"{path}: call.locale = {locale!r}: allowed {', '.join(LOCALES)}")
    ring_s = _num(path, "call", "ring_s", raw.get("ring_s", 0.0), 0.0, 600.0)
    return CallSetup(local_time=local_time, ring_s=ring_s, caller=str(raw.get("caller", "")),
                     called=str(raw.get("called", "")), locale=locale,
                     blacklisted=bool(raw.get("blacklisted", False)))


def _parse_turn(path: Path, index: int, raw: Any) -> Turn:
    where = f"turn[{index}]"
    if not isinstance(raw, dict):
        raise ScriptError(f"{path}: {where}: expected a table")
    unknown = set(raw) - TURN_KEYS
    if unknown:
        raise ScriptError(f"{path}: {where}: unknown key(s) {sorted(unknown)} "
                          f"(allowed: {', '.join(sorted(TURN_KEYS))})")
    kinds = [k for k in KINDS if k in raw]
    if kinds == ["say", "wav"]:
        kinds = ["wav"]
    if len(kinds) != 1:
        raise ScriptError(f"{path}: {where}: needs exactly one of {', '.join(KINDS)} "
                          f"(wav may add say), got {kinds or 'none'}")
    kind = kinds[0]
    value = raw[kind]
    if kind == "say" and (not isinstance(value, str) or not value.strip()):
        raise ScriptError(f"{path}: {where}.say = {value!r}: must be non-empty text")
    if kind == "dtmf" and (not isinstance(value, str) or not value
                           or any(d not in "0123456789*#" for d in value)):
        raise ScriptError(f"{path}: {where}.dtmf = {value!r}: digits from 0-9 * #")
    if kind == "wav":
        if not isinstance(value, str) or not value:
            raise ScriptError(f"{path}: {where}.wav = {value!r}: a WAV file path")
        wav = Path(value) if Path(value).is_absolute() else path.parent / value
        if not wav.is_file():
            raise ScriptError(f"{path}: {where}.wav = {value!r}: no such file ({wav})")
        value = wav
    if kind == "silence_s":
        value = _num(path, where, "silence_s", value, 0.0, 7200.0)
    if kind == "hangup" and value is not True:
        raise ScriptError(f"{path}: {where}.hangup = {value!r}: only `hangup = true`")
    at = raw.get("at")
    timing = [k for k in ("at", "after_s", "after_bot_s") if k in raw]
    if len(timing) > 1:
        raise ScriptError(f"{path}: {where}: give one of at, after_s, after_bot_s; got {timing}")
    say = raw.get("say", "") if kind in ("say", "wav") else ""
    if not isinstance(say, str):
        raise ScriptError(f"{path}: {where}.say = {say!r}: must be text")
    return Turn(
        index=index,
        kind=kind,
        value=value,
        at=None if at is None else _num(path, where, "at", at, 0.0, 86400.0),
        after_s=None if raw.get("after_s") is None else _num(
            path, where, "after_s", raw["after_s"], 0.0, 3600.0),
        after_bot_s=_num(path, where, "after_bot_s", raw.get("after_bot_s",
                                                            DEFAULT_AFTER_BOT_S), 0.0, 3600.0),
        say=say,
        confidence=_num(path, where, "confidence", raw.get("confidence", DEFAULT_CONFIDENCE),
                        0.0, 1.0),
        speech_s=None if raw.get("speech_s") is None else _num(
            path, where, "speech_s", raw["speech_s"], 0.05, 600.0),
        level_dbfs=_num(path, where, "level_dbfs", raw.get("level_dbfs", DEFAULT_LEVEL_DBFS),
                        -96.0, 0.0),
        in_vocabulary=bool(raw.get("in_vocabulary", True)),
        noise_dbfs=_num(path, where, "noise_dbfs", raw.get("noise_dbfs", CLEAR_NOISE_DBFS),
                        -96.0, 0.0),
    )


# The caller's side ------------------------------------------------------------------------------
def said(turn: Turn, t0: float, settings: Settings, locale: str) -> tuple[list[e.Event], float]:
    """A spoken turn as the session would report it: speech start, line reports, speech end."""
    text = str(turn.value)
    length = turn.speech_s or max(0.5, say_seconds(settings, locale, text))
    verdict = _verdict(turn, settings, speech=True)
    events: list[e.Event] = [e.SpeechStarted(t=t0)]
    n = max(1, int(length / REPORT_EVERY_S))
    for i in range(n):
        events.append(e.LineReport(
            t=round(t0 + i * REPORT_EVERY_S, 6), speech=True, level_dbfs=turn.level_dbfs,
            noise_dbfs=turn.noise_dbfs, snr_db=turn.level_dbfs - turn.noise_dbfs,
            verdict=verdict))
    events.append(e.SpeechEnded(t=round(t0 + length, 6), duration_s=length, transcript=text,
                                confidence=turn.confidence, level_dbfs=turn.level_dbfs,
                                in_vocabulary=turn.in_vocabulary))
    return events, t0 + length


def _verdict(turn: Turn, settings: Settings, *, speech: bool) -> LineVerdict:
    """The line monitor's verdict for a scripted line (thresholds from [line])."""
    line = settings.line
    if turn.noise_dbfs > line.noisy_floor_above_dbfs or (
            speech and turn.level_dbfs - turn.noise_dbfs < line.noisy_snr_below_db):
        return "noisy"
    if not speech:
        return "silent"
    return "low_volume" if turn.level_dbfs < line.low_volume_below_dbfs else "ok"


def noise(turn: Turn, t0: float, seconds: float, settings: Settings) -> list[e.Event]:
    """Line reports of a quiet caller on a noisy line (silence_s with noise_dbfs)."""
    verdict = _verdict(turn, settings, speech=False)
    if verdict == "silent":
        return []
    return [e.LineReport(t=round(t0 + i * REPORT_EVERY_S, 6), speech=False,
                         level_dbfs=turn.noise_dbfs, noise_dbfs=turn.noise_dbfs, snr_db=0.0,
                         verdict=verdict)
            for i in range(max(1, int(seconds / REPORT_EVERY_S)))]


def from_wav(turn: Turn, t0: float, settings: Settings) -> tuple[list[e.Event], float]:
    """Real audio through the line monitor and the segmenter (ivr.simulate.caller_events)."""
    from ivr.media.wavio import read_wav
    from ivr.simulate import caller_events

    audio = read_wav(turn.value)
    events = [_shift(ev, t0) for ev in caller_events(audio, settings)]
    if turn.say:
        ends = [i for i, ev in enumerate(events) if isinstance(ev, e.SpeechEnded)]
        if ends:
            last = events[ends[-1]]
            assert isinstance(last, e.SpeechEnded)
            events[ends[-1]] = e.SpeechEnded(
                t=last.t, duration_s=last.duration_s, transcript=turn.say,
                confidence=turn.confidence, level_dbfs=last.level_dbfs,
                in_vocabulary=turn.in_vocabulary)
    end = max([t0 + audio.duration_s, *[ev.t for ev in events]])
    return events, end


def _shift(ev: e.Event, t0: float) -> e.Event:
    from dataclasses import replace

    return replace(ev, t=round(ev.t + t0, 6))


def turn_events(turn: Turn, t0: float, settings: Settings,
                locale: str) -> tuple[list[e.Event], float]:
    """(events, end time) of one turn starting at t0."""
    if turn.kind == "say":
        return said(turn, t0, settings, locale)
    if turn.kind == "dtmf":
        digits = str(turn.value)
        events: list[e.Event] = [e.Dtmf(t=round(t0 + i * DTMF_GAP_S, 6), digit=d)
                                 for i, d in enumerate(digits)]
        return events, t0 + DTMF_GAP_S * (len(digits) - 1)
    if turn.kind == "wav":
        return from_wav(turn, t0, settings)
    if turn.kind == "silence_s":
        return noise(turn, t0, float(turn.value), settings), t0 + float(turn.value)
    return [e.CallerHungUp(t=t0)], t0


@dataclass
class ScriptedCaller:
    """Feeds the turns to a VirtualCall as the conversation goes (VirtualCall.on_step)."""

    turns: tuple[Turn, ...]
    settings: Settings
    locale: str
    index: int = 0
    busy_until: float = 0.0
    started: list[tuple[int, float]] = field(default_factory=list)
    turn_start: float = 0.0  # when the previous turn started
    _seen: int = 0  # timeline entries already looked at
    _bot_spoke: bool = False  # a phrase started since the previous turn started

    def __call__(self, call: VirtualCall) -> None:
        for entry in call.timeline[self._seen:]:
            if (isinstance(entry.item, (a.Play, a.Say, a.Tone))
                    and entry.t >= self.turn_start - 1e-9):
                self._bot_spoke = True
        self._seen = len(call.timeline)
        if self.index >= len(self.turns) or call.t < self.busy_until - 1e-9:
            return
        turn = self.turns[self.index]
        if turn.at is not None:
            start = max(turn.at, call.t)
        elif turn.after_s is not None:
            start = max(call.t, self.busy_until) + turn.after_s
        elif call.bot_quiet and self._bot_spoke:
            start = call.t + turn.after_bot_s
        else:
            return  # wait for the bot's reply to end (on_step runs again then)
        events, end = turn_events(turn, start, self.settings, self.locale)
        call.schedule(events)
        self.index += 1
        self.busy_until = end
        self.turn_start = start
        self._bot_spoke = False
        self.started.append((turn.index, start))
        call.wake_at(max(end, start))


# The register ----------------------------------------------------------------------------------
@dataclass
class MemoryRegister:
    """The ticket register's checks and SLA calendar, in memory: what the real one would keep
    (or refuse) for each OpenTicket."""

    settings: Settings
    facts: CallFacts
    local_time: dt.datetime | None
    opened: list[dict[str, Any]] = field(default_factory=list)
    now: Callable[[], float] = lambda: 0.0

    def open(self, action: a.OpenTicket) -> bool:
        calendar = sla_calendar(self.settings)
        tz = calendar.calendar.tz
        base = self.local_time or dt.datetime(2026, 1, 5, 10, 0)
        local = base if base.tzinfo is not None else base.replace(tzinfo=tz)
        opened_at = local + dt.timedelta(seconds=self.now())
        draft = ticket_draft(action, self.facts, opened_at=opened_at, line=None,
                             recording_paths=["(simulated recording)"])
        row: dict[str, Any] = {"request_id": action.request_id, "category": action.category,
                               "severity": action.severity}
        try:
            draft.validate()
        except InvalidDraft as exc:
            row.update(status="refused", error=str(exc), due=None)
            self.opened.append(row)
            return False
        due = calendar.due(action.category, action.severity, opened_at)
        row.update(id=ticket_uuid(draft.call_id, draft.category), status="new",
                   opened_at=opened_at.isoformat(), due=due.isoformat() if due else None)
        self.opened.append(row)
        return True


# Running ---------------------------------------------------------------------------------------
@dataclass
class ScriptRun:
    script: Script
    locale: str
    call: VirtualCall
    register: MemoryRegister

    @property
    def refused(self) -> list[dict[str, Any]]:
        return [t for t in self.register.opened if t["status"] == "refused"]

    def unmet(self) -> list[str]:
        """What the script's [expect] table asked for and the call did not do."""
        expect = self.script.expect
        problems: list[str] = []
        if expect.end_reason is not None and self.call.reason != expect.end_reason:
            problems.append(f"end_reason {self.call.reason!r}, expected {expect.end_reason!r}")
        played = [p for _, p in self.call.plays()]
        rest = iter(played)
        if not all(any(p == want for p in rest) for want in expect.prompts):
            problems.append(f"prompts {played} do not contain {list(expect.prompts)} in order")
        present = sorted(set(expect.absent) & set(played))
        if present:
            problems.append(f"prompts {present} played, expected absent")
        categories = tuple(t["category"] for t in self.register.opened)
        if expect.tickets is not None and categories != expect.tickets:
            problems.append(f"tickets {list(categories)}, expected {list(expect.tickets)}")
        return problems


def run_script(script: Script, settings: Settings, *, estimate: Callable[[str], float] | None
               = None) -> ScriptRun:
    """Run the whole call of `script` in virtual time."""
    from ivr.simulate import phrase_length

    setup = script.call
    locale = setup.locale or settings.service.default_locale
    facts = CallFacts(call_id=f"simulate-{script.path.stem}", caller=setup.caller,
                      called=setup.called, ring_s=setup.ring_s, blacklisted=setup.blacklisted,
                      locale=locale)
    register = MemoryRegister(settings, facts, setup.local_time)
    caller = ScriptedCaller(script.turns, settings, locale)
    call = VirtualCall(
        CallPolicy(settings, locale, calendar=sla_calendar(settings)),
        estimate or phrase_length(settings, locale),
        answered=e.Answered(t=0.0, ring_s=setup.ring_s, caller=setup.caller, called=setup.called,
                            local_time=setup.local_time, blacklisted=setup.blacklisted),
        ticket_ok=register.open,
        on_step=caller,
    )
    register.now = lambda: call.t
    call.run()
    return ScriptRun(script, locale, call, register)


def json_lines(run: ScriptRun) -> list[dict[str, Any]]:
    """One object per event and action, then {"summary": ...}."""
    rows: list[dict[str, Any]] = []
    for entry in run.call.timeline:
        fields = {k: jsonable(v) for k, v in vars(entry.item).items()
                  if k not in ("t", "settings")}
        rows.append({"t": round(entry.t, 3), "kind": "action" if entry.is_action else "event",
                     "name": type(entry.item).__name__, **fields})
    rows.append({"summary": summary(run)})
    return rows


def summary(run: ScriptRun) -> dict[str, Any]:
    call = run.call
    prompts = [{"id": x.prompt_id, "vars": jsonable(dict(x.vars))}
               for _, x in call.actions(a.Play)]
    tickets = [{"category": t["category"], "severity": t["severity"], "due": t["due"],
                "status": t["status"], **({"error": t["error"]} if "error" in t else {})}
               for t in run.register.opened]
    return {
        "script": str(run.script.path),
        "locale": run.locale,
        "end_reason": call.reason,
        "duration_s": None if call.end_t is None else round(call.end_t, 3),
        "prompts": prompts,
        "tickets": tickets,
        "violations": list(call.violations),
        "unmet": run.unmet(),
    }


def as_text(run: ScriptRun) -> str:
    lines = [f"{run.script.path}: {len(run.script.turns)} caller turn(s), locale {run.locale}"]
    for entry in run.call.timeline:
        if isinstance(entry.item, e.LineReport):
            continue
        arrow = "->" if entry.is_action else "<-"
        lines.append(f"{entry.t:9.3f}  {arrow} {entry.describe()}")
    s = summary(run)
    lines.append(f"ended: {s['end_reason']} at {s['duration_s']} s")
    for t in s["tickets"]:
        extra = f" ({t['error']})" if "error" in t else ""
        lines.append(f"ticket: {t['category']} {t['severity']} due {t['due']} {t['status']}"
                     f"{extra}")
    for problem in s["unmet"]:
        lines.append(f"expectation not met: {problem}")
    return "\n".join(lines)
