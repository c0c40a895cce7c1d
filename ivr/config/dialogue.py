"""Sections for the call-handling rules of the seeds: greeting, ladders, complaints, menu."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ivr.config.base import Digit, Seconds, Section
from ivr.config.constants import (
    BARGE_IN_MIN_SPEECH_S,
    HARASSMENT_WARNINGS,
    NOISY_REPEATS,
    QUEUE_APOLOGY_RINGS,
    RING_CYCLE_S,
    STANDARD_PAUSE_S,
    Locale,
)


class ServiceSettings(Section):
    company_name: dict[str, str] = Field(
        default_factory=lambda: {"zh-CN": "中国商品交易市场", "en-US": "China Commodity Market"}
    )
    agent_name: dict[str, str] = Field(default_factory=lambda: {"zh-CN": "小智", "en-US": "Ivy"})
    hotline_number: str = "400-000-0000"
    default_locale: Locale = "zh-CN"


class GreetingSettings(Section):
    queue_apology_rings_count: Annotated[int, Field(ge=1, le=20)] = QUEUE_APOLOGY_RINGS
    ring_cycle_s: Annotated[float, Field(ge=1.0, le=10.0)] = RING_CYCLE_S
    menu_after_greeting: bool = True

    @property
    def queue_apology_after_s(self) -> float:
        return self.queue_apology_rings_count * self.ring_cycle_s


class SilentCallSettings(Section):
    after_greeting_s: Seconds = STANDARD_PAUSE_S
    after_reprompt_s: Seconds = STANDARD_PAUSE_S
    after_final_notice_s: Seconds = STANDARD_PAUSE_S
    reprompt_count: Annotated[int, Field(ge=1, le=3)] = 1
    # Seed 001 无声电话 ends the ladder with "感谢您的来电,再见!" after the final notice; seed 000's
    # notice already says goodbye, so the extra phrase is off by default.
    goodbye_after_notice: bool = False


class LowVolumeSettings(Section):
    speak_louder_rounds_count: Annotated[int, Field(ge=1, le=3)] = 1
    wait_after_prompt_s: Seconds = STANDARD_PAUSE_S
    hangup_after_final_s: Seconds = STANDARD_PAUSE_S
    first_prompt: Literal["speak_louder", "pick_up_handset", "auto"] = "auto"
    min_low_speech_s: Annotated[float, Field(ge=0.2, le=10.0)] = 1.0


class NoisyLineSettings(Section):
    repeat_count: Annotated[int, Field(ge=1, le=5)] = NOISY_REPEATS
    interval_s: Seconds = STANDARD_PAUSE_S
    hangup_after_final_s: Seconds = STANDARD_PAUSE_S
    min_noisy_s: Annotated[float, Field(ge=0.2, le=10.0)] = 2.0


class UnintelligibleSettings(Section):
    speak_mandarin_rounds_count: Annotated[int, Field(ge=1, le=3)] = 1
    ask_someone_nearby_rounds_count: Annotated[int, Field(ge=0, le=3)] = 1
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.55
    hangup_after_final_s: Seconds = STANDARD_PAUSE_S
    min_speech_s: Annotated[float, Field(ge=0.2, le=10.0)] = 0.8


class HarassmentSettings(Section):
    warning_count: Annotated[int, Field(ge=1, le=10)] = HARASSMENT_WARNINGS
    hangup_after_final_s: Seconds = STANDARD_PAUSE_S
    blacklist_days: Annotated[int, Field(ge=0, le=3650)] = 30
    blacklist_treatment: Literal["reject", "harassment_flow", "none"] = "harassment_flow"
    # Seed 002: the warnings of 001 特殊 6, or the separate treatment: "您已进入来电自动分析系统…
    # 特殊信号音…分析完成,请挂断" (analysis), or a transfer to transfer.queues.harassment (queue).
    treatment: Literal["warnings", "analysis", "queue"] = "warnings"


class ComplaintSettings(Section):
    max_recording_s: Annotated[float, Field(ge=5.0, le=600.0)] = 120.0
    end_of_speech_s: Annotated[float, Field(ge=0.5, le=10.0)] = 2.0
    confirm_timeout_s: Seconds = 8.0
    confirm_attempts_count: Annotated[int, Field(ge=1, le=5)] = 2
    read_back: bool = True
    # Seed 001 特殊沟通内容 8: "内容比较多,麻烦您准备下纸跟笔好吗?" before the reference number.
    pen_and_paper: bool = True
    pen_wait_s: Annotated[float, Field(ge=1.0, le=60.0)] = 10.0
    # Issue 13 defect 6: "请在提示音后讲述…" — a real tone before every recording.
    tone_enabled: bool = True
    tone_hz: Annotated[float, Field(ge=200.0, le=3400.0)] = 1000.0  # inside the G.711 band
    tone_ms: Annotated[int, Field(ge=100, le=2000)] = 400
    tone_level_dbfs: Annotated[float, Field(ge=-40.0, le=-3.0)] = -12.0


class DialogueSettings(Section):
    """Timers of the ordinary conversation around the rules."""

    intent_timeout_s: Seconds = 8.0
    intent_attempts_count: Annotated[int, Field(ge=1, le=5)] = 2
    survey_enabled: bool = True
    survey_timeout_s: Seconds = 6.0
    hold_short_s: Annotated[float, Field(ge=1.0, le=60.0)] = 30.0
    hold_long_max_s: Annotated[float, Field(ge=5.0, le=600.0)] = 120.0
    max_call_s: Annotated[float, Field(ge=30.0, le=7200.0)] = 900.0
    barge_in: bool = True
    # Issue 13 defect 7: speech cuts a phrase only after lasting this long with a clear line.
    barge_in_min_speech_s: Annotated[float, Field(ge=0.05, le=3.0)] = BARGE_IN_MIN_SPEECH_S
    # Seed 001 电话无法听清 6: "稍微提高自己的音量 … 循序渐进的提高,不可一下将音量提的过高".
    louder_step_db: Annotated[float, Field(ge=0.5, le=6.0)] = 3.0
    louder_max_db: Annotated[float, Field(ge=0.0, le=12.0)] = 9.0
    # Seed 001 结束语规范 1: after a callback promise, "请问我刚才的解释您是否清楚?".
    ask_understood: bool = True


class MenuSettings(Section):
    complaint_digit: Digit = "1"
    inquiry_digit: Digit = "2"
    suggestion_digit: Digit = "3"
    person_digit: Digit = "0"
    confirm_digit: Digit = "1"
    rerecord_digit: Digit = "2"
    end_recording_digit: Digit = "#"
    repeat_digit: Digit = "*"

    @model_validator(mode="after")
    def _menu_digits_distinct(self) -> MenuSettings:
        menu = [self.complaint_digit, self.inquiry_digit, self.suggestion_digit, self.person_digit]
        if len(set(menu)) != len(menu):
            raise ValueError(f"menu digits must be distinct, got {menu}")
        return self


class IntentKeywords(Section):
    complaint: list[str] = Field(default_factory=list)
    inquiry: list[str] = Field(default_factory=list)
    suggestion: list[str] = Field(default_factory=list)
    person: list[str] = Field(default_factory=list)
    thanks: list[str] = Field(default_factory=list)
    goodbye: list[str] = Field(default_factory=list)
    yes: list[str] = Field(default_factory=list)
    no: list[str] = Field(default_factory=list)
    abuse: list[str] = Field(default_factory=list)
    # Seed 002 骚扰电话: explicit talk about anything but the company's business; evidence of
    # harassment only after the caller was steered back once (rules/harassment_evidence.py).
    non_business: list[str] = Field(default_factory=list)
    # Seed 001 电话无法听清 6 / 特殊 3 / 特殊 1: "听不清" from the caller, "你叫什么", a private
    # reason for wanting a named colleague.
    cannot_hear: list[str] = Field(default_factory=list)
    nickname: list[str] = Field(default_factory=list)
    private_reason: list[str] = Field(default_factory=list)
    # Seed 001 特殊沟通内容 1, 2, 4, 5: requests the standard has its own phrase for.
    wrong_number: list[str] = Field(default_factory=list)
    named_colleague: list[str] = Field(default_factory=list)
    personal_info: list[str] = Field(default_factory=list)
    out_of_scope: list[str] = Field(default_factory=list)
    # Issue 13: "再说一遍" — the reference number again at the closing question.
    repeat: list[str] = Field(default_factory=list)
    # Seed 001 结束语规范 1: the answer to "was my explanation clear?".
    understood: list[str] = Field(default_factory=list)
    not_understood: list[str] = Field(default_factory=list)
    # Seed 000 第十六条 2 ("我姓王", "我是王先生"): words before a surname, titles after it.
    surname_intro: list[str] = Field(default_factory=list)
    caller_title: list[str] = Field(default_factory=list)

    def as_table(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(words) for name, words in self.model_dump().items()}
