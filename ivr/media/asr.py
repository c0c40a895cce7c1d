"""Streaming offline speech recognition (vosk) on a worker thread pool.

The media thread (pjsua2's frame callback) must never wait for the decoder, so ``Recognizer.feed``
only appends the chunk to a small bounded per-stream backlog and returns; worker threads decode.
When a stream's backlog overflows (the machine is overloaded), the OLDEST audio is dropped and
counted, never the caller blocked. Each stream is decoded by one worker at a time (order kept);
different streams run in parallel (vosk releases the GIL while decoding).

Results come back by callback on a worker thread: partials while speech goes on, one final
``SegmentResult`` per ``end_segment()``. Whether a segment is "unintelligible" is the policy's
decision: this module only reports transcript, mean word confidence and ``in_vocabulary``.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vosk  # type: ignore[import-untyped]  # vosk ships no type information

from ivr.media.lexicon import KeywordReport, Lexicon

log = logging.getLogger(__name__)

SUPPORTED_RATES_HZ = (8000, 16000)
DEFAULT_WORKERS_COUNT = 2
DEFAULT_MAX_BACKLOG_S = 5.0
UNKNOWN_WORD = "[unk]"

Word = tuple[str, float, float, float]  # (word, confidence 0..1, start_s, end_s in the segment)


@dataclass(frozen=True)
class SegmentResult:
    """What was recognised in one speech segment (or so far, when ``partial``)."""

    transcript: str
    confidence: float  # mean confidence of the lexicon words ([unk] left out), 0.0 if none
    words: tuple[Word, ...] = ()
    partial: bool = False
    in_vocabulary: bool = False  # False when nothing or only [unk] was recognised
    audio_s: float = 0.0  # seconds of audio decoded for this segment
    dropped_chunks_count: int = 0  # chunks of this segment lost to backlog overflow


ResultCallback = Callable[[SegmentResult], None]
ErrorCallback = Callable[[BaseException], None]


def load_model(path: Path | str) -> vosk.Model:
    """Load a vosk model directory (seconds for a big one); quiet vosk's own logging."""
    vosk.SetLogLevel(-1)
    return vosk.Model(str(path))


def model_lexicon(model: Any) -> Lexicon:
    """The model's lexicon (word look-up), for grammar checks.

    vosk 0.3.45's Python ``Model`` exposes the C call as ``vosk_model_find_word``; later releases
    name it ``find_word``. Both return the word's id, or -1 when the lexicon lacks it.
    """
    find = getattr(model, "find_word", None) or model.vosk_model_find_word
    return Lexicon(lambda word: int(find(word)))


def check_model(path: Path | str, table: Mapping[str, Sequence[str]]) -> KeywordReport:
    """Load the model at ``path`` (seconds) and report the phrases its lexicon cannot hear."""
    return model_lexicon(load_model(path)).check_keywords(table)


def grammar_json(phrases: Sequence[str]) -> str:
    """Vosk runtime grammar: JSON list with non-ASCII kept as is.

    With ``\\uXXXX`` escapes vosk finds every word "missing in vocabulary" (FACTS.md).
    """
    return json.dumps([p.strip() for p in phrases if p.strip()], ensure_ascii=False)


def _make_kaldi(model: vosk.Model, rate_hz: int, grammar: Sequence[str] | None) -> Any:
    if grammar:
        rec = vosk.KaldiRecognizer(model, float(rate_hz), grammar_json(grammar))
    else:
        rec = vosk.KaldiRecognizer(model, float(rate_hz))
    rec.SetWords(True)
    return rec


def build_result(raw_words: Sequence[dict[str, Any]], offset_s: float, audio_s: float,
                 dropped: int = 0) -> SegmentResult:
    """Turn vosk word dicts into a SegmentResult with times relative to the segment start."""
    words = tuple(
        (str(w["word"]), float(w.get("conf", 1.0)),
         max(0.0, float(w.get("start", 0.0)) - offset_s),
         max(0.0, float(w.get("end", 0.0)) - offset_s))
        for w in raw_words
    )
    known = [w for w in words if w[0] != UNKNOWN_WORD]
    return SegmentResult(
        transcript=" ".join(w[0] for w in known),
        confidence=words_confidence(words),
        words=words,
        partial=False,
        in_vocabulary=bool(known),
        audio_s=audio_s,
        dropped_chunks_count=dropped,
    )


