"""The Korean bench locale (bench/ko_locale.py) is what the benches assume it is, on the REAL
Korean model: every keyword is a word of its lexicon, the dialogue steps' grammar built from
them is a grammar (not the full-vocabulary fallback that made fullasr 65x), and the caller's
grammar-mode answers decode to themselves. Also: the caller pcap carries that audio as A-law
RTP. Runtime ~6 s (the model is shared with the other speech tests).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from bench import ko_locale
from bench.rtp_pcap import RTP_PT_PCMA, SAMPLES_PER_PACKET, write_pcap
from ivr.config import load_settings, parse_assignments
from ivr.media import asr
from ivr.media.g711 import alaw_decode, alaw_encode
from ivr.policy.listening import keyword_grammar
from ivr.policy.rules.intent import classify
from tests.speech.test_speech_service import stream_through

pytestmark = pytest.mark.slow


def _bench_settings():
    args = ko_locale.serve_overrides()
    values = [args[i + 1] for i in range(0, len(args), 2)]
    assert values[0].startswith("dialogue.intent_attempts_count=")
    assert all(args[i] == "--set" for i in range(0, len(args), 2))
    return load_settings(overrides=parse_assignments(values))


def test_every_keyword_is_a_word_of_the_korean_model(ko_model):
    missing = [w for words in ko_locale.KEYWORDS.values() for w in words
               if ko_model.vosk_model_find_word(w) == -1]
    assert not missing
    settings = _bench_settings()
    table = settings.keywords(ko_locale.KEYWORD_LOCALE)
    assert set(ko_locale.KEYWORDS) == set(table)  # every intent replaced: no zh-CN word left
    grammar = asr.checked_grammar(asr.model_lexicon(ko_model),
                                  keyword_grammar(settings, ko_locale.KEYWORD_LOCALE))
    assert grammar is not None and "상담원" in grammar


def test_the_callers_answers_decode_in_grammar_mode(ko_model):
    settings = _bench_settings()
    grammar = asr.checked_grammar(asr.model_lexicon(ko_model),
                                  keyword_grammar(settings, ko_locale.KEYWORD_LOCALE))
    assert grammar is not None
    keywords = settings.keywords(ko_locale.KEYWORD_LOCALE)
    with asr.RecognizerPool(ko_model, workers_count=1) as pool:
        for answer in ko_locale.GRAMMAR_ANSWERS:
            result = stream_through(pool, ko_locale.say(answer), 8000, grammar)
            assert result.transcript == answer
        # every line of the caller, heard with the grammar, names no intent: the call stays
        # at the intent step (re-prompts) until the digit, as the benches assume
        for text, _ in ko_locale.CALLER_SCRIPT:
            result = stream_through(pool, ko_locale.say(text), 8000, grammar)
            assert result.transcript and classify(result.transcript, keywords) is None, (
                text, result.transcript)


def test_caller_pcap_carries_the_audio_as_alaw_rtp(tmp_path):
    audio = (np.sin(np.arange(8000 // 2 + 37) / 5) * 8000).astype(np.int16)
    path = tmp_path / "caller.pcap"
    n = write_pcap(audio, path)
    data = path.read_bytes()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
    pos, payloads, times = 24, [], []
    while pos < len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        assert frame[12:14] == b"\x08\x00" and frame[14 + 9] == 17  # IPv4, UDP
        rtp = frame[14 + 20 + 8:]
        assert rtp[0] >> 6 == 2 and rtp[1] & 0x7F == RTP_PT_PCMA
        payloads.append(rtp[12:])
        times.append(sec + usec / 1e6)
    assert len(payloads) == n == -(-len(audio) // SAMPLES_PER_PACKET)
    assert np.allclose(np.diff(times), 0.02)
    codes = np.frombuffer(b"".join(payloads), dtype=np.uint8)
    expected = alaw_decode(alaw_encode(audio).astype(np.uint8))
    assert np.array_equal(alaw_decode(codes)[: len(audio)], expected)
