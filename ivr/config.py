"""Typed, validated settings and the standard-phrase catalogue.

Everything an admin may tune (timers, counts, thresholds, phrases, SIP, database) is read from
plain TOML files and checked here, once, at load. A bad file is refused as a whole with one
message per problem naming the file, the key, the value and what is allowed, so a running agent
never meets a half-valid configuration.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "ivr.toml"
DEFAULT_PROMPTS_DIR = REPO_ROOT / "prompts"
DEFAULT_AUDIO_DIR = REPO_ROOT / "audio"
CONFIG_ENV = "IVR_CONFIG"
DATA_DIR_ENV = "IVR_DATA_DIR"
DEFAULT_DATA_DIR = Path("~/.local/share/ivr")

LOCALES = ("zh-CN", "en-US")
Locale = Literal["zh-CN", "en-US"]

# Seed 000 第十六条 3 / seed 001 无声电话: "稍停5秒" between each step of the silent-call ladder.
STANDARD_PAUSE_S = 5.0
# Seed 000 第十六条 4: an answer "after the phone rang three times" earns the queue apology.
QUEUE_APOLOGY_RINGS = 3
# A Chinese ring cadence is 1 s on, 4 s off (YD/T 1258): one ring cycle is 5 s.
RING_CYCLE_S = 5.0
# Seed 001 恶意骚扰: "重复三次后" the final phrase is said.
HARASSMENT_WARNINGS = 3
# Seed 001 杂音: "需重复俩次,每次间隔5秒后再挂机".
NOISY_REPEATS = 2
# One PJSUA_MAX_CALLS of the pjsua2-python 2.15.1 wheel (FACTS.md).
WHEEL_MAX_CALLS = 4
DEFAULT_TTS_RATE_WPM = 170

Seconds = Annotated[float, Field(ge=0.5, le=120.0)]
ShortSeconds = Annotated[float, Field(ge=0.0, le=30.0)]
Count = Annotated[int, Field(ge=0, le=10)]
Dbfs = Annotated[float, Field(ge=-96.0, le=0.0)]
Digit = Annotated[str, Field(pattern=r"^[0-9*#]$")]
Hhmm = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


Intent = Literal["complaint", "inquiry", "suggestion", "person", "thanks", "goodbye", "yes", "no"]


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


class VadSettings(Section):
    aggressiveness_level: Annotated[int, Field(ge=0, le=3)] = 2
    hangover_ms: Annotated[int, Field(ge=0, le=2000)] = 300
    frame_ms: Literal[10, 20, 30] = 20
    noise_margin_db: Annotated[float, Field(ge=0.0, le=30.0)] = 6.0
    preroll_ms: Annotated[int, Field(ge=0, le=1000)] = 300


class LineSettings(Section):
    window_s: Annotated[float, Field(ge=0.2, le=10.0)] = 1.0
    low_volume_below_dbfs: Dbfs = -40.0
    noisy_snr_below_db: Annotated[float, Field(ge=0.0, le=40.0)] = 10.0
    noisy_floor_above_dbfs: Dbfs = -35.0
    silent_below_dbfs: Dbfs = -60.0
    clipping_ratio_above: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01

    @model_validator(mode="after")
    def _levels_ordered(self) -> LineSettings:
        if self.silent_below_dbfs >= self.low_volume_below_dbfs:
            raise ValueError(
                f"silent_below_dbfs ({self.silent_below_dbfs}) must be below "
                f"low_volume_below_dbfs ({self.low_volume_below_dbfs})"
            )
        return self


class AsrSettings(Section):
    model: str = "auto"
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.55
    workers_count: Annotated[int, Field(ge=1, le=16)] = 2


SampleRate = Literal[8000, 16000]
SAMPLE_RATES: tuple[SampleRate, ...] = (8000, 16000)


class TtsSettings(Section):
    engine: Literal["espeak"] = "espeak"
    voices: dict[str, str] = Field(
        default_factory=lambda: {"zh-CN": "sit/cmn", "en-US": "gmw/en-us"}
    )
    # espeak-ng's Mandarin voice counts syllables as words: 170 "wpm" is about 2.6 characters a
    # second, far slower than a person speaks (4-5), so each locale has its own rate.
    rate_wpm: dict[str, Annotated[int, Field(ge=80, le=450)]] = Field(
        default_factory=lambda: {"zh-CN": 260, "en-US": 170}
    )
    volume: Annotated[float, Field(ge=0.1, le=1.0)] = 1.0
    target_level_dbfs: Annotated[float, Field(ge=-40.0, le=-6.0)] = -20.0
    sample_rates_hz: list[SampleRate] = Field(default_factory=lambda: list(SAMPLE_RATES))

    def rate_for(self, locale: str) -> int:
        return self.rate_wpm.get(locale) or DEFAULT_TTS_RATE_WPM


class Holiday(Section):
    date: dt.date
    name: str
    greeting: Literal["festival", "new_year"] = "festival"


class BusinessSettings(Section):
    timezone: str = "Asia/Shanghai"
    opens_at: Hhmm = "09:00"
    closes_at: Hhmm = "18:00"
    working_weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5]
    )
    holidays: list[Holiday] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessSettings:
        if self.opens_at >= self.closes_at:
            raise ValueError(
                f"opens_at ({self.opens_at}) must be before closes_at ({self.closes_at})"
            )
        return self

    def holiday_on(self, day: dt.date) -> Holiday | None:
        return next((h for h in self.holidays if h.date == day), None)


TicketCategory = Literal[
    "complaint", "inquiry", "suggestion", "callback", "harassment", "silent_followup", "complex"
]


class Commitment(Section):
    """A promised reply time: hours (optionally counted in business hours) or working days."""

    reply_within_hours: Annotated[float, Field(gt=0, le=720)] | None = None
    reply_within_working_days: Annotated[int, Field(ge=1, le=30)] | None = None
    count_business_hours_only: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Commitment:
        if (self.reply_within_hours is None) == (self.reply_within_working_days is None):
            raise ValueError("set exactly one of reply_within_hours, reply_within_working_days")
        return self

    @property
    def promised_hours(self) -> int:
        """Hours as told to the caller ("we will reply within N hours")."""
        if self.reply_within_hours is not None:
            return max(1, round(self.reply_within_hours))
        return 24 * int(self.reply_within_working_days or 1)


def _default_commitments() -> dict[TicketCategory, Commitment]:
    # Seed 003 服务响应与处理时效: first reply within the working hour, ordinary issues 24 h,
    # complex issues three working days.
    return {
        "complaint": Commitment(reply_within_hours=24),
        "inquiry": Commitment(reply_within_hours=1, count_business_hours_only=True),
        "suggestion": Commitment(reply_within_hours=24),
        "callback": Commitment(reply_within_hours=24),
        "harassment": Commitment(reply_within_hours=24),
        "silent_followup": Commitment(reply_within_hours=24),
        "complex": Commitment(reply_within_working_days=3),
    }


class TransferSettings(Section):
    queues: dict[str, str] = Field(default_factory=lambda: {"default": "sip:desk@127.0.0.1:5070"})
    default_queue: str = "default"
    angry_turns_count: Annotated[int, Field(ge=1, le=10)] = 2

    @model_validator(mode="after")
    def _default_queue_exists(self) -> TransferSettings:
        if self.default_queue not in self.queues:
            raise ValueError(
                f"default_queue {self.default_queue!r} is not one of the queues "
                f"{sorted(self.queues)}"
            )
        for name, uri in self.queues.items():
            if not re.match(r"^sips?:", uri):
                raise ValueError(f"queue {name!r}: {uri!r} is not a sip: or sips: URI")
        return self


Transport = Literal["udp", "tcp", "tls"]
DEFAULT_TRANSPORTS: tuple[Transport, ...] = ("udp", "tcp")


class SipSettings(Section):
    bind_address: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5060
    transports: list[Transport] = Field(default_factory=lambda: list(DEFAULT_TRANSPORTS))
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    registrar: str | None = None
    user: str = "ivr"
    domain: str = "127.0.0.1"
    password_env: str = "IVR_SIP_PASSWORD"
    register_expiry_s: Annotated[int, Field(ge=60, le=86400)] = 300
    max_calls_count: Annotated[int, Field(ge=1, le=WHEEL_MAX_CALLS)] = WHEEL_MAX_CALLS
    clock_rate_hz: Literal[8000, 16000] = 8000
    codecs: list[str] = Field(default_factory=lambda: ["PCMU/8000", "PCMA/8000", "G722/16000"])
    retry_after_s: Annotated[int, Field(ge=1, le=3600)] = 30
    drain_timeout_s: Annotated[float, Field(ge=0.0, le=600.0)] = 30.0
    user_agent: str = "hotline-ivr"
    tls_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    # PJSIP holds a call slot until an INVITE transaction times out (32 s by default); with 4
    # slots per process that starves real callers, so the agent uses shorter timers.
    ack_timeout_s: Annotated[float, Field(ge=0.5, le=32.0)] = 4.0
    no_media_timeout_s: Annotated[float, Field(ge=0.0, le=300.0)] = 15.0
    transaction_timeout_s: Annotated[float, Field(ge=2.0, le=32.0)] = 8.0
    pjsip_log_level: Annotated[int, Field(ge=0, le=6)] = 1

    @model_validator(mode="after")
    def _tls_needs_files(self) -> SipSettings:
        if "tls" in self.transports and not (self.tls_cert_file and self.tls_key_file):
            raise ValueError("transport 'tls' needs tls_cert_file and tls_key_file")
        return self


class DatabaseSettings(Section):
    url: str = "sqlite:///{data_dir}/tickets.db"
    journal_replay_interval_s: Annotated[float, Field(ge=1.0, le=3600.0)] = 30.0


class PrivacySettings(Section):
    number_key_env: str = "IVR_NUMBER_KEY"
    recording_retention_days: Annotated[int, Field(ge=1, le=3650)] = 180


class PathSettings(Section):
    data_dir: str = ""
    prompts_dir: str = ""
    audio_dir: str = ""


class ScaleSettings(Section):
    """`ivr serve --workers N`: the Kamailio front and the supervisor (deploy/README.md).

    An admin tunes these, not the code: a carrier SBC that brings every call from one address
    must be a trusted source or pike bans it at ~15 calls/s.
    """

    front: Literal["kamailio", "none"] = "kamailio"  # what --workers > 1 uses
    worker_port_offset_count: Annotated[int, Field(ge=0, le=1000)] = 10  # worker k: port+10+k
    probe_interval_s: Annotated[int, Field(ge=1, le=300)] = 2
    worker_timeout_ms: Annotated[int, Field(ge=200, le=32000)] = 2000
    pike_window_s: Annotated[int, Field(ge=1, le=300)] = 2
    pike_requests_count: Annotated[int, Field(ge=2, le=100000)] = 30
    ban_s: Annotated[int, Field(ge=1, le=604800)] = 300
    trusted_sources: list[str] = Field(default_factory=list)
    restart_initial_s: Annotated[float, Field(ge=0.1, le=300.0)] = 1.0
    restart_max_s: Annotated[float, Field(ge=0.1, le=3600.0)] = 30.0
    status_interval_s: Annotated[float, Field(ge=1.0, le=86400.0)] = 300.0

    @field_validator("trusted_sources")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=True)
            except ValueError as exc:
                hint = ""
                try:
                    hint = f"; did you mean {ipaddress.ip_network(entry.strip(), strict=False)}?"
                except ValueError:
                    pass
                raise ValueError(
                    f"trusted source {entry!r} is not an IPv4/IPv6 address or CIDR network "
                    f"({exc}){hint}"
                ) from None
        return value

    @model_validator(mode="after")
    def _restart_delays_ordered(self) -> ScaleSettings:
        if self.restart_initial_s > self.restart_max_s:
            raise ValueError(
                f"restart_initial_s ({self.restart_initial_s}) must not exceed "
                f"restart_max_s ({self.restart_max_s})"
            )
        return self


class Settings(Section):
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    greeting: GreetingSettings = Field(default_factory=GreetingSettings)
    silent_call: SilentCallSettings = Field(default_factory=SilentCallSettings)
    low_volume: LowVolumeSettings = Field(default_factory=LowVolumeSettings)
    noisy_line: NoisyLineSettings = Field(default_factory=NoisyLineSettings)
    unintelligible: UnintelligibleSettings = Field(default_factory=UnintelligibleSettings)
    harassment: HarassmentSettings = Field(default_factory=HarassmentSettings)
    complaint: ComplaintSettings = Field(default_factory=ComplaintSettings)
    dialogue: DialogueSettings = Field(default_factory=DialogueSettings)
    menu: MenuSettings = Field(default_factory=MenuSettings)
    intents: dict[Locale, IntentKeywords] = Field(default_factory=dict)
    vad: VadSettings = Field(default_factory=VadSettings)
    line: LineSettings = Field(default_factory=LineSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    business: BusinessSettings = Field(default_factory=BusinessSettings)
    commitments: dict[TicketCategory, Commitment] = Field(default_factory=_default_commitments)
    transfer: TransferSettings = Field(default_factory=TransferSettings)
    sip: SipSettings = Field(default_factory=SipSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    paths: PathSettings = Field(default_factory=PathSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)

    # Filled by the loader, not by the file: where the settings came from and the catalogues.
    source: str = Field(default="<defaults>", exclude=True)
    prompts: dict[str, dict[str, PromptDef]] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _every_category_promised(self) -> Settings:
        missing = sorted(set(TicketCategory.__args__) - set(self.commitments))  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"commitments: no promised reply time for categories {missing}")
        return self

    # Resolved paths -------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        raw = self.paths.data_dir or os.environ.get(DATA_DIR_ENV) or str(DEFAULT_DATA_DIR)
        return Path(raw).expanduser()

    @property
    def prompts_dir(self) -> Path:
        return self._beside_config(self.paths.prompts_dir, "prompts", DEFAULT_PROMPTS_DIR)

    @property
    def audio_dir(self) -> Path:
        return self._beside_config(self.paths.audio_dir, "audio", DEFAULT_AUDIO_DIR)

    def _beside_config(self, configured: str, folder: str, fallback: Path) -> Path:
        """A configured path (relative to the config file), else `<folder>` beside config/."""
        base = Path(self.source).parent if self.source != "<defaults>" else REPO_ROOT / "config"
        if configured:
            path = Path(configured).expanduser()
            return path if path.is_absolute() else base / path
        sibling = base.parent / folder
        return sibling if sibling.is_dir() else fallback

    @property
    def database_url(self) -> str:
        return self.database.url.replace("{data_dir}", str(self.data_dir))

    def keywords(self, locale: str) -> dict[str, tuple[str, ...]]:
        table = self.intents.get(locale)  # type: ignore[call-overload]
        return table.as_table() if table else IntentKeywords().as_table()

    def company(self, locale: str) -> str:
        return self.service.company_name.get(locale) or next(
            iter(self.service.company_name.values())
        )

    def agent(self, locale: str) -> str:
        return self.service.agent_name.get(locale) or next(iter(self.service.agent_name.values()))


# Prompt catalogue ---------------------------------------------------------------------------

# Variables a phrase may use; the first group is filled from config, the second during a call.
CONFIG_VARIABLES = frozenset({"company", "agent_name", "hotline", "opening_hours"})
CALL_VARIABLES = frozenset({"surname", "title", "hours", "ticket_no", "days", "text"})
KNOWN_VARIABLES = CONFIG_VARIABLES | CALL_VARIABLES

# Every phrase the policy may play (the seeds' catalogue plus the menu around it).
REQUIRED_PROMPT_IDS = frozenset(
    {
        "greeting",
        "greeting_holiday_festival",
        "greeting_holiday_new_year",
        "greeting_surname",
        "queue_wait_apology",
        "menu",
        "silent_reprompt",
        "silent_final_notice",
        "silent_goodbye",
        "low_volume_speak_louder",
        "low_volume_pick_up_handset",
        "low_volume_call_again",
        "noisy_line",
        "dialect_speak_mandarin",
        "dialect_ask_someone_nearby",
        "dialect_final",
        "repeat_please",
        "wrong_number",
        "out_of_scope",
        "named_colleague",
        "named_colleague_insist",
        "personal_info",
        "personal_info_insist",
        "harassment_warning",
        "harassment_final",
        "angry_caller",
        "complaint_apology",
        "complaint_ask_details",
        "complaint_readback_intro",
        "complaint_confirm",
        "complaint_promise",
        "complaint_ticket_number",
        "suggestion_ask",
        "suggestion_thanks",
        "thanks_reply",
        "hold_short",
        "hold_long",
        "hold_thanks",
        "inquiry_ask",
        "callback_promise",
        "transfer_notice",
        "transfer_failed",
        "after_hours",
        "survey",
        "survey_thanks",
        "closing_anything_else",
        "closing_understood",
        "closing_goodbye",
    }
)


class PromptDef(BaseModel):
    """One standard phrase: its text and whether a caller may talk over it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(min_length=1)]
    barge_in: bool = True
    seed: str = ""

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None
        )


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: Locale
    prompts: dict[str, PromptDef]