def words_confidence(words: Sequence[Word]) -> float:
    """The segment confidence the policy sees: the mean confidence of the lexicon words.

    ``[unk]`` carries a confidence too (often high: "surely not a word"), so it is left out: a
    caller heard as "[unk] 投诉 [unk]" is as sure as the 投诉 in it, and a segment of only
    ``[unk]`` scores 0.0 (with ``in_vocabulary`` False), which the unintelligible/dialect rule
    (seed 001 无法听清) reads as "not understood". The mean is not weighted by word length:
    vosk's per-word confidence is already a posterior over the word's whole span.
    """
    known = [w[1] for w in words if w[0] != UNKNOWN_WORD]
    return sum(known) / len(known) if known else 0.0




def recognize_pcm(model: vosk.Model, pcm: bytes, rate_hz: int,
                  grammar: Sequence[str] | None = None) -> SegmentResult:
    """Decode a whole buffer in one go (the 'whole-file' path: analysis, tests, benchmarks).

    A grammar is checked against the lexicon as in streaming (``Recognizer.set_grammar``).
    """
    checked = model_lexicon(model).grammar(grammar) if grammar else None
    rec = _make_kaldi(model, rate_hz, checked)
    words: list[dict[str, Any]] = []
    if rec.AcceptWaveform(pcm):
        words += json.loads(rec.Result()).get("result", [])
    words += json.loads(rec.FinalResult()).get("result", [])
    return build_result(words, 0.0, len(pcm) / 2 / rate_hz)


class StreamDecoder:
    """One stream's decoding state: the kaldi object, the segment's words, the grammar.

    Not thread-safe: exactly one thread drives it at a time (a pool worker holding the stream,
    or a recogniser service's connection thread). Shared by the in-process pool and the service
    so both give the same transcript for the same audio.
    """

    def __init__(self, model: Any, rate_hz: int, grammar: list[str] | None,
                 on_partial: ResultCallback | None = None) -> None:
        if rate_hz not in SUPPORTED_RATES_HZ:
            raise ValueError(f"rate_hz {rate_hz} not supported; allowed {SUPPORTED_RATES_HZ}")
        self.model = model
        self.rate_hz = rate_hz
        self.on_partial = on_partial
        self.grammar = grammar
        self.decoded_s = 0.0
        self._kaldi: Any = None
        self._kaldi_grammar: list[str] | None = None
        self._samples_total = 0  # samples fed to the current kaldi object (vosk times count these)
        self._segment_start = 0
        self._segment_words: list[dict[str, Any]] = []
        self._last_partial = ""

    def set_grammar(self, grammar: list[str] | None) -> None:
        """Takes effect now when no audio of the segment was fed, else when it ends."""
        self.grammar = grammar
        if self._samples_total == self._segment_start:  # no audio in this segment yet
            self._kaldi = None

    def accept(self, pcm: bytes) -> None:
        kaldi = self._ensure_kaldi()
        final = kaldi.AcceptWaveform(pcm)
        self._samples_total += len(pcm) // 2
        self.decoded_s += len(pcm) / 2 / self.rate_hz
        if final:  # vosk found an endpoint inside the segment: keep its words
            self._segment_words += json.loads(kaldi.Result()).get("result", [])
            self._last_partial = ""
        elif self.on_partial is not None:
            text = json.loads(kaldi.PartialResult()).get("partial", "")
            if text and text != self._last_partial:
                self._last_partial = text
                self.on_partial(SegmentResult(transcript=text, confidence=0.0, partial=True,
                                              in_vocabulary=text != UNKNOWN_WORD))

    def finish_segment(self, dropped: int = 0) -> SegmentResult:
        """The final result of the audio fed since the last segment end."""
        if self._kaldi is not None and self._samples_total > self._segment_start:
            self._segment_words += json.loads(self._kaldi.FinalResult()).get("result", [])
        offset_s = self._segment_start / self.rate_hz
        audio_s = (self._samples_total - self._segment_start) / self.rate_hz
        result = build_result(self._segment_words, offset_s, audio_s, dropped)
        self.reset_segment()
        if self.grammar != self._kaldi_grammar:
            self._kaldi = None  # a grammar change waited for this segment to end
        return result

    def reset_segment(self) -> None:
        self._segment_start = self._samples_total
        self._segment_words = []
        self._last_partial = ""

    def drop_decoder(self) -> None:
        """Forget the kaldi object (after a failure, or at close): the next audio makes one."""
        self._kaldi = None

    def _ensure_kaldi(self) -> Any:
        if self._kaldi is None or self._kaldi_grammar != self.grammar:
            self._kaldi = _make_kaldi(self.model, self.rate_hz, self.grammar)
            self._kaldi_grammar = self.grammar
            self._samples_total = 0
            self._segment_start = 0
        return self._kaldi


