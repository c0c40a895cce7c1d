"""Streaming recognition with the real packaged vosk model and real espeak-ng Korean speech."""

from __future__ import annotations

import difflib
import logging
import threading
import time

import numpy as np
import pytest

from ivr.media import asr

CHUNK_MS = 20
# yes, no, agent, start over, cancel: words espeak-ng says clearly enough at 8 kHz
MENU = ["예", "아니요", "상담원", "처음으로", "취소"]
SENTENCE = "안녕하세요 상담원 연결해 주세요"


def chunks(pcm: np.ndarray, rate_hz: int, ms: int = CHUNK_MS):
    step = rate_hz * ms // 1000
    data = pcm.astype("<i2").tobytes()
    for i in range(0, len(data), step * 2):
        yield data[i:i + step * 2]


class Collector:
    def __init__(self) -> None:
        self.results: list[asr.SegmentResult] = []
        self.partials: list[asr.SegmentResult] = []
        self.done = threading.Event()
        self.expected = 1

    def on_result(self, result: asr.SegmentResult) -> None:
        self.results.append(result)
        if len(self.results) >= self.expected:
            self.done.set()


def stream(pool: asr.RecognizerPool, pcm: np.ndarray, rate_hz: int,
           grammar: list[str] | None = None) -> tuple[asr.SegmentResult, Collector]:
    got = Collector()
    rec = pool.open(rate_hz, got.on_result, on_partial=got.partials.append, grammar=grammar)
    for chunk in chunks(pcm, rate_hz):
        rec.feed(chunk)
    rec.end_segment()
    assert got.done.wait(60), "no final result"
    rec.close()
    return got.results[0], got


@pytest.fixture(scope="module")
def pool(ko_model):
    with asr.RecognizerPool(ko_model, workers_count=2) as p:
        yield p


@pytest.mark.parametrize("rate_hz", [8000, 16000])
def test_streaming_agrees_with_whole_file(pool, ko_model, ko_speech, rate_hz):
    pcm = ko_speech(SENTENCE, rate_hz)
    whole = asr.recognize_pcm(ko_model, pcm.astype("<i2").tobytes(), rate_hz)
    streamed, got = stream(pool, pcm, rate_hz)
    assert whole.transcript and streamed.transcript
    # Full-vocabulary decoding of synthetic speech is poor, but the two paths must agree: the
    # chunking may change a word or two at most.
    a, b = whole.transcript.replace(" ", ""), streamed.transcript.replace(" ", "")
    assert difflib.SequenceMatcher(None, a, b).ratio() >= 0.6, (a, b)
    assert abs(streamed.audio_s - len(pcm) / rate_hz) < 0.03
    assert 0.0 < streamed.confidence <= 1.0
    assert streamed.words and all(0 <= w[2] <= w[3] <= streamed.audio_s + 0.1
                                  for w in streamed.words)
    assert got.partials and all(p.partial for p in got.partials)


def test_grammar_stream_and_whole_file_agree_exactly(pool, ko_model, ko_speech):
    pcm = ko_speech("상담원", 8000)
    whole = asr.recognize_pcm(ko_model, pcm.astype("<i2").tobytes(), 8000, MENU)
    streamed, _ = stream(pool, pcm, 8000, MENU)
    assert streamed.transcript == whole.transcript == "상담원"
    assert streamed.in_vocabulary


@pytest.mark.parametrize("phrase", ["상담원", "아니요", "처음으로"])
def test_grammar_picks_the_spoken_phrase(pool, ko_speech, phrase):
    result, _ = stream(pool, ko_speech(phrase, 8000), 8000, MENU)
    assert result.transcript == phrase
    assert result.confidence > 0.5


def test_grammar_is_kept_as_utf8_not_escaped():
    assert asr.grammar_json(["상담원", " 예 ", ""]) == '["상담원", "예"]'