# Errors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str
    value: Any
    message: str

    def __str__(self) -> str:
        shown = "" if self.value is _MISSING else f" = {self.value!r}"
        return f"{self.file}: {self.key or '<top>'}{shown}: {self.message}"


class ConfigError(ValueError):
    """A configuration or catalogue that cannot be used; lists every problem found."""

    def __init__(self, problems: Iterable[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


_MISSING = object()


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return _MISSING
    return data


def _allowed_range(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """Describe the bounds of the field at `loc`, so an error shows the whole allowed range."""
    current: Any = model
    field = None
    for part in loc:
        if (
            isinstance(current, type)
            and issubclass(current, BaseModel)
            and part in current.model_fields
        ):
            field = current.model_fields[part]
            current = field.annotation
            inner = getattr(current, "__args__", ())
            models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
            if models:
                current = models[-1]
        else:
            continue
    if field is None:
        return ""
    bounds = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{sym} {getattr(meta, attr)}")
    return f" (allowed: {' and '.join(bounds)})" if bounds else ""


def _problems_from(
    exc: ValidationError, file: str, data: Any, model: type[BaseModel]
) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        value = _value_at(data, loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            message = "unknown key (check the spelling; see config/ivr.toml for every key)"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = err["msg"] + _allowed_range(model, loc)
        problems.append(ConfigProblem(file=file, key=key, value=value, message=message))
    return problems


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(path), "", _MISSING, "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(str(path), "", _MISSING, f"not valid TOML: {exc}")]
        ) from None


# Loading -------------------------------------------------------------------------------------


def resolve_config_path(path: str | os.PathLike[str] | None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_prompt_file(path: Path, locale: str) -> tuple[dict[str, PromptDef], list[ConfigProblem]]:
    """Read one catalogue; return the phrases and every problem with them."""
    data = _read_toml(path)
    try:
        parsed = PromptFile.model_validate(data)
    except ValidationError as exc:
        return {}, _problems_from(exc, str(path), data, PromptFile)
    problems = []
    if parsed.locale != locale:
        problems.append(ConfigProblem(str(path), "locale", parsed.locale, f"expected {locale!r}"))
    for missing in sorted(REQUIRED_PROMPT_IDS - set(parsed.prompts)):
        problems.append(
            ConfigProblem(
                str(path), f"prompts.{missing}", _MISSING, "required prompt id is missing"
            )
        )
    for prompt_id, prompt in sorted(parsed.prompts.items()):
        unknown = prompt.variables - KNOWN_VARIABLES
        if unknown:
            problems.append(
                ConfigProblem(
                    str(path),
                    f"prompts.{prompt_id}.text",
                    prompt.text,
                    f"unknown variables {sorted(unknown)} (allowed: {sorted(KNOWN_VARIABLES)})",
                )
            )
    return dict(parsed.prompts), problems


def load_settings(
    path: str | os.PathLike[str] | None = None, *, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Load, validate and return the settings with both prompt catalogues attached.

    Raises ConfigError listing every problem (file, key, value, allowed range).
    """
    config_path = resolve_config_path(path)
    data = _read_toml(config_path)
    if overrides:
        data = _merge(data, overrides)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, str(config_path), data, Settings)) from None
    problems: list[ConfigProblem] = []
    catalogues: dict[str, dict[str, PromptDef]] = {}
    settings = settings.model_copy(update={"source": str(config_path)})
    prompts_dir = settings.prompts_dir
    for locale in LOCALES:
        catalogue, found = load_prompt_file(prompts_dir / f"{locale}.toml", locale)
        catalogues[locale] = catalogue
        problems.extend(found)
    if problems:
        raise ConfigError(problems)
    return settings.model_copy(update={"prompts": catalogues})


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_prompt_catalogue(locale: str, settings: Settings) -> dict[str, PromptDef]:
    return settings.prompts[locale]


def config_variables(settings: Settings, locale: str) -> dict[str, str]:
    """Values of the variables every phrase may use that come from config, not from the call."""
    business = settings.business
    return {
        "company": settings.company(locale),
        "agent_name": settings.agent(locale),
        "hotline": settings.service.hotline_number,
        "opening_hours": f"{business.opens_at}-{business.closes_at}",
    }


def render_text(prompt: PromptDef, variables: Mapping[str, Any]) -> str:
    """Fill a phrase's variables; a missing value is an error naming the variable."""
    missing = prompt.variables - set(variables)
    if missing:
        raise KeyError(f"phrase {prompt.text!r} needs variables {sorted(missing)}")
    return prompt.text.format_map(dict(variables))


Settings.model_rebuild()


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """`section.key=value` pairs (values in TOML syntax, bare words as strings) as overrides."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        parts = [p.strip() for p in key.split(".") if p.strip()]
        if not sep or len(parts) < 2:
            raise ConfigError(
                [ConfigProblem("--set", item, _MISSING, "expected section.key=value")]
            )
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        node = overrides
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return overrides
