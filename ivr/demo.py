"""`ivr demo`: a loopback agent, a stand-in agent desk, and scripted callers with real audio.

Each scripted call is a real SIP call from a separate `ivr call` process (one pjsua2 endpoint per
process) to a real `ivr serve` process, with caller audio synthesised by espeak-ng and shaped the
way a bad line sounds: nothing at all, speech 30 dB too quiet, speech under loud noise. The demo
prints what the agent did on each call (from its per-call timeline) and the tickets it opened.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ivr.config import Settings, without_secrets
from ivr.masking import mask_url

RATE_HZ = 8000
AGENT_START_TIMEOUT_S = 180.0  # the first start renders every prompt
CALL_GRACE_S = 20.0
QUIET_LEVEL_DBFS = -50.0  # 10 dB under the low-volume threshold
NOISE_LEVEL_DBFS = -22.0  # a floor well above the noisy-line threshold
# Made-up mobile numbers, so the logs and tickets show how numbers are masked.
DEMO_NUMBERS = {
    "silent": "13800000001", "quiet": "13900000002", "noisy": "13700000003",
    "complaint": "13600000004", "person": "13500000005",
}


@dataclass
class ScriptedCall:
    name: str
    title: str
    expect: str  # end reason the agent should reach
    audio: np.ndarray | None = None
    dtmf: list[tuple[str, float]] = field(default_factory=list)
    max_s: float = 60.0


@dataclass
class CallResult:
    call: ScriptedCall
    caller_events: list[dict[str, Any]]
    agent_line: str = ""
    timeline: dict[str, Any] | None = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            return free_port()
    return port


def speech(text: str, voice: str, rate_hz: int = RATE_HZ) -> np.ndarray:
    """espeak-ng speech as int16 at `rate_hz` (the caller's voice in the demo)."""
    from ivr.media.resample import resample
    from ivr.media.wavio import read_wav

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "say.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        audio = read_wav(path)
    return resample(audio.samples, audio.rate_hz, rate_hz)


def at_level(samples: np.ndarray, level_dbfs: float) -> np.ndarray:
    from ivr.media.levels import active_speech_level_dbfs

    current = active_speech_level_dbfs(samples, RATE_HZ)
    if current is None:
        return samples
    gain = 10 ** ((level_dbfs - current) / 20)
    return np.clip(samples.astype(np.float64) * gain, -32768, 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE_HZ), dtype=np.int16)


def place_after(lead_s: float, *parts: np.ndarray) -> np.ndarray:
    return np.concatenate([silence(lead_s), *parts])


def scripted_calls(settings: Settings, prompt_s: Callable[[str], float]) -> list[ScriptedCall]:
    """The five demo callers, timed from the real prompt lengths."""
    voice = "cmn" if settings.service.default_locale == "zh-CN" else "en-us"
    zh = settings.service.default_locale == "zh-CN"
    sentence = speech(
        "你好,我想问一下我的订单什么时候发货。"
        if zh
        else "Hello, I would like to ask about my order.",
        voice,
    )
    details = speech(
        "我上周买的冰箱到现在还没有送到,打了好几次电话都没有人处理。"
        if zh
        else "The fridge I bought last week has still not been delivered.",
        voice,
    )
    greeting = prompt_s("greeting")
    talk = np.concatenate([sentence, silence(0.6)] * 8)
    quiet = place_after(greeting + 0.5, at_level(talk, QUIET_LEVEL_DBFS))
    rng = np.random.default_rng(7)
    noise_rms = 32768 * 10 ** (NOISE_LEVEL_DBFS / 20)
    noisy_len = int((greeting + 40) * RATE_HZ)
    noise = rng.normal(0, noise_rms, noisy_len)
    noisy_talk = np.zeros(noisy_len)
    lead = int((greeting + 0.5) * RATE_HZ)
    voice_part = at_level(talk, NOISE_LEVEL_DBFS + 3)[: noisy_len - lead]
    noisy_talk[lead : lead + len(voice_part)] = voice_part
    noisy = np.clip(noise + noisy_talk, -32768, 32767).astype(np.int16)

    # Complaint by the DTMF menu: 1 during the greeting (barge-in), details after the request
    # for details, # to end them, 1 to confirm the read-back.
    menu_digit = settings.menu.complaint_digit
    press_menu = 1.5
    details_at = (
        press_menu + prompt_s("complaint_apology") + prompt_s("complaint_ask_details") + 1.5
    )
    details_end = details_at + len(details) / RATE_HZ
    press_end = details_end + 1.0
    confirm_at = (
        press_end + prompt_s("complaint_readback_intro") + prompt_s("complaint_confirm") + 1.5
    )
    complaint_audio = place_after(details_at, details)
    return [
        ScriptedCall("silent", "a silent line", "silent", None, max_s=90),
        ScriptedCall("quiet", "a quiet caller (-50 dBFS)", "low_volume", quiet, max_s=90),
        ScriptedCall("noisy", "a noisy line (0 dB SNR)", "noisy", noisy, max_s=90),
        ScriptedCall(
            "complaint",
            "a complaint by the DTMF menu, details spoken",
            "normal",
            complaint_audio,
            [
                (menu_digit, press_menu),
                (settings.menu.end_recording_digit, press_end),
                (settings.menu.confirm_digit, confirm_at),
            ],
            max_s=90,
        ),
        ScriptedCall(
            "person",
            "a caller asking for a person",
            "transferred",
            None,
            [(settings.menu.person_digit, 1.5)],
            max_s=60,
        ),
    ]


