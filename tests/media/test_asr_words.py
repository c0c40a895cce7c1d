"""Per-step confidence from the recogniser's per-word confidences, [unk] left out (issue 17).

The result JSON below is in the shape vosk's Chinese models return with SetWords(True): lexicon
words separated by spaces in "text", one entry per word (and per [unk]) in "result".
"""

from __future__ import annotations

import json

import pytest

from ivr.media.asr import build_result, words_confidence
from ivr.text import tidy

VOSK_CN_RESULT = json.loads("""
{"result": [
  {"conf": 1.0, "end": 0.42, "start": 0.12, "word": "我"},
  {"conf": 0.93, "end": 0.66, "start": 0.42, "word": "要"},
  {"conf": 0.71, "end": 1.2, "start": 0.66, "word": "[unk]"},
  {"conf": 0.88, "end": 1.5, "start": 1.2, "word": "转"},
  {"conf": 0.95, "end": 1.98, "start": 1.5, "word": "人工"}
 ], "text": "我 要 [unk] 转 人工"}
""")


def test_result_json_from_the_real_model_shape():
    """The recogniser's words -> a segment whose confidence ignores [unk] (issue 17 part 4)."""
    result = build_result(VOSK_CN_RESULT["result"], 0.0, 2.0)
    assert result.transcript == "我 要 转 人工"
    assert tidy(result.transcript) == "我要转人工"
    known = [1.0, 0.93, 0.88, 0.95]
    assert result.confidence == pytest.approx(sum(known) / len(known))
    assert result.in_vocabulary


def test_only_unk_scores_zero_and_is_not_in_vocabulary():
    result = build_result([{"conf": 0.99, "start": 0, "end": 1, "word": "[unk]"}], 0.0, 1.0)
    assert result.confidence == 0.0 and not result.in_vocabulary and result.transcript == ""


def test_a_confident_unk_does_not_lift_an_unsure_word():
    words = [{"conf": 1.0, "start": 0, "end": 1, "word": "[unk]"},
             {"conf": 0.3, "start": 1, "end": 2, "word": "投诉"}]
    assert build_result(words, 0.0, 2.0).confidence == pytest.approx(0.3)


def test_words_confidence_of_nothing_is_zero():
    assert words_confidence(()) == 0.0
