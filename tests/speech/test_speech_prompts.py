"""The rendered prompt library with real pyttsx3/espeak-ng renders."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import settings_with

from ivr import cli
from ivr.config import CALL_VARIABLES, load_settings
from ivr.media import tts
from ivr.media.levels import active_speech_level_dbfs
from ivr.media.prompt_library import PromptError, PromptLibrary
from ivr.media.vad import GuardedVad
from ivr.media.wavio import write_wav

SMALL = {"zh-CN": ["silent_reprompt", "menu", "complaint_promise"],
         "en-US": ["silent_reprompt", "thanks_reply"]}


def speech_share(samples: np.ndarray, rate_hz: int) -> float:
    """Share of 20 ms frames the project's VAD calls speech."""
    vad = GuardedVad(rate_hz)
    n = vad.frame_len
    frames = [samples[i:i + n] for i in range(0, len(samples) - n + 1, n)]
    return sum(vad.decide(f).speech for f in frames) / max(1, len(frames))


@pytest.fixture(scope="module")
def full_render(tmp_path_factory):
    """Every phrase of both real catalogues, rendered once for the module (~20 s)."""
    root = tmp_path_factory.mktemp("full")
    settings = settings_with(root / "data", root / "audio")
    with PromptLibrary(settings) as lib:
        report = lib.render_all()
        yield lib, report


def test_every_prompt_renders_to_speech_at_each_rate(full_render):
    lib, report = full_render
    assert not report.failed
    assert len(report.rendered) + len(report.runtime) == sum(
        len(c) for c in lib.settings.prompts.values())
    for item in lib.plan():
        if item.kind != "tts":
            continue
        lengths = {}
        for rate in (8000, 16000):
            pcm = lib.get(item.locale, item.prompt_id, rate)
            assert pcm.dtype == np.int16 and pcm.ndim == 1
            assert len(pcm) > 0.3 * rate, item.key
            assert speech_share(pcm, rate) > 0.3, item.key
            assert tts.clipped_ratio(pcm) == 0.0, item.key
            level = active_speech_level_dbfs(pcm, rate)
            assert level is not None and -24.0 <= level <= -18.0, (item.key, level)
            lengths[rate] = len(pcm) / rate
        assert abs(lengths[8000] - lengths[16000]) < 0.01  # same audio, two rates
        wav = lib.cache_path(item, 8000)
        assert wav.is_file() and wav.parent.name == "8000"


def test_second_render_renders_nothing(full_render):
    lib, _ = full_render
    with PromptLibrary(lib.settings) as again:
        report = again.render_all(load=False)
    assert report.rendered == [] and not report.failed
    assert len(report.cached) == len([p for p in lib.plan() if p.kind == "tts"])


def test_changed_text_rerenders_only_that_prompt(tmp_path):
    settings = settings_with(tmp_path / "data", tmp_path / "audio", SMALL)
    with PromptLibrary(settings) as lib:
        first = lib.render_all(load=False)
    assert sorted(first.rendered) == ["en-US/silent_reprompt", "en-US/thanks_reply",
                                      "zh-CN/menu", "zh-CN/silent_reprompt"]
    assert first.runtime == ["zh-CN/complaint_promise"]
    prompts = {loc: dict(c) for loc, c in settings.prompts.items()}
    old = prompts["en-US"]["thanks_reply"]
    prompts["en-US"]["thanks_reply"] = old.model_copy(update={"text": "Glad to help."})
    changed = settings.model_copy(update={"prompts": prompts})
    with PromptLibrary(changed) as lib:
        second = lib.render_all()
        assert second.rendered == ["en-US/thanks_reply"]
        assert len(second.cached) == 3
        # the stale render of the old text is gone from the cache
        files = sorted(p.name for p in (lib.cache_dir / "en-US" / "8000").glob("thanks_reply-*"))
        assert len(files) == 1
        assert files[0] == lib.cache_path(
            next(p for p in lib.plan(["en-US"]) if p.prompt_id == "thanks_reply"), 8000).name
    # a voice change re-renders that locale only
    other_voice = settings_with(tmp_path / "data", tmp_path / "audio", SMALL,
                                voices={"zh-CN": "sit/cmn", "en-US": "gmw/en-gb-x-rp"})
    with PromptLibrary(other_voice) as lib:
        third = lib.render_all(load=False)
    assert sorted(third.rendered) == ["en-US/silent_reprompt", "en-US/thanks_reply"]


