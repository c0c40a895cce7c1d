"""Guarded VAD, LineMonitor and SpeechSegmenter on real speech and real noise."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import webrtcvad

from ivr.media.analysis import stream_audio
from ivr.media.frames import frame_length, iter_frames, split_frames
from ivr.media.monitor import LineMonitor, LineStatus, LineThresholds
from ivr.media.resample import resample
from ivr.media.segmenter import SpeechEnd, SpeechSegmenter, SpeechStart
from ivr.media.vad import FrameDecision, GuardedVad
from ivr.media.wavio import Audio

RNG_SEED = 1234


def _at_dbfs(x: np.ndarray, level: float) -> np.ndarray:
    from ivr.media.levels import active_speech_level_dbfs

    cur = active_speech_level_dbfs(x.astype(np.int16), 16000)
    assert cur is not None
    return x.astype(np.float64) * 10 ** ((level - cur) / 20)


def _noise(kind: str, n: int, level_dbfs: float) -> np.ndarray:
    rng = np.random.default_rng(RNG_SEED)
    if kind == "white":
        x = rng.normal(0, 1, n)
    elif kind == "pink":  # 1/f power from 20 Hz up (no line carries sub-audio drift)
        spec = np.fft.rfft(rng.normal(0, 1, n))
        f = np.fft.rfftfreq(n, 1 / 16000)
        x = np.fft.irfft(spec * np.where(f >= 20, 1 / np.sqrt(np.maximum(f, 1)), 0), n)
    else:  # hum, 50 Hz and harmonics
        t = np.arange(n) / 16000
        x = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 9))
    return x * 32768 * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(x**2))


def _i16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def _bare_vad_ratio(x: np.ndarray, rate: int) -> float:
    v = webrtcvad.Vad(2)
    frames = list(iter_frames(x, rate))
    return sum(v.is_speech(f.tobytes(), rate) for f in frames) / len(frames)


def _guarded_ratio(x: np.ndarray, rate: int) -> float:
    g = GuardedVad(rate, 20, 2, 6.0, -60.0)
    frames = list(iter_frames(x, rate))
    return sum(g.decide(f).speech for f in frames) / len(frames)


@pytest.mark.parametrize("kind", ["white", "pink", "hum"])
def test_steady_noise_is_not_speech(kind: str) -> None:
    x = _i16(_noise(kind, 16000 * 3, -25.0))
    bare = _bare_vad_ratio(x, 16000)
    guarded = _guarded_ratio(x, 16000)
    assert guarded <= 0.02, (kind, bare, guarded)
    if kind != "hum":  # bare webrtcvad does fire on broadband noise: the guard is what helps
        assert bare > 0.2


def test_quiet_speech_is_speech(speech16k: np.ndarray) -> None:
    normal = _i16(_at_dbfs(speech16k, -25))
    quiet = _i16(_at_dbfs(speech16k, -52))
    ref = _guarded_ratio(normal, 16000)
    assert ref > 0.5
    # FACTS.md says bare webrtcvad misses speech at -50 dBFS; on this clip it catches most of it,
    # so the assertion is on the guarded VAD only: quiet callers stay speech despite the guard.
    assert _guarded_ratio(quiet, 16000) >= 0.85 * ref


def _statuses(x: np.ndarray, rate: int, th: LineThresholds | None = None) -> list[LineStatus]:
    mon = LineMonitor(th or LineThresholds(), rate)
    return [mon.push(f) for f in iter_frames(x, rate)]


def _majority(statuses: list[LineStatus], skip_s: float = 1.0) -> str:
    tail = statuses[int(skip_s / 0.02):]
    return Counter(s.verdict for s in tail).most_common(1)[0][0]


@pytest.mark.parametrize("rate", [8000, 16000])
def test_line_monitor_verdicts(speech16k: np.ndarray, rate: int) -> None:
    n = len(speech16k)

    def deliver(x: np.ndarray) -> np.ndarray:
        return resample(_i16(x), 16000, rate)

    ok = deliver(_at_dbfs(speech16k, -24))
    low = deliver(_at_dbfs(speech16k, -50))
    noisy = deliver(_at_dbfs(speech16k, -24) + _noise("pink", n, -26))
    silent = deliver(_noise("white", n, -68))
    assert _majority(_statuses(ok, rate)) == "ok"
    assert _majority(_statuses(low, rate)) == "low_volume"
    assert _majority(_statuses(noisy, rate)) == "noisy"
    sil = _statuses(silent, rate)
    assert {s.verdict for s in sil} == {"silent"}
    assert not any(s.speech for s in sil)
    assert all(s.level_dbfs is None and s.snr_db is None for s in sil)
    st = _statuses(ok, rate)[-10]
    assert st.level_dbfs is not None and -30 < st.level_dbfs < -15
    # in a 1 s window of running speech the non-speech frames are quiet speech, so the windowed
    # SNR is lower than the file's; it must still be clear of the noisy threshold
    assert st.snr_db is not None and st.snr_db > LineThresholds().noisy_snr_below_db + 3


def test_clipping_is_flagged(speech16k: np.ndarray) -> None:
    hot = _i16(speech16k.astype(np.float64) * 20)  # driven far into clipping
    statuses = _statuses(hot, 16000)
    assert sum(s.clipping for s in statuses) > len(statuses) * 0.3
    assert not any(s.clipping for s in _statuses(_i16(_at_dbfs(speech16k, -24)), 16000))


def test_bytes_frames_equal_array_frames(speech16k: np.ndarray) -> None:
    a, b = LineMonitor(LineThresholds(), 16000), LineMonitor(LineThresholds(), 16000)
    for f in iter_frames(speech16k[:16000], 16000):
        assert a.push(f) == b.push(f.tobytes())
    with pytest.raises(ValueError, match="320"):
        a.push(np.zeros(100, np.int16))


class _CountingList(list):
    """A list that counts element reads and writes (the monitor's work on its window)."""

    touched = 0

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        _CountingList.touched += 1
        return super().__getitem__(i)

    def __setitem__(self, i, v):  # type: ignore[no-untyped-def]
        _CountingList.touched += 1
        super().__setitem__(i, v)

    def __iter__(self):  # type: ignore[no-untyped-def]
        _CountingList.touched += len(self)
        return super().__iter__()


def _window_work_per_frame(window_s: float, frames: np.ndarray) -> tuple[float, list]:
    mon = LineMonitor(LineThresholds(window_s=window_s), 8000)
    for name in ("_r_flag", "_r_voiced", "_r_power", "_r_clip"):
        setattr(mon, name, _CountingList(getattr(mon, name)))
    _CountingList.touched = 0
    out = [mon.push(f) for f in frames]
    return _CountingList.touched / len(frames), out


def test_monitor_work_per_frame_does_not_grow_with_the_window(speech16k: np.ndarray) -> None:
    x = resample(speech16k, 16000, 8000)
    frames = split_frames(np.tile(x, 3), frame_length(8000, 20))
    small, _ = _window_work_per_frame(0.5, frames)
    large, _ = _window_work_per_frame(20.0, frames)
    assert small <= 10  # a handful of ring-slot reads/writes per frame...
    assert large <= small  # ...whatever the window length (never a rescan of it)


def test_running_sums_match_a_recomputation_over_the_window(speech16k: np.ndarray) -> None:
    th = LineThresholds(window_s=0.4)
    mon = LineMonitor(th, 16000)
    seen: list[FrameDecision] = []
    flags: list[bool] = []
    w = mon.window_frames
    for f in iter_frames(np.concatenate([speech16k, np.zeros(8000, np.int16)]), 16000):
        st = mon.push(f)
        assert mon.last is not None
        seen.append(mon.last)
        flags.append(st.speech)
        win, wflags = seen[-w:], flags[-w:]
        speech_p = [d.power for d, fl in zip(win, wflags, strict=True) if fl]
        voiced = sum(d.speech for d in win)
        if speech_p and voiced >= math.ceil(th.min_speech_ms / 20):
            expected = 10 * math.log10(sum(speech_p) / (len(speech_p) * 320) / 32768**2)
            assert st.level_dbfs == pytest.approx(expected, abs=1e-9)
        else:
            assert st.level_dbfs is None


def _decision(speech: bool) -> FrameDecision:
    return FrameDecision(speech, -20.0 if speech else -70.0, 3.3e8 if speech else 3e3, 0, -70.0, 0)


def test_segmenter_times_are_counted_in_frames() -> None:
    th = LineThresholds(vad_hangover_ms=300, onset_ms=60, preroll_ms=100)
    seg = SpeechSegmenter(th, 8000)
    pattern = [False] * 10 + [True] * 2 + [False] * 5 + [True] * 30 + [False] * 40
    events = []
    for i, sp in enumerate(pattern):
        frame = np.full(160, i, dtype=np.int16)
        for e in seg.push(frame, _decision(sp)):
            events.append((i, e))
        if i == 25:
            audio = seg.segment_audio()  # pre-roll (5 frames) + frames 17..25
            assert len(audio) == (5 + 9) * 160
            assert audio[0] == 12 and audio[-1] == 25
    assert [type(e) for _, e in events] == [SpeechStart, SpeechEnd]  # the 2-frame blip: nothing
    (i_start, start), (i_end, end) = events
    assert i_start == 19  # third consecutive speech frame
    assert start.t_s == pytest.approx(17 * 0.02)
    assert isinstance(end, SpeechEnd)
    assert end.t_s == pytest.approx(47 * 0.02)  # end of the last speech frame (46)
    assert end.duration_s == pytest.approx(30 * 0.02)
    assert i_end == 46 + 15 + 1  # after 300 ms of hang-over
    assert end.level_dbfs == pytest.approx(10 * math.log10(3.3e8 / 160 / 32768**2), abs=1e-6)
    assert not seg.in_speech and len(seg.segment_audio()) == 0


def test_stream_audio_drives_monitor_and_segmenter_from_a_file(speech16k: np.ndarray) -> None:
    gap = np.zeros(16000, np.int16)
    x = np.concatenate([gap, speech16k, gap, speech16k, gap])
    steps = list(stream_audio(Audio(x, 16000)))
    assert len(steps) == len(x) // 320
    events = [e for s in steps for e in s.events]
    starts = [e for e in events if isinstance(e, SpeechStart)]
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    assert len(starts) == len(ends) >= 2
    assert starts[0].t_s == pytest.approx(1.0, abs=0.3)
    assert all(e.t_s > s.t_s for s, e in zip(starts, ends, strict=True))
    assert ends[-1].t_s == pytest.approx(1 + 2 * len(speech16k) / 16000 + 1, abs=0.5)
    assert steps[-1].status.verdict in ("silent", "ok")


def test_negative_full_scale_samples_count_as_clipped() -> None:
    """np.abs(int16 -32768) wraps to -32768: such samples were missed as clipping."""
    vad = GuardedVad(8000)
    frame = np.full(160, -32768, dtype=np.int16)
    assert vad.decide(frame).clipped == 160
    frame[::2] = 32767
    assert vad.decide(frame).clipped == 160
    assert vad.decide(np.full(160, -31999, dtype=np.int16)).clipped == 0