@contextlib.contextmanager
def process(
    argv: list[str], env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[str]]:
    """A child whose plain output we read and whose log lines (stderr) go to `log_path`."""
    log_file = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        log_file.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class LineReader:
    """Reads a child's output on a thread, keeps the lines and lets callers wait for one."""

    def __init__(self, proc: subprocess.Popen[str], echo: Callable[[str], None] | None = None):
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._echo = echo
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
            if self._echo:
                self._echo(line)

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float) -> str | None:
        deadline = time.monotonic() + timeout_s
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (not self._thread.is_alive() and seen == len(self.lines)):
                    return None
                self._cond.wait(min(remaining, 0.5))


def run_demo(
    settings: Settings,
    config_path: str | None,
    out: Callable[[str], None],
    settings_args: Sequence[str] = (),
) -> int:
    """Run the demo; `settings_args` (--set pairs) reach the agent too, and the database
    (--db, $IVR_DATABASE_URL or database.url) reaches it through the environment."""
    from ivr.media.prompt_library import PromptLibrary
    from ivr.media.wavio import write_wav

    locale = settings.service.default_locale
    out(
        f"ivr demo: data directory {settings.data_dir} (tickets: {mask_url(settings.database_url)})"
    )
    library = PromptLibrary(settings)
    report = library.render_all(
        [locale],
        progress=lambda d, n, k: (
            out(f"  rendering prompts {d}/{n}") if d == n or d % 25 == 0 else None
        ),
    )
    if report.failed:
        out(f"prompts failed to render: {report.failed}")
        return 1

    def prompt_s(prompt_id: str) -> float:
        return len(library.get(locale, prompt_id, RATE_HZ)) / RATE_HZ

    calls = scripted_calls(settings, prompt_s)
    audio_dir = settings.data_dir / "demo"
    audio_dir.mkdir(parents=True, exist_ok=True)
    for call in calls:
        if call.audio is not None:
            write_wav(audio_dir / f"{call.name}.wav", call.audio, RATE_HZ)

    agent_port, desk_port = free_port(), free_port()
    env = dict(
        os.environ,
        IVR_DATA_DIR=str(settings.data_dir),
        IVR_DATABASE_URL=settings.database_url,
        PYTHONUNBUFFERED="1",
    )
    ivr = [sys.executable, "-m", "ivr.cli"] + (["--config", config_path] if config_path else [])
    desk_uri = f"sip:desk@127.0.0.1:{desk_port}"
    serve_argv = [
        *ivr, "serve", "--bind", "127.0.0.1", "--sip-port", str(agent_port),
        "--set", f"transfer.queues.{settings.transfer.default_queue}={desk_uri}",
        "--set", "dialogue.survey_enabled=false",
        # The demo's desk is staffed around the clock, so the transfer happens at any hour.
        "--set", "business.opens_at=00:00", "--set", "business.closes_at=23:59",
        "--set", "business.working_weekdays=[1,2,3,4,5,6,7]", "--set", "business.holidays=[]",
    ]  # fmt: skip
    for assignment in without_secrets(settings_args):
        serve_argv += ["--set", assignment]
    started = time.monotonic()
    with (
        process([*ivr, "desk", "--sip-port", str(desk_port), "--hold-s", "2"], env,
                audio_dir / "desk.log") as desk,
        process(serve_argv, env, audio_dir / "agent.log") as agent,
    ):
        desk_lines = LineReader(desk)
        agent_lines = LineReader(
            agent, echo=lambda ln: out(f"  agent | {ln}") if not ln.startswith("call ") else None
        )
        if agent_lines.wait_for(lambda ln: ln == "ready", AGENT_START_TIMEOUT_S) is None:
            out("the agent did not start; its output is above")
            return 1
        out(f"agent on sip:ivr@127.0.0.1:{agent_port}, agent desk on {desk_uri}")
        out(f"placing {len(calls)} calls (at most 4 at once: the agent's call limit)")
        results = _place_calls(calls, ivr, agent_port, audio_dir, env, agent_lines, settings)
        agent.send_signal(signal.SIGTERM)
        agent_lines.wait_for(lambda ln: ln.startswith("stopped"), 40)
    failures = 0
    for result in results:
        failures += _print_call(result, out)
    desk_seen = [ln for ln in desk_lines.lines if "incoming" in ln]
    for line in desk_seen:
        out(f"agent desk: {line.removeprefix('desk: ')}")
    _print_tickets(settings, started, out)
    out(f"the agent's log (one line per call step, numbers masked): {audio_dir / 'agent.log'}")
    elapsed = time.monotonic() - started
    verdict = "all calls ended as expected" if not failures else f"{failures} call(s) did not"
    out(
        f"demo finished in {elapsed:.0f} s: {verdict}. Try: ivr tickets list; "
        f"ivr report --month {time.strftime('%Y-%m')}"
    )
    return 0 if not failures else 1