def test_recorded_override_wins_at_any_rate(tmp_path):
    audio = tmp_path / "audio"
    (audio / "zh-CN").mkdir(parents=True)
    t = np.arange(44100) / 44100.0  # one second recorded at 44.1 kHz, kept at its level
    tone = (0.1 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    write_wav(audio / "zh-CN" / "menu.wav", tone, 44100)
    settings = settings_with(tmp_path / "data", audio, SMALL)
    with PromptLibrary(settings) as lib:
        report = lib.render_all()
        assert report.overridden == ["zh-CN/menu"] and "zh-CN/menu" not in report.rendered
        for rate in (8000, 16000):
            pcm = lib.get("zh-CN", "menu", rate)
            assert abs(len(pcm) - rate) <= 2
            assert np.sqrt(np.mean(pcm.astype(float) ** 2)) == pytest.approx(
                0.1 * 32767 / np.sqrt(2), rel=0.05)  # level left as recorded
        assert not any(p.startswith(str(audio)) for p in lib.check())


def test_check_reports_clipped_and_orphan_overrides(tmp_path):
    audio = tmp_path / "audio"
    (audio / "en-US").mkdir(parents=True)
    square = np.where(np.arange(8000) % 40 < 20, 32767, -32768).astype(np.int16)
    write_wav(audio / "en-US" / "thanks_reply.wav", square, 8000)
    write_wav(audio / "en-US" / "no_such_prompt.wav", square, 8000)
    (audio / "en-US" / "silent_reprompt.wav").write_bytes(b"RIFF junk")
    settings = settings_with(tmp_path / "data", audio, SMALL)
    with PromptLibrary(settings) as lib:
        problems = lib.check()
        text = "\n".join(problems)
        assert "thanks_reply.wav: clipped" in text
        assert "no prompt id 'no_such_prompt'" in text
        assert "silent_reprompt.wav" in text
        assert "not rendered yet" in text  # zh-CN phrases were never rendered here
        # a clipped recording is brought down to the target level when played
        lib.render_all(["en-US"])
        assert tts.clipped_ratio(lib.get("en-US", "thanks_reply", 8000)) == 0.0


def test_call_variables_render_at_run_time_and_say_is_async(tmp_path):
    settings = settings_with(tmp_path / "data", tmp_path / "audio", SMALL)
    with PromptLibrary(settings) as lib:
        with pytest.raises(PromptError, match="needs call variables"):
            lib.get("zh-CN", "complaint_promise", 8000)
        with pytest.raises(PromptError, match="hours"):
            lib.prompt("zh-CN", "complaint_promise", 8000, {})
        a = lib.prompt("zh-CN", "complaint_promise", 8000, {"hours": 24})
        b = lib.prompt("zh-CN", "complaint_promise", 8000, {"hours": 2})
        assert speech_share(a, 8000) > 0.3 and not np.array_equal(a, b)
        assert lib.prompt("zh-CN", "complaint_promise", 8000, {"hours": 24}) is a  # cached
        got: list[np.ndarray] = []
        done = threading.Event()
        lib.say("en-US", "You said: the parcel arrived broken.", 16000,
                lambda pcm: (got.append(pcm), done.set()))
        assert done.wait(30)
        assert len(got[0]) > 16000 and speech_share(got[0], 16000) > 0.3
        with pytest.raises(PromptError, match="unknown prompt id"):
            lib.get("zh-CN", "nope", 8000)


def test_renderer_errors_are_clear_and_it_recovers():
    with tts.EspeakRenderer() as renderer:
        with pytest.raises(tts.TtsError, match="unknown espeak-ng voice 'xx/none'"):
            renderer.render("hello", tts.Voice("xx/none"))
        with pytest.raises(tts.TtsError, match="empty text"):
            renderer.render("  ", tts.Voice("gmw/en-us"))
        assert len(renderer.render("hello", tts.Voice("gmw/en-us"))) > 2205


def test_cli_render_twice_and_say(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "ivr.toml"
    config.write_text(f'[paths]\naudio_dir = "{tmp_path / "audio"}"\n')
    # the real catalogues are large: render only en-US through the CLI
    assert cli.main(["--config", str(config), "prompts", "render", "--locale", "en-US"]) == 0
    first = capsys.readouterr()
    catalogue = load_settings(config).prompts["en-US"]
    fixed = sum(1 for p in catalogue.values() if not p.variables & CALL_VARIABLES)
    total = len(catalogue)  # phrases with call variables are rendered in the call
    assert f"rendered {fixed}, cached 0" in first.out and f"{total}/{total}" in first.err
    assert cli.main(["--config", str(config), "prompts", "render", "--locale", "en-US"]) == 0
    assert f"rendered 0, cached {fixed}" in capsys.readouterr().out
    out = tmp_path / "p.wav"
    assert cli.main(["--config", str(config), "prompts", "say", "complaint_promise",
                     "--locale", "en-US", "--rate", "8000", "--var", "hours=24",
                     "--out", str(out)]) == 0
    assert out.stat().st_size > 8000
    assert cli.main(["--config", str(config), "prompts", "say", "nope"]) == 1
    assert "unknown prompt id 'nope'" in capsys.readouterr().err


def test_a_truncated_render_is_not_taken_for_audio(tmp_path):
    """pyttsx3 can hand back a WAV whose data chunk is cut short: it must be redone, not used."""
    import numpy as np

    from ivr.media.tts import _wav_has_audio
    from ivr.media.wavio import write_wav

    good = tmp_path / "good.wav"
    write_wav(good, (np.sin(np.arange(22050) / 5) * 8000).astype(np.int16), 22050)
    assert _wav_has_audio(str(good))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) * 2 // 3])
    assert not _wav_has_audio(str(cut))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(good.read_bytes()[:44])
    assert not _wav_has_audio(str(empty))
