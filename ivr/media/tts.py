"""Speech synthesis with pyttsx3 driving espeak-ng, isolated in a helper process.

Why a helper process and not a thread: pyttsx3's espeak driver keeps global engine state (one
engine per driver name, the espeak-ng library's own globals), is not thread-safe, and its run
loop can hang. In a child process that owns the one engine, jobs are serialised by a pipe, a hung
or crashed render is killed and the process restarted, and the agent's media threads never share
the library. Start-up costs ~0.3 s once per renderer; each render then costs only the synthesis
(tens of ms for a sentence).

The pure post-processing (trim, level, resample) lives here too so the prompt library and the
runtime ``Say`` path produce identical audio.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ivr.media.fast_resample import resample_fast as resample
from ivr.media.levels import active_speech_level_dbfs
from ivr.media.wavio import WavError, parse_wav, read_wav

log = logging.getLogger(__name__)

ENGINE = "espeak"
RENDER_RATE_HZ = 22050  # what pyttsx3's espeak driver writes (FACTS.md)
START_TIMEOUT_S = 20.0
BASE_JOB_TIMEOUT_S = 10.0
JOB_TIMEOUT_PER_CHAR_S = 0.1
TRIM_THRESHOLD_BELOW_PEAK_DB = 40.0
TRIM_FLOOR_DBFS = -60.0
TRIM_PAD_MS = 40
TRIM_WINDOW_MS = 10
PEAK_CEILING_DBFS = -1.0
PYTTSX3_ATTEMPTS_COUNT = 2
WAV_HEADER_BYTES = 44
MIN_RENDER_BYTES = 2 * RENDER_RATE_HZ // 20  # 50 ms of audio
CLIP_LEVEL = 32767 * 0.99  # samples at or above this magnitude count as clipped
FULL_SCALE = 32768.0
# Bump when the post-processing changes, so cached renders are redone.
PIPELINE_VERSION = "1"


class TtsError(Exception):
    """A phrase could not be synthesised (bad voice, engine failure or hang)."""


@dataclass(frozen=True)
class Voice:
    """How a locale is spoken: espeak-ng voice id, words per minute, volume 0..1."""

    voice_id: str
    rate_wpm: int = 170
    volume: float = 1.0


def engine_version() -> str:
    """pyttsx3 and espeak-ng versions: part of every cache key (a new engine re-renders)."""
    try:
        pyttsx3_version = importlib.metadata.version("pyttsx3")
    except importlib.metadata.PackageNotFoundError:
        pyttsx3_version = "?"
    try:
        out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
        espeak = out.split("text-to-speech:")[1].split()[0] if "text-to-speech:" in out else "?"
    except (OSError, subprocess.SubprocessError):
        espeak = "?"
    return f"pyttsx3-{pyttsx3_version}/espeak-ng-{espeak}/pipeline-{PIPELINE_VERSION}"


# ---- pure post-processing ------------------------------------------------------------------


def _window_dbfs(samples: np.ndarray, window: int) -> np.ndarray:
    count = len(samples) // window
    if count == 0:
        return np.zeros(0)
    frames = samples[: count * window].astype(np.float64).reshape(count, window)
    rms = np.sqrt(np.mean(frames * frames, axis=1)) / FULL_SCALE
    return 20.0 * np.log10(np.maximum(rms, 1e-10))


def trim_silence(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Cut leading/trailing silence (windows far below the loudest), keeping a short pad."""
    window = max(1, rate_hz * TRIM_WINDOW_MS // 1000)
    db = _window_dbfs(samples, window)
    if db.size == 0:
        return samples[:0]
    threshold = max(TRIM_FLOOR_DBFS, float(db.max()) - TRIM_THRESHOLD_BELOW_PEAK_DB)
    loud = np.flatnonzero(db > threshold)
    if loud.size == 0:
        return samples[:0]
    pad = rate_hz * TRIM_PAD_MS // 1000
    start = max(0, int(loud[0]) * window - pad)
    end = min(len(samples), (int(loud[-1]) + 1) * window + pad)
    return samples[start:end]


def peak_dbfs(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -120.0
    peak = float(np.max(np.abs(samples.astype(np.int32))))
    return 20.0 * np.log10(max(peak, 1.0) / FULL_SCALE)


def clipped_ratio(samples: np.ndarray) -> float:
    """Share of samples at full scale: a clipped recording or an overdriven render."""
    if samples.size == 0:
        return 0.0
    return float(np.mean(np.abs(samples.astype(np.int32)) >= CLIP_LEVEL))


def normalise_level(samples: np.ndarray, rate_hz: int, target_dbfs: float) -> np.ndarray:
    """Scale to ``target_dbfs`` active speech level, never letting peaks exceed -1 dBFS."""
    level = active_speech_level_dbfs(samples, rate_hz)
    if level is None or samples.size == 0:
        return samples
    gain_db = min(target_dbfs - level, PEAK_CEILING_DBFS - peak_dbfs(samples))
    scaled = samples.astype(np.float64) * (10.0 ** (gain_db / 20.0))
    return np.clip(np.round(scaled), -32768, 32767).astype(np.int16)


def finish(samples: np.ndarray, from_hz: int, rates_hz: tuple[int, ...] | list[int],
           target_dbfs: float | None) -> dict[int, np.ndarray]:
    """Trim, level (None: leave level) and resample a render to each playback rate."""
    trimmed = trim_silence(np.asarray(samples, dtype=np.int16), from_hz)
    if target_dbfs is not None:
        trimmed = normalise_level(trimmed, from_hz, target_dbfs)
    out: dict[int, np.ndarray] = {}
    for rate in rates_hz:
        pcm = trimmed if rate == from_hz else resample(trimmed, from_hz, rate)
        out[rate] = np.ascontiguousarray(pcm, dtype=np.int16)
    return out


# ---- the helper process -----------------------------------------------------------------
# The helper is `python -m ivr.media.tts`, speaking JSON lines on stdin/stdout. A plain
# subprocess (not multiprocessing) so it never re-imports the caller's __main__ module.


def _worker_main() -> int:
    """Child process: own the one pyttsx3 engine and render jobs until stdin closes."""
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # pyttsx3 prints "Audio saved to ..." on stdout

    def reply(status: str, detail: Any) -> None:
        proto.write(json.dumps([status, detail], ensure_ascii=False) + "\n")
        proto.flush()

    try:
        import pyttsx3  # type: ignore[import-untyped]  # pyttsx3 ships no type information

        engine: Any = pyttsx3.init(ENGINE)
        voices = {v.id for v in engine.getProperty("voices")}
    except Exception as exc:  # report any start failure to the parent, then exit
        reply("error", f"pyttsx3.init({ENGINE!r}) failed: {exc}")
        return 1
    reply("ready", len(voices))
    for line in sys.stdin:
        try:
            text, voice_id, rate_wpm, volume, out_path = json.loads(line)
        except (ValueError, TypeError):
            reply("error", "bad job line")
            continue
        if voice_id not in voices:
            reply("error", f"unknown espeak-ng voice {voice_id!r} "
                           f"(see `espeak-ng --voices`; e.g. sit/cmn, gmw/en-us)")
            continue
        try:
            engine.setProperty("voice", voice_id)
            engine.setProperty("rate", int(rate_wpm))
            engine.setProperty("volume", float(volume))
            for _ in range(PYTTSX3_ATTEMPTS_COUNT):
                engine.save_to_file(text, out_path)
                engine.runAndWait()
                if _wav_has_audio(out_path):
                    reply("ok", "pyttsx3")
                    break
            else:
                _espeak_cli(text, voice_id, rate_wpm, volume, out_path)
                reply("ok", "espeak-ng-cli")
        except Exception as exc:  # the parent turns this into a TtsError
            reply("error", f"render failed: {exc}")
    return 0


def _wav_has_audio(path: str) -> bool:
    """pyttsx3 2.99's espeak driver sometimes writes an empty WAV, or one whose data chunk
    declares more samples than it holds (seen in CI: 432,006 declared, 262,100 present): both
    are retried, then rendered by the espeak-ng program (see _espeak_cli)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return False
    if len(data) <= WAV_HEADER_BYTES + MIN_RENDER_BYTES:
        return False
    try:
        parse_wav(data, path)
    except WavError:
        return False
    return True


def _espeak_cli(text: str, voice_id: str, rate_wpm: int, volume: float, out_path: str) -> None:
    """Fallback: the espeak-ng program pyttsx3 drives, with the same voice, rate and volume.

    pyttsx3 2.99's espeak driver handles the end-of-message event before appending the samples
    of the same callback, so when espeak-ng delivers a short phrase in one callback the WAV it
    writes is empty (seen for "You are welcome, it is our pleasure." about 1 time in 80).
    """
    subprocess.run(
        ["espeak-ng", "-v", voice_id, "-s", str(int(rate_wpm)),
         "-a", str(round(float(volume) * 100)), "-w", out_path, "--", text],
        check=True, capture_output=True, timeout=BASE_JOB_TIMEOUT_S + len(text))


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent.parent)


class EspeakRenderer:
    """Renders text to 22,050 Hz int16 PCM through pyttsx3 in a helper process.

    Thread-safe: jobs are serialised. A job that does not finish in time kills the helper (it is
    restarted for the next job) and raises TtsError.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="ivr-tts-")
        self._jobs_count = 0
        self.restarts_count = 0
        self.fallbacks_count = 0  # renders pyttsx3 left empty, redone by the espeak-ng program

    def _read_reply(self, proc: subprocess.Popen[str], timeout_s: float) -> tuple[str, Any]:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
        if not ready:
            raise TimeoutError
        line = proc.stdout.readline()
        if not line:
            raise EOFError
        status, detail = json.loads(line)
        return str(status), detail

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
        proc = subprocess.Popen(
            [sys.executable, "-m", "ivr.media.tts"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, encoding="utf-8",
            env=env, close_fds=True)
        try:
            status, detail = self._read_reply(proc, START_TIMEOUT_S)
        except TimeoutError:
            self._kill(proc)
            raise TtsError(f"the pyttsx3 helper did not start within {START_TIMEOUT_S:.0f} s") \
                from None
        except (EOFError, ValueError):
            self._kill(proc)
            raise TtsError("the pyttsx3 helper exited at start (are pyttsx3 and espeak-ng "
                           "installed?)") from None
        if status != "ready":
            self._kill(proc)
            raise TtsError(str(detail))
        self._proc = proc
        return proc

    @staticmethod
    def _kill(proc: subprocess.Popen[str]) -> None:
        proc.kill()
        proc.wait(5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _stop_locked(self, kill: bool) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            self._kill(proc)
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._kill(proc)

    def render(self, text: str, voice: Voice) -> np.ndarray:
        """Synthesise ``text`` and return int16 samples at RENDER_RATE_HZ (untrimmed)."""
        if not text.strip():
            raise TtsError("nothing to say: empty text")
        timeout_s = BASE_JOB_TIMEOUT_S + JOB_TIMEOUT_PER_CHAR_S * len(text)
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                self._stop_locked(kill=True)
                proc = self._start()
            self._jobs_count += 1
            out = Path(self._tmp.name) / f"job-{self._jobs_count}.wav"
            job = [text, voice.voice_id, voice.rate_wpm, voice.volume, str(out)]
            try:
                assert proc.stdin is not None
                proc.stdin.write(json.dumps(job, ensure_ascii=False) + "\n")
                proc.stdin.flush()
                status, detail = self._read_reply(proc, timeout_s)
            except TimeoutError:
                self.restarts_count += 1
                self._stop_locked(kill=True)
                raise TtsError(f"espeak-ng render hung for {timeout_s:.0f} s; helper "
                               f"restarted") from None
            except (EOFError, OSError, ValueError):
                self.restarts_count += 1
                self._stop_locked(kill=True)
                raise TtsError("the pyttsx3 helper died during a render; it will restart") \
                    from None
        if status != "ok":
            raise TtsError(str(detail))
        if detail != "pyttsx3":
            self.fallbacks_count += 1
            log.info("render fell back to the espeak-ng program (%s)", detail)
        try:
            audio = read_wav(out)
        except WavError as exc:
            raise TtsError(f"the engine wrote no usable audio: {exc}") from None
        finally:
            out.unlink(missing_ok=True)
        if audio.rate_hz != RENDER_RATE_HZ:
            return resample(audio.samples, audio.rate_hz, RENDER_RATE_HZ)
        return audio.samples

    def close(self) -> None:
        """Stop the helper process and remove temporary files."""
        with self._lock:
            self._stop_locked(kill=False)
        self._tmp.cleanup()

    def __enter__(self) -> EspeakRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.exit(_worker_main())
