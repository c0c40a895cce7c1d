"""The admin bench's prompts: heard as a phone caller hears them (real espeak-ng render, 8 kHz,
through G.711), text edits checked by the catalogue loader, recorded overrides checked for
format, length and level, revert; every change kept and audited."""

from __future__ import annotations

import io
import wave

import numpy as np
from consolekit import csrf_of

from ivr.media.wavio import parse_wav


def _wav(samples: np.ndarray, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return buf.getvalue()


def _post(client, path, data, files=None):
    token = csrf_of(client.get(path).text)
    return client.post(path, data={"csrf": token, **data}, files=files)


def test_hear_renders_the_phrase_at_8khz_through_g711(kit):
    from ivr.media import g711

    client = kit.sign_in("ada")
    response = client.get("/admin/prompts/zh-CN/closing_goodbye.wav")
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"
    audio = parse_wav(response.content)
    assert audio.rate_hz == 8000 and 0.5 < audio.duration_s < 10
    # Every sample is a G.711 mu-law level: encoding again changes nothing.
    assert np.array_equal(g711.through_g711(audio.samples, "mulaw"), audio.samples)
    assert np.abs(audio.samples).max() > 1000  # speech, not silence
    # A phrase with call variables is heard with sample values.
    assert client.get("/admin/prompts/zh-CN/greeting_surname.wav").status_code == 200
    assert client.get("/admin/prompts/zh-CN/no_such_prompt.wav").status_code == 404


def test_text_edit_is_checked_applied_kept_and_audited(kit):
    client = kit.sign_in("ada")
    path = "/admin/prompts/zh-CN/closing_goodbye"
    prompts = kit.tmp / "prompts" / "zh-CN.toml"
    before = prompts.read_text()
    bad = _post(client, path, {"op": "text", "text": "再见{nobody}"})
    assert "unknown variables" in bad.text and prompts.read_text() == before
    good = _post(client, path, {"op": "text", "text": "感谢您的来电,祝您愉快,再见!"})
    assert good.status_code == 200 and 'id="saved"' in good.text
    after = prompts.read_text()
    assert 'text = "感谢您的来电,祝您愉快,再见!"' in after
    assert after.replace("感谢您的来电,祝您愉快,再见!", "感谢您的来电,再见!") == before
    assert (kit.tmp / "prompts" / "zh-CN.toml.prev").read_text() == before
    entry = kit.console.store.audit_log()[0]
    assert (entry.action, entry.target, entry.before) == (
        "prompt.text", "zh-CN/closing_goodbye", "感谢您的来电,再见!")


def test_override_upload_is_validated_then_reverted(kit):
    client = kit.sign_in("ada")
    path = "/admin/prompts/zh-CN/closing_goodbye"
    target = kit.tmp / "audio" / "zh-CN" / "closing_goodbye.wav"
    speech = parse_wav(client.get(path + ".wav").content).samples  # real speech, -20 dBFS-ish
    t = np.arange(8000 * 2) / 8000
    cases = {
        "not a WAV": (b"ID3 not audio at all", "not a WAV file"),
        "too short": (_wav(speech[:800]), "s long; allowed"),
        "too quiet": (_wav((speech * 0.01).astype(np.int16)), "allowed -20 ± 10 dBFS"),
        "clipped": (_wav(np.where(np.sin(2 * np.pi * 300 * t) > 0, 32767, -32768)), "clipped"),
    }
    for name, (data, message) in cases.items():
        response = _post(client, path, {"op": "upload"}, files={"file": ("x.wav", data)})
        assert message in response.text, name
        assert not target.exists(), name
    good = _wav(speech)
    response = _post(client, path, {"op": "upload"}, files={"file": ("goodbye.wav", good)})
    assert 'id="saved"' in response.text, response.text[-2000:]
    assert target.read_bytes() == good
    # The bench now plays the recording (not the synthesised voice), still as a caller hears it.
    heard = parse_wav(client.get(path + ".wav").content)
    assert abs(heard.duration_s - len(speech) / 8000) < 0.05
    response = _post(client, path, {"op": "revert"})
    assert not target.exists()
    kept = list((kit.console.settings.data_dir / "prompt-history" / "zh-CN").glob("*.wav"))
    assert [k.read_bytes() for k in kept] == [good]
    actions = [a.action for a in kit.console.store.audit_log()[:2]]
    assert actions == ["prompt.revert", "prompt.override"]


def test_agents_and_managers_cannot_touch_prompts(kit):
    for name in ("ann", "max"):
        client = kit.sign_in(name)
        assert client.get("/admin/prompts/zh-CN/closing_goodbye").status_code == 403
        assert client.get("/admin/prompts/zh-CN/closing_goodbye.wav").status_code == 403