def _place_calls(
    calls: list[ScriptedCall],
    ivr: list[str],
    port: int,
    audio_dir: Path,
    env: dict[str, str],
    agent_lines: LineReader,
    settings: Settings,
) -> list[CallResult]:
    results: dict[str, CallResult] = {}
    slots = threading.Semaphore(4)

    def one(call: ScriptedCall) -> None:
        with slots:
            argv = [*ivr, "call", f"sip:ivr@127.0.0.1:{port}", "--json",
                     "--from-user", DEMO_NUMBERS[call.name], "--max-s", str(call.max_s)]
            if call.audio is not None:
                argv += ["--play", str(audio_dir / f"{call.name}.wav")]
            for digits, at in call.dtmf:
                argv += ["--dtmf", digits, "--dtmf-at", f"{at:.2f}"]
            proc = subprocess.run(
                argv, capture_output=True, text=True, env=env, timeout=call.max_s + 60
            )
            events = []
            for line in proc.stdout.splitlines():
                with contextlib.suppress(json.JSONDecodeError):
                    events.append(json.loads(line))
            results[call.name] = CallResult(call, events)

    threads = [threading.Thread(target=one, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    for thread in threads:
        thread.join()
    # Match each call to the agent's line about it by its end reason, in order of ending.
    time.sleep(0.5)
    agent_calls = [ln for ln in agent_lines.lines if ln.startswith("call ")]
    timelines = _load_timelines(settings, agent_calls)
    used: set[str] = set()
    for result in (results[c.name] for c in calls):
        for line, timeline in zip(agent_calls, timelines, strict=False):
            call_key = line.split()[1]
            if call_key in used or timeline is None:
                continue
            if timeline.get("end_reason") == result.call.expect or not _expected_anywhere(
                timelines, result.call.expect
            ):
                result.agent_line, result.timeline = line, timeline
                used.add(call_key)
                break
    return [results[c.name] for c in calls]


def _expected_anywhere(timelines: list[dict[str, Any] | None], reason: str) -> bool:
    return any(t and t.get("end_reason") == reason for t in timelines)


def _load_timelines(settings: Settings, agent_calls: list[str]) -> list[dict[str, Any] | None]:
    out: list[dict[str, Any] | None] = []
    for line in agent_calls:
        prefix = line.split()[1]
        matches = sorted((settings.data_dir / "calls").glob(f"{prefix}*.json"))
        out.append(json.loads(matches[-1].read_text()) if matches else None)
    return out


def _print_call(result: CallResult, out: Callable[[str], None]) -> int:
    call = result.call
    out("")
    out(f"== {call.title}: expected end '{call.expect}'")
    if result.timeline is None:
        out("   the agent reported nothing for this call")
        return 1
    for step in result.timeline["timeline"]:
        what = step["what"]
        if step["kind"] == "event" and what.startswith(("LineReport", "PromptFinished")):
            continue
        out(f"   {step['t']:7.2f}  {step['kind']:<6} {what}")
    reason = result.timeline["end_reason"]
    tickets = ", ".join(result.timeline.get("tickets") or []) or "none"
    out(f"   -> {result.agent_line.split(' ', 2)[-1]}")
    ok = reason == call.expect
    out(
        f"   {'OK' if ok else 'UNEXPECTED'}: ended '{reason}' after "
        f"{result.timeline['duration_s']:.1f} s; tickets: {tickets}"
    )
    return 0 if ok else 1


def _print_tickets(settings: Settings, since_monotonic: float, out: Callable[[str], None]) -> None:
    try:
        from ivr.tickets.service import TicketService
        from ivr.tickets.types import TicketFilters
    except ImportError:
        return
    since = time.time() - (time.monotonic() - since_monotonic) - 1
    import datetime as dt

    with TicketService.from_settings(settings) as service:
        tickets = service.list_tickets(
            TicketFilters(since=dt.datetime.fromtimestamp(since, dt.timezone.utc))
        )
    out("")
    out(f"tickets opened by the demo ({len(tickets)}):")
    for ticket in tickets:
        promised = "-"
        if ticket.promised_reply_by is not None:
            local = ticket.promised_reply_by.astimezone(ZoneInfo(settings.business.timezone))
            promised = local.strftime("%Y-%m-%d %H:%M %Z")
        out(
            f"   {ticket.short_id}  {ticket.category:<16} {ticket.status:<10} "
            f"caller {ticket.caller_number or '-':<13} reply by {promised}"
        )