def checked_grammar(lexicon: Lexicon, phrases: Sequence[str]) -> list[str] | None:
    """A step's phrases as a lexicon-checked grammar, or None (full vocabulary)."""
    grammar = lexicon.grammar(phrases)
    if grammar is None:
        lost = [s.phrase for s in map(lexicon.segment, phrases) if not s.hearable]
        # Keywords come from config, not from a caller: safe to name in the log.
        log.info("asr: grammar needs words the model lacks (%s); full vocabulary for this "
                 "step", ", ".join(lost[:10]))
    return grammar


def result_to_dict(result: SegmentResult) -> dict[str, Any]:
    """A result as plain JSON types (the recogniser service's wire form)."""
    return {"transcript": result.transcript, "confidence": result.confidence,
            "words": [list(w) for w in result.words], "partial": result.partial,
            "in_vocabulary": result.in_vocabulary, "audio_s": result.audio_s,
            "dropped_chunks_count": result.dropped_chunks_count}


def result_from_dict(data: Mapping[str, Any]) -> SegmentResult:
    """The inverse of ``result_to_dict``; a malformed field raises KeyError/TypeError/ValueError."""
    words = tuple((str(w[0]), float(w[1]), float(w[2]), float(w[3])) for w in data["words"])
    return SegmentResult(transcript=str(data["transcript"]), confidence=float(data["confidence"]),
                         words=words, partial=bool(data["partial"]),
                         in_vocabulary=bool(data["in_vocabulary"]),
                         audio_s=float(data["audio_s"]),
                         dropped_chunks_count=int(data["dropped_chunks_count"]))


# Backlog items: audio bytes, or a control tuple.
_END = "end"
_GRAMMAR = "grammar"
_CLOSE = "close"


@dataclass
class _Counters:
    fed_chunks_count: int = 0
    dropped_chunks_count: int = 0
    decoded_s: float = 0.0
    segments_count: int = 0
    errors_count: int = 0


