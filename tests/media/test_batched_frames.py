"""The batched frame path (a 100 ms media-port frame, issue 16) gives the same events as 20 ms.

`FrameTranslator.push_block` does the numpy work of a block once (levels, energies, clipping,
reverberation energies) and runs webrtcvad and the running state per 20 ms frame. Its promise is
exact: the same events, field for field (floats compared with ==), the same segment frames for
the recogniser, after each frame, as `push` frame by frame. Checked on random audio (hypothesis:
silence, noise, tones, clipping, speech cut into blocks of random sizes) and on real audio
(human speech from pocketsphinx-testdata, the labelled line-condition set, espeak-ng renders,
a speakerphone room). Runtime ~4 s.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.media.monitor import LineThresholds
from ivr.media.resample import resample
from ivr.media.translator import FrameTranslator
from ivr.media.vad import GuardedVad
from ivr.media.wavio import read_wav
from tests.media.conftest import SPEECH_WAV

Trace = list[tuple[list[object], list[bytes]]]


def per_frame(audio: np.ndarray, rate_hz: int, every: int) -> tuple[Trace, FrameTranslator]:
    """The reference: one `push` per 20 ms frame, segment frames taken after each while in
    speech (what a live session with a recogniser does). `every`: a line report every this
    many frames (1: the line's state after every frame is in the trace)."""
    tr = FrameTranslator(LineThresholds(), rate_hz, report_every_frames=every)
    n = tr.frame_len
    trace: Trace = []
    for i in range(0, len(audio) - n + 1, n):
        events = tr.push(audio[i:i + n])
        assert events is not None
        speech = tr.take_segment_frames() if tr.in_speech else []
        trace.append((list(events), [f.tobytes() for f in speech]))
    return trace, tr


def batched(
    audio: np.ndarray, rate_hz: int, sizes: list[int], every: int
) -> tuple[Trace, FrameTranslator]:
    """Blocks of `sizes` frames (cycled) through `push_block`."""
    tr = FrameTranslator(LineThresholds(), rate_hz, report_every_frames=every)
    n = tr.frame_len
    total = len(audio) // n
    trace: Trace = []
    done, k = 0, 0
    while done < total:
        size = min(sizes[k % len(sizes)], total - done)
        k += 1
        results = tr.push_block(audio[done * n:(done + size) * n])
        assert results is not None and len(results) == size
        trace += [(list(r.events), [f.tobytes() for f in r.speech_frames]) for r in results]
        done += size
    return trace, tr


def assert_same(audio: np.ndarray, rate_hz: int, sizes: list[int], every: int = 10) -> Trace:
    ref, a = per_frame(audio, rate_hz, every)
    got, b = batched(audio, rate_hz, sizes, every)
    assert len(got) == len(ref)
    for i, (r, g) in enumerate(zip(ref, got, strict=True)):
        assert g == r, f"frame {i}: {g} != {r}"
    assert b.verdict_frames == a.verdict_frames
    assert b.monitor.last == a.monitor.last
    assert list(b.reverb.decays) == list(a.reverb.decays)
    assert b.monitor.vad.vad_calls == a.monitor.vad.vad_calls
    return ref


# ---- random audio -------------------------------------------------------------------------

KINDS = ("silence", "hiss", "noise", "tone", "burst", "clipped", "speech")


@st.composite
def line_audio(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """A caller line as segments of silence, hiss, loud noise, tones, clicks, clipping and
    speech, at random levels; 8 or 16 kHz."""
    rate = draw(st.sampled_from((8000, 16000)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    parts = []
    for kind in draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=8)):
        n = rate // 50 * draw(st.integers(1, 60))
        level = 10 ** (draw(st.floats(-80.0, 6.0)) / 20) * 32768
        if kind == "silence":
            x = np.zeros(n)
        elif kind == "hiss":
            x = rng.standard_normal(n) * 30
        elif kind == "noise":
            x = rng.standard_normal(n) * level
        elif kind == "tone":
            x = np.sin(2 * np.pi * rng.uniform(100, 3000) * np.arange(n) / rate) * level
        elif kind == "burst":  # clicks and syllable-length bursts
            x = rng.standard_normal(n) * level * (rng.random(n // 80 + 1) > 0.7).repeat(80)[:n]
        elif kind == "clipped":
            x = np.sign(rng.standard_normal(n)) * 40000.0
        else:
            x = _speech(rate, rng, n) * (level / 3000)
        parts.append(np.clip(np.rint(x), -32768, 32767))
    return np.concatenate(parts).astype(np.int16), rate


_SPEECH: dict[int, np.ndarray] = {}


def _speech(rate: int, rng: np.random.Generator, n: int) -> np.ndarray:
    if rate not in _SPEECH:
        if SPEECH_WAV.exists():
            a = read_wav(SPEECH_WAV)
            _SPEECH[rate] = resample(a.samples, a.rate_hz, rate).astype(np.float64)
        else:  # a voiced-looking stand-in: harmonics under a syllable envelope
            t = np.arange(rate * 3) / rate
            env = np.maximum(0.0, np.sin(2 * np.pi * 3 * t))
            _SPEECH[rate] = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 12)) \
                * env * 3000
    src = _SPEECH[rate]
    start = int(rng.integers(0, max(1, len(src) - n)))
    out = src[start:start + n]
    return np.pad(out, (0, n - len(out)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line_audio(), st.lists(st.integers(1, 7), min_size=1, max_size=4),
       st.sampled_from((1, 10)))
def test_random_audio_same_events_in_any_block_sizes(audio_rate, sizes, every):
    audio, rate = audio_rate
    assert_same(audio, rate, sizes, every)


# ---- real audio ---------------------------------------------------------------------------


def test_real_speech_same_events(speech16k: np.ndarray) -> None:
    pause = np.zeros(8000, dtype=np.int16)
    loud = np.concatenate([speech16k, pause, speech16k, pause, speech16k // 30, pause])
    ref = assert_same(loud, 16000, [5])
    x8 = resample(loud, 16000, 8000)
    ref8 = assert_same(x8, 8000, [5, 1, 3])
    kinds = {type(e).__name__ for events, _ in ref + ref8 for e in events}
    assert {"SpeechStarted", "SpeechEnded", "LineReport"} <= kinds  # the test saw each event
    assert any(speech for _, speech in ref8)


def test_labelled_line_conditions_same_events(eval_module) -> None:
    cases = eval_module.generate(per_class=3)
    verdicts = set()
    for case in cases:
        ref = assert_same(case.audio.samples, case.audio.rate_hz, [5])
        verdicts |= {e.verdict for events, _ in ref for e in events if hasattr(e, "verdict")}
    assert verdicts >= {"ok", "low_volume", "noisy", "silent"}


@pytest.mark.parametrize("voice,text", [
    ("cmn", "您好，我要投诉，你们的快递三天都没有送到。"),
    ("ko", "네 상담원 연결해 주세요"),
])
def test_espeak_renders_same_events(voice: str, text: str) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), "--", text], check=True,
                       capture_output=True)
        a = read_wav(out)
    x = resample(a.samples, a.rate_hz, 8000)
    pause = np.zeros(8000, dtype=np.int16)
    assert_same(np.concatenate([pause, x, pause, x // 40, pause]), 8000, [5])


def test_speakerphone_room_same_reverberation() -> None:
    """The reverberation flag in the line reports is the same (its energies are exact now)."""
    files = sorted(SPEECH_WAV.parents[1].rglob("*.wav"))
    if not files:
        pytest.skip("pocketsphinx-testdata is not installed")
    parts = []
    for path in files:
        a = read_wav(path)
        parts += [resample(a.samples, a.rate_hz, 8000).astype(np.float64), np.zeros(4000)]
    x = np.concatenate(parts)
    rng = np.random.default_rng(3)
    n = int(8000 * 0.7)
    tail = rng.standard_normal(n) * 10 ** (-3 * np.arange(n) / 8000 / 0.6)
    tail *= 1 / np.sqrt(np.sum(tail**2))
    tail[0] += 1.0
    wet = np.convolve(x, tail)[: len(x)]
    wet = np.clip(np.rint(wet / np.max(np.abs(wet)) * 10000), -32768, 32767).astype(np.int16)
    ref = assert_same(wet, 8000, [5], every=1)
    flags = [e.reverberant for events, _ in ref for e in events if hasattr(e, "reverberant")]
    assert any(flags) and not all(flags)  # the flag turned on within the audio


def test_block_of_another_size_is_skipped() -> None:
    tr = FrameTranslator(LineThresholds(), 8000)
    assert tr.push_block(np.zeros(161, np.int16)) is None
    assert tr.push_block(np.zeros(0, np.int16)) is None
    assert tr.frames == 0
    with pytest.raises(ValueError, match="160"):
        GuardedVad(8000).decide_block(np.zeros((2, 100), np.int16))
