"""Lexicon checks over a word list: maximum matching, unhearable keywords, grammar fallback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.media.lexicon import Lexicon, word_set_lexicon

# A few words of a Chinese lexicon the way vosk-model-small-cn-0.22 holds them: "转人工" is not
# an entry, "转" and "人工" are; 苹果 and 碗 are absent (alphacep/vosk-api#1719).
CN_WORDS = ["我", "要", "投诉", "转", "人工", "打", "错", "了", "不", "清楚", "听", "没", "清",
            "谢谢", "一", "三", "八", "幺", "零", "两", "QQ"]


def lex() -> Lexicon:
    return word_set_lexicon(CN_WORDS)


def test_phrases_are_cut_into_lexicon_words_longest_first():
    assert lex().segment("转人工").words == ("转", "人工")
    assert lex().segment("打错了").words == ("打", "错", "了")
    assert lex().segment("没听清").grammar_phrase == "没 听 清"
    assert lex().segment("转 人工").words == ("转", "人工")  # an admin's spaced keyword
    assert lex().segment("QQ").words == ("QQ",)


def test_missing_pieces_are_reported_not_dropped():
    seg = lex().segment("我要苹果碗")
    assert seg.words == ("我", "要") and seg.missing == ("苹果碗",)
    assert not seg.hearable
    assert lex().segment("苹果投诉碗").missing == ("苹果", "碗")


def test_keyword_report_names_each_unhearable_keyword_per_intent():
    report = lex().check_keywords({"person": ["转人工", "主管"], "complaint": ["投诉"],
                                   "out_of_scope": ["苹果"]})
    assert not report.ok and report.checked_count == 4
    assert [s.phrase for s in report.unhearable["person"]] == ["主管"]
    assert report.unhearable["complaint"] == ()
    assert report.lines() == ["person: 主管 (missing 主管)", "out_of_scope: 苹果 (missing 苹果)"]


def test_grammar_is_lexicon_words_plus_unk_or_none_for_full_vocabulary():
    assert lex().grammar(["转人工", "投诉", "投诉"]) == ["转 人工", "投诉", "[unk]"]
    # One phrase the model cannot hear: the whole step uses full-vocabulary recognition.
    assert lex().grammar(["转人工", "苹果"]) is None
    assert lex().grammar([]) is None


def test_lookups_are_cached():
    calls: list[str] = []

    def find(word: str) -> int:
        calls.append(word)
        return 0 if word in CN_WORDS else -1

    lexicon = Lexicon(find)
    lexicon.segment("转人工")
    first = len(calls)
    lexicon.segment("转人工")
    assert len(calls) == first


@given(st.lists(st.sampled_from(CN_WORDS[:20]), min_size=1, max_size=6))
def test_a_run_of_lexicon_words_is_always_hearable(words):
    seg = lex().segment("".join(words))
    assert seg.hearable and "".join(seg.words) == "".join(words).replace("qq", "QQ")


def test_the_cut_never_strands_a_character_forward_matching_would():
    lexicon = word_set_lexicon(["转人", "转", "人工"])
    assert lexicon.segment("转人工").words == ("转", "人工")  # not 转人 + (missing 工)


def test_fewest_words_win():
    lexicon = word_set_lexicon(["打", "错", "了", "打错", "打错了"])
    assert lexicon.segment("打错了").words == ("打错了",)
    assert lexicon.segment("打错了打").words == ("打错了", "打")