class Recognizer:
    """One call's streaming recogniser. Create it with ``RecognizerPool.open``.

    ``feed`` / ``end_segment`` / ``set_grammar`` / ``close`` never block on decoding; they are
    safe to call from the media thread. Callbacks run on a pool worker thread.
    """

    def __init__(self, pool: RecognizerPool, rate_hz: int, on_result: ResultCallback,
                 on_partial: ResultCallback | None, on_error: ErrorCallback | None,
                 grammar: Sequence[str] | None, max_backlog_s: float, label: str) -> None:
        if rate_hz not in SUPPORTED_RATES_HZ:
            raise ValueError(f"rate_hz {rate_hz} not supported; allowed {SUPPORTED_RATES_HZ}")
        self.rate_hz = rate_hz
        self.label = label
        self._pool = pool
        self._on_result = on_result
        self._on_partial = on_partial
        self._on_error = on_error
        self._max_backlog_bytes = max(1, int(max_backlog_s * rate_hz * 2))
        self._lock = threading.Lock()
        self._items: deque[bytes | tuple[str, Any]] = deque()
        self._backlog_bytes = 0
        self._scheduled = False
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()
        self.counters = _Counters()
        # Worker-side state: touched only by the one worker that holds this stream.
        # Partials only when asked for: vosk's PartialResult is not free, and asking for it
        # can change the final words (seen with the Korean model).
        self._decoder = StreamDecoder(pool.model, rate_hz,
                                      pool.grammar_for(grammar) if grammar else None,
                                      self._partial if on_partial is not None else None)
        self._segment_dropped = 0

    # ---- caller side (media / session threads) -------------------------------------------

    def feed(self, pcm: bytes) -> None:
        """Queue a chunk of int16 little-endian mono PCM at ``rate_hz``; never blocks."""
        if not pcm:
            return
        with self._lock:
            if self._closed:
                return
            self.counters.fed_chunks_count += 1
            self._items.append(bytes(pcm))
            self._backlog_bytes += len(pcm)
            while self._backlog_bytes > self._max_backlog_bytes:
                if not self._drop_oldest_audio():
                    break
            self._schedule_locked()

    def end_segment(self) -> None:
        """The VAD says speech ended: the final result for what was fed follows by callback."""
        self._control((_END, None))

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Restrict recognition to ``phrases`` (None: full vocabulary) from the next segment.

        The phrases are checked against the model's lexicon and cut into its words
        (``Lexicon.grammar``): when any phrase cannot be heard, the step gets full-vocabulary
        recognition instead (the policy matches keywords on the transcript), never a grammar
        that silently lost words. If a segment is in progress it finishes under the old grammar.
        """
        grammar = self._pool.grammar_for(phrases) if phrases else None
        self._control((_GRAMMAR, grammar))

    def close(self) -> None:
        """End of call: drop anything not yet decoded, free the decoder; no more callbacks."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            dropped = sum(1 for it in self._items if isinstance(it, bytes))
            self.counters.dropped_chunks_count += dropped
            self._items.clear()
            self._backlog_bytes = 0
            self._items.append((_CLOSE, None))
            self._schedule_locked()

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """Block until everything queued so far is decoded (tests, shutdown). True if idle."""
        return self._idle.wait(timeout_s)

    @property
    def dropped_chunks_count(self) -> int:
        return self.counters.dropped_chunks_count

    def _control(self, item: tuple[str, Any]) -> None:
        with self._lock:
            if self._closed:
                return
            self._items.append(item)
            self._schedule_locked()

    def _drop_oldest_audio(self) -> bool:
        for i, item in enumerate(self._items):
            if isinstance(item, bytes):
                del self._items[i]
                self._backlog_bytes -= len(item)
                self.counters.dropped_chunks_count += 1
                self._segment_dropped += 1
                return True
        return False

    def _schedule_locked(self) -> None:
        self._idle.clear()
        if not self._scheduled:
            self._scheduled = True
            self._pool._submit(self)

    # ---- worker side ------------------------------------------------------------------------

    def _run_once(self) -> None:
        """Decode everything queued now; reschedule if more arrived meanwhile."""
        while True:
            with self._lock:
                if not self._items:
                    self._scheduled = False
                    self._idle.set()
                    return
                item = self._items.popleft()
                if isinstance(item, bytes):
                    self._backlog_bytes -= len(item)
            try:
                self._handle(item)
            except Exception as exc:  # a decoder failure must not kill the worker
                self.counters.errors_count += 1
                log.exception("asr stream %s: decoding failed", self.label)
                self._decoder.reset_segment()
                self._decoder.drop_decoder()
                if self._on_error is not None:
                    self._safe_call(self._on_error, exc)

    def _handle(self, item: bytes | tuple[str, Any]) -> None:
        if isinstance(item, bytes):
            before = self._decoder.decoded_s
            self._decoder.accept(item)
            self.counters.decoded_s += self._decoder.decoded_s - before
            return
        kind, value = item
        if kind == _END:
            self._finish_segment()
        elif kind == _GRAMMAR:
            self._decoder.set_grammar(value)
        elif kind == _CLOSE:
            self._decoder.drop_decoder()
            self._pool._retire(self)

    def _partial(self, result: SegmentResult) -> None:
        if self._on_partial is not None:
            self._safe_call(self._on_partial, result)

    def _finish_segment(self) -> None:
        with self._lock:
            dropped = self._segment_dropped
            self._segment_dropped = 0
        result = self._decoder.finish_segment(dropped)
        self.counters.segments_count += 1
        self._safe_call(self._on_result, result)

    def _safe_call(self, callback: Callable[[Any], None], value: Any) -> None:
        with self._lock:
            if self._closed and callback is not self._on_error:
                return
        try:
            callback(value)
        except Exception:
            log.exception("asr stream %s: result callback raised", self.label)


