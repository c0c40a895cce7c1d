"""Spoken digits: the Chinese model returns a number as characters (一 三 八 / 幺 / 洞 / 两)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.policy import spoken_digits as sd

ZH_FORMS: dict[str, list[str]] = {}
for _word, _digit in sd.ZH_DIGITS.items():
    ZH_FORMS.setdefault(_digit, []).append(_word)
EN_FORMS: dict[str, list[str]] = {}
for _word, _digit in sd.EN_DIGITS.items():
    EN_FORMS.setdefault(_digit, []).append(_word)


@pytest.mark.parametrize("text, digits", [
    ("幺 三 八 零 零 零 零 幺 二 三 四", "13800001234"),   # the recogniser's spaced words
    ("一三八洞洞洞洞一两三四", "13800001234"),
    ("我 的 电话 是 幺 三 八 零 零 零 零 幺 二 三 四 谢谢", "13800001234"),
    ("幺三八，嗯，零零零零，幺二三四", "13800001234"),
    ("138 0000 1234", "13800001234"),
    ("１３８００００１２３４", "13800001234"),                # full-width digits
    ("零 〇 拐 勾", "0079"),
])
def test_chinese_digits(text, digits):
    assert sd.parse(text, "zh-CN") == digits


@pytest.mark.parametrize("text", ["一百二十三", "三十", "我要投诉", "", "[unk]",
                                  "幺三八 我 零零", "一三八万"])
def test_chinese_non_numbers_are_refused(text):
    assert sd.parse(text, "zh-CN") is None


@pytest.mark.parametrize("text, digits", [
    ("one three eight oh oh oh oh one two three four", "13800001234"),
    ("my number is five five five double one two uh three", "5551123"),
    ("triple seven zero", "7770"),
    ("It's 555-0199, thanks", "5550199"),
])
def test_english_digits(text, digits):
    assert sd.parse(text, "en-US") == digits


@pytest.mark.parametrize("text", ["twenty three", "one hundred", "five apples five", "hello"])
def test_english_non_numbers_are_refused(text):
    assert sd.parse(text, "en-US") is None


def test_read_back_is_grouped_and_uses_yao_for_one():
    assert sd.speak("13800001234", "zh-CN") == "幺三八，零零零零，幺二三四"
    assert sd.speak("075512345678", "zh-CN") == "零七五五，幺二三四，五六七八"
    assert sd.speak("5550199", "en-US") == "five five five zero, one nine nine"
    with pytest.raises(ValueError):
        sd.speak("12a", "zh-CN")


def test_digit_words_cover_every_digit():
    for locale in ("zh-CN", "en-US"):
        words = sd.digit_words(locale)
        assert {sd.parse(w, locale) for w in words if sd.parse(w, locale)} >= set("0123456789")


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=20)


@given(DIGITS, st.data())
def test_any_chinese_reading_parses_back(digits, data):
    words = [data.draw(st.sampled_from(ZH_FORMS[d])) for d in digits]
    sep = data.draw(st.sampled_from([" ", "", "，"]))
    assert sd.parse(sep.join(words), "zh-CN") == digits


@given(DIGITS, st.data())
def test_any_english_reading_parses_back(digits, data):
    words = [data.draw(st.sampled_from(EN_FORMS[d])) for d in digits]
    assert sd.parse(" ".join(words), "en-US") == digits


@given(DIGITS, st.sampled_from(["zh-CN", "en-US"]))
def test_read_back_parses_back(digits, locale):
    """What the caller hears is the number we store: speak() then parse() is the identity."""
    assert sd.parse(sd.speak(digits, locale), locale) == digits