def test_set_grammar_applies_from_next_segment(pool, ko_speech):
    got = Collector()
    got.expected = 2
    rec = pool.open(8000, got.on_result)
    pcm = ko_speech("상담원 연결해 주세요", 8000)
    for chunk in chunks(pcm, 8000):
        rec.feed(chunk)
    rec.end_segment()  # full vocabulary
    rec.set_grammar(MENU)
    for chunk in chunks(ko_speech("상담원", 8000), 8000):
        rec.feed(chunk)
    rec.end_segment()
    assert got.done.wait(60)
    rec.close()
    assert got.results[0].transcript != "상담원"  # free speech: more words than the menu word
    assert got.results[1].transcript == "상담원"
    assert got.results[1].words[0][2] < 0.5  # times are relative to the segment start


def test_empty_segment_is_not_in_vocabulary(pool):
    got = Collector()
    rec = pool.open(8000, got.on_result)
    rec.feed(np.zeros(8000, dtype="<i2").tobytes())  # one second of digital silence
    rec.end_segment()
    assert got.done.wait(30)
    rec.close()
    result = got.results[0]
    assert result.transcript == "" and not result.in_vocabulary and result.confidence == 0.0


def test_pool_keeps_up_with_simultaneous_speakers_at_real_time(pool, ko_speech):
    """Four callers talk at once, chunks paced at the real-time rate: nothing dropped."""
    speakers = ["상담원", "아니요", "처음으로", "예"]
    pcms = [ko_speech(s, 8000) for s in speakers]
    collectors = [Collector() for _ in speakers]
    recs = [pool.open(8000, c.on_result, grammar=MENU) for c in collectors]
    feeds = [list(chunks(p, 8000)) for p in pcms]
    start = time.monotonic()
    for i in range(max(len(f) for f in feeds)):
        for rec, feed in zip(recs, feeds, strict=True):
            if i < len(feed):
                rec.feed(feed[i])
        delay = start + (i + 1) * CHUNK_MS / 1000 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    for rec in recs:
        rec.end_segment()
    for c in collectors:
        assert c.done.wait(60)
    for rec, c, speaker, pcm in zip(recs, collectors, speakers, pcms, strict=True):
        assert rec.dropped_chunks_count == 0
        assert c.results[0].dropped_chunks_count == 0
        assert abs(c.results[0].audio_s - len(pcm) / 8000) < 0.03  # all the audio was decoded
        assert c.results[0].transcript == speaker
        rec.close()


def test_overflow_drops_oldest_and_never_blocks(ko_model, ko_speech):
    pcm = ko_speech(SENTENCE, 8000)
    with asr.RecognizerPool(ko_model, workers_count=1, max_backlog_s=0.2) as small:
        got = Collector()
        rec = small.open(8000, got.on_result)
        fed = list(chunks(pcm, 8000))
        for chunk in fed:  # as fast as possible: far faster than one worker decodes
            rec.feed(chunk)
        rec.end_segment()
        assert got.done.wait(60)
        result = got.results[0]
        assert rec.dropped_chunks_count > 0
        assert result.dropped_chunks_count == rec.dropped_chunks_count
        decoded = result.audio_s * 8000 * 2
        assert decoded == pytest.approx(sum(len(c) for c in fed) - sum(
            len(c) for c in fed[: rec.dropped_chunks_count]), abs=1000)
        assert small.stats().dropped_chunks_count == rec.dropped_chunks_count


def test_callback_failure_is_logged_and_the_stream_goes_on(pool, caplog):
    got = Collector()
    got.expected = 1
    calls = []

    def bad(result):
        calls.append(result)
        if len(calls) == 1:
            raise RuntimeError("boom")
        got.on_result(result)

    rec = pool.open(8000, bad)
    with caplog.at_level(logging.ERROR, logger="ivr.media.asr"):
        rec.end_segment()
        rec.end_segment()
        assert got.done.wait(30)
    rec.close()
    assert len(calls) == 2
    assert any("callback raised" in r.getMessage() for r in caplog.records)


def test_bad_rate_is_refused(pool):
    with pytest.raises(ValueError, match="rate_hz 44100"):
        pool.open(44100, lambda r: None)