@dataclass
class PoolStats:
    """Work done by a pool, for benchmarks and health reports."""

    streams_count: int = 0
    decoded_s: float = 0.0
    dropped_chunks_count: int = 0
    errors_count: int = 0
    per_stream: dict[str, _Counters] = field(default_factory=dict)


class RecognizerPool:
    """Worker threads shared by all calls' recognisers, over one loaded vosk model."""

    def __init__(self, model: vosk.Model, workers_count: int = DEFAULT_WORKERS_COUNT,
                 max_backlog_s: float = DEFAULT_MAX_BACKLOG_S) -> None:
        if workers_count < 1:
            raise ValueError(f"workers_count must be >= 1, got {workers_count}")
        if max_backlog_s <= 0:
            raise ValueError(f"max_backlog_s must be > 0, got {max_backlog_s}")
        self.model = model
        self.lexicon = model_lexicon(model)
        self.max_backlog_s = max_backlog_s
        self._ready: queue.SimpleQueue[Recognizer | None] = queue.SimpleQueue()
        self._streams: list[Recognizer] = []
        self._retired: list[_Counters] = []
        self._opened_count = 0
        self._streams_lock = threading.Lock()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._worker, name=f"asr-worker-{i}", daemon=True)
            for i in range(workers_count)
        ]
        for t in self._threads:
            t.start()

    def open(self, rate_hz: int, on_result: ResultCallback, *,
             on_partial: ResultCallback | None = None, on_error: ErrorCallback | None = None,
             grammar: Sequence[str] | None = None, label: str = "") -> Recognizer:
        """A new per-call recogniser at ``rate_hz`` (8000 or 16000)."""
        if self._closed:
            raise RuntimeError("RecognizerPool is closed")
        with self._streams_lock:
            self._opened_count += 1
            number = self._opened_count
        rec = Recognizer(self, rate_hz, on_result, on_partial, on_error, grammar,
                         self.max_backlog_s, label or f"stream-{number}")
        with self._streams_lock:
            self._streams.append(rec)
        return rec

    def backlog_s(self) -> float:
        """Audio queued for decoding over every live stream, in seconds (for /metrics)."""
        with self._streams_lock:
            streams = list(self._streams)
        return sum(s._backlog_bytes / (2 * s.rate_hz) for s in streams)

    def grammar_for(self, phrases: Sequence[str]) -> list[str] | None:
        """A step's phrases as a lexicon-checked grammar, or None (full vocabulary)."""
        return checked_grammar(self.lexicon, phrases)

    def stats(self) -> PoolStats:
        """Totals over every stream opened so far; ``per_stream`` lists the live ones."""
        with self._streams_lock:
            streams = list(self._streams)
            retired = list(self._retired)
            opened = self._opened_count
        stats = PoolStats(streams_count=opened)
        for c in [s.counters for s in streams] + retired:
            stats.decoded_s += c.decoded_s
            stats.dropped_chunks_count += c.dropped_chunks_count
            stats.errors_count += c.errors_count
        for s in streams:
            stats.per_stream[s.label] = s.counters
        return stats

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the workers (pending work of open streams is abandoned)."""
        if self._closed:
            return
        self._closed = True
        with self._streams_lock:
            streams = list(self._streams)
        for s in streams:
            s.close()
        for _ in self._threads:
            self._ready.put(None)
        for t in self._threads:
            t.join(timeout_s)

    def __enter__(self) -> RecognizerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _retire(self, rec: Recognizer) -> None:
        """A closed stream leaves the live list; its work stays in the totals."""
        with self._streams_lock:
            if rec in self._streams:
                self._streams.remove(rec)
                self._retired.append(rec.counters)

    def _submit(self, rec: Recognizer) -> None:
        self._ready.put(rec)

    def _worker(self) -> None:
        while True:
            rec = self._ready.get()
            if rec is None:
                return
            try:
                rec._run_once()
            except Exception:
                log.exception("asr worker: unexpected failure on stream %s", rec.label)
