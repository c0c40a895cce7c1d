"""ivr.text: transcripts in the shape vosk's Chinese models give them, matched like written text.

The recogniser output below is what vosk-model-small-cn-0.22 returns (rhasspy/hassio-addons#69):
lexicon words separated by spaces, ``[unk]`` for what it could not map, per-word confidences in
the result JSON. Before ivr.text the keyword match tested substrings of the raw transcript, so
"转人工" never matched "转 人工".
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.config import load_settings
from ivr.policy.rules.intent import classify, matches
from ivr.text import has_keyword, is_cjk, match_form, only_unknown, tidy

# One final result as vosk's Chinese model returns it (SetWords(True)).
VOSK_CN_RESULT = json.loads("""
{"result": [
  {"conf": 1.0, "end": 0.42, "start": 0.12, "word": "我"},
  {"conf": 0.93, "end": 0.66, "start": 0.42, "word": "要"},
  {"conf": 0.71, "end": 1.2, "start": 0.66, "word": "[unk]"},
  {"conf": 0.88, "end": 1.5, "start": 1.2, "word": "转"},
  {"conf": 0.95, "end": 1.98, "start": 1.5, "word": "人工"}
 ], "text": "我 要 [unk] 转 人工"}
""")


@pytest.fixture(scope="module")
def zh_keywords():
    return load_settings().keywords("zh-CN")


@pytest.mark.parametrize("spaced, written", [
    ("我 要 投诉", "我要投诉"),
    ("转 人工", "转人工"),
    ("我 要 [unk] 转 人工", "我要转人工"),
    ("[unk]", ""),
    ("[UNK] [unk]", ""),
    ("加 你 微信 好 吗", "加你微信好吗"),
    ("你 的 QQ 号", "你的QQ号"),           # Latin inside Chinese: written without spaces
    ("that's all thank you", "that's all thank you"),  # spaces between Latin words stay
    ("ＱＱ　号码１３８", "QQ号码138"),        # full-width letters, digits and space folded
    ("我 要 投诉 ， 谢谢", "我要投诉,谢谢"),
    ("  转   人工  ", "转人工"),
])
def test_tidy_gives_the_written_form(spaced, written):
    assert tidy(spaced) == written


def test_the_old_substring_match_misses_spaced_keywords_and_the_new_one_does_not():
    raw = VOSK_CN_RESULT["text"]
    assert "转人工" not in raw  # the defect: a keyword spanning two lexicon words
    assert has_keyword(raw, "转人工")


@pytest.mark.parametrize("spaced, intent", [
    ("我 要 投诉", "complaint"),
    ("转 人工", "person"),
    ("不好意思 打 错 了", "wrong_number"),
    ("加 个 微信 吧", "personal_info"),
    ("你 的 QQ 是 多少", "personal_info"),
    ("[unk] 我 想 提 个 建议 [unk]", "suggestion"),
    ("谢谢 你", "thanks"),
])
def test_spaced_transcripts_classify_like_written_ones(zh_keywords, spaced, intent):
    assert classify(spaced, zh_keywords) == intent
    assert classify(spaced.replace(" ", ""), zh_keywords) == intent


def test_multi_word_keywords_match_across_the_recognisers_spaces(zh_keywords):
    assert matches("没 听 清", ["没听清"])
    assert matches("听 不 懂", zh_keywords["not_understood"])
    assert not matches("[unk] [unk]", zh_keywords["complaint"])


def test_a_keyword_does_not_span_punctuation():
    assert not has_keyword("打错，了", "打错了")
    assert has_keyword("打 错 了。", "打错了")


def test_latin_keywords_stay_whole_words():
    assert has_keyword("I want to complain", "complain")
    assert not has_keyword("I know", "no")
    assert has_keyword("No, thanks", "no")
    assert has_keyword("that's all", "that's all")
    assert not has_keyword("", "no") and not has_keyword("no", "")


def test_korean_keywords_match_with_or_without_the_word_space():
    assert has_keyword("상담원 연결해 주세요", "상담원연결")
    assert has_keyword("상담원연결 해 주세요", "상담원 연결")


def test_full_width_keyword_and_text_meet():
    assert has_keyword("加我ＱＱ", "qq")
    assert match_form("ＡＢＣ，好") == "abc\n好"


def test_only_unknown():
    assert only_unknown("[unk]") and only_unknown("") and only_unknown(" [unk] [unk] ")
    assert not only_unknown("[unk] 好")


def test_is_cjk_is_han_and_kana_not_hangul_or_latin():
    assert is_cjk("转") and is_cjk("。") and is_cjk("カ")
    assert not is_cjk("a") and not is_cjk("상") and not is_cjk("1")


CJK = st.sampled_from(list("我要投诉转人工打错了谢谢"))
LATIN = st.sampled_from(["qq", "ok", "wechat", "no"])
WORDS = st.lists(st.one_of(st.text(CJK, min_size=1, max_size=3), LATIN), min_size=1,
                 max_size=8)


@given(WORDS)
def test_tidy_is_idempotent_and_drops_cjk_spaces(words):
    spaced = " ".join(words)
    once = tidy(spaced)
    assert tidy(once) == once
    for i, ch in enumerate(once):
        if ch == " ":
            assert not is_cjk(once[i - 1]) and not is_cjk(once[i + 1])


@given(WORDS, st.integers(min_value=0, max_value=7))
def test_any_run_of_words_matches_its_spaced_form(words, start):
    """A keyword made of consecutive recogniser words matches the spaced transcript."""
    keyword = "".join(w for w in words[start:start + 2] if not w.isascii())
    spaced = " ".join(words)
    if keyword:
        assert has_keyword(spaced, keyword)


SPACED_TURNS = [
    ("我 要 投诉", "我要投诉", "complaint_apology"),
    ("转 人工", "转人工", "transfer_notice"),
    ("不好意思 我 打 错 了", "不好意思我打错了", "wrong_number"),
    ("加 个 微信 吧", "加个微信吧", "personal_info"),
    ("我 想 提 个 建议", "我想提个建议", "suggestion_ask"),
    ("[unk] 请问 怎么 退货 [unk]", "请问怎么退货", "inquiry_ask"),
]


@pytest.mark.parametrize("spaced, written, flow_prompt", SPACED_TURNS)
def test_a_whole_call_with_spaced_text_runs_like_written_text(settings, spaced, written,
                                                              flow_prompt):
    """The same caller turn in the recogniser's shape and as written: the same call."""
    from fakes import speech
    from policy_support import opening, run

    from ivr.policy import actions as a

    def plays(text):
        t = opening(settings) + 0.5
        call = run(settings, speech(t, 2.0, text, 0.9))
        return [(round(at, 3), x.prompt_id) for at, x in call.actions(a.Play)], call.reason

    spaced_call = plays(spaced)
    assert spaced_call == plays(written)
    assert flow_prompt in [p for _, p in spaced_call[0]]
