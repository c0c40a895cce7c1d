"""Sections for the call-handling rules of the seeds: greeting, ladders, complaints, menu."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ivr.config.base import Digit, Seconds, Section
from ivr.config.constants import (
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


class ComplaintSettings(Section):
    max_recording_s: Annotated[float, Field(ge=5.0, le=600.0)] = 120.0
    end_of_speech_s: Annotated[float, Field(ge=0.5, le=10.0)] = 2.0
    confirm_timeout_s: Seconds = 8.0
    confirm_attempts_count: Annotated[int, Field(ge=1, le=5)] = 2
    read_back: bool = True


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
    # Seed 001 特殊沟通内容 1, 2, 4, 5: requests the standard has its own phrase for.
    wrong_number: list[str] = Field(default_factory=list)
    named_colleague: list[str] = Field(default_factory=list)
    personal_info: list[str] = Field(default_factory=list)
    out_of_scope: list[str] = Field(default_factory=list)
    # Seed 001 结束语规范 1: the answer to "was my explanation clear?".
    understood: list[str] = Field(default_factory=list)
    not_understood: list[str] = Field(default_factory=list)
    # Seed 000 第十六条 2 ("我姓王", "我是王先生"): words before a surname, titles after it.
    surname_intro: list[str] = Field(default_factory=list)
    caller_title: list[str] = Field(default_factory=list)

    def as_table(self) -> dict[str, tuple[str, ...]]:
        return {name: tuple(words) for name, words in self.model_dump().items()}
