"""Typed, validated settings and the standard-phrase catalogue.

Everything an admin may tune (timers, counts, thresholds, phrases, SIP, database) is read from
plain TOML files and checked here, once, at load. A bad file is refused as a whole with one
message per problem naming the file, the key, the value and what is allowed, so a running agent
never meets a half-valid configuration.

The package is split by job: `constants` (paths, seed numbers), `base` (section base, bounded
types), one module per group of sections (`dialogue`, `media`, `business`, `deployment`),
`settings` (the root), `prompts` (catalogue), `errors` (problem messages) and `loading`. Every
public name is re-exported here, so `from ivr.config import X` is the one way in.
"""

from __future__ import annotations

from ivr.config.base import Count, Dbfs, Digit, Hhmm, Seconds, Section, ShortSeconds
from ivr.config.business import BusinessSettings, Commitment, Holiday, default_commitments
from ivr.config.constants import (
    CONFIG_ENV,
    DATA_DIR_ENV,
    DATABASE_URL_ENV,
    DEFAULT_AUDIO_DIR,
    DEFAULT_CONFIG_PATH,
    DEFAULT_DATA_DIR,
    DEFAULT_PROMPTS_DIR,
    DEFAULT_TTS_RATE_WPM,
    HARASSMENT_WARNINGS,
    LOCALES,
    NOISY_REPEATS,
    QUEUE_APOLOGY_RINGS,
    REPO_ROOT,
    RING_CYCLE_S,
    STANDARD_PAUSE_S,
    WHEEL_MAX_CALLS,
    Locale,
)
from ivr.config.deployment import (
    DEFAULT_TRANSPORTS,
    DatabaseSettings,
    PathSettings,
    PrivacySettings,
    ScaleSettings,
    SipSettings,
    TransferSettings,
    Transport,
)
from ivr.config.dialogue import (
    ComplaintSettings,
    DialogueSettings,
    GreetingSettings,
    HarassmentSettings,
    IntentKeywords,
    LowVolumeSettings,
    MenuSettings,
    NoisyLineSettings,
    ServiceSettings,
    SilentCallSettings,
    UnintelligibleSettings,
)
from ivr.config.errors import ConfigError, ConfigProblem
from ivr.config.loading import (
    cli_overrides,
    load_prompt_catalogue,
    load_prompt_file,
    load_settings,
    parse_assignments,
    resolve_config_path,
    without_secrets,
)
from ivr.config.media import (
    SAMPLE_RATES,
    AsrSettings,
    LineSettings,
    SampleRate,
    TtsSettings,
    VadSettings,
)
from ivr.config.prompts import (
    CALL_VARIABLES,
    CONFIG_VARIABLES,
    KNOWN_VARIABLES,
    PromptDef,
    PromptFile,
    config_variables,
    render_text,
    required_prompt_ids,
)
from ivr.config.settings import Settings
from ivr.vocabulary import CommitmentKey, TicketCategory

__all__ = [
    "CALL_VARIABLES",
    "CONFIG_ENV",
    "CONFIG_VARIABLES",
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "DEFAULT_AUDIO_DIR",
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DATA_DIR",
    "DEFAULT_PROMPTS_DIR",
    "DEFAULT_TRANSPORTS",
    "DEFAULT_TTS_RATE_WPM",
    "HARASSMENT_WARNINGS",
    "KNOWN_VARIABLES",
    "LOCALES",
    "NOISY_REPEATS",
    "QUEUE_APOLOGY_RINGS",
    "REPO_ROOT",
    "RING_CYCLE_S",
    "SAMPLE_RATES",
    "STANDARD_PAUSE_S",
    "WHEEL_MAX_CALLS",
    "AsrSettings",
    "BusinessSettings",
    "Commitment",
    "CommitmentKey",
    "ComplaintSettings",
    "ConfigError",
    "ConfigProblem",
    "Count",
    "DatabaseSettings",
    "Dbfs",
    "DialogueSettings",
    "Digit",
    "GreetingSettings",
    "HarassmentSettings",
    "Hhmm",
    "Holiday",
    "IntentKeywords",
    "LineSettings",
    "Locale",
    "LowVolumeSettings",
    "MenuSettings",
    "NoisyLineSettings",
    "PathSettings",
    "PrivacySettings",
    "PromptDef",
    "PromptFile",
    "SampleRate",
    "ScaleSettings",
    "Seconds",
    "Section",
    "ServiceSettings",
    "Settings",
    "ShortSeconds",
    "SilentCallSettings",
    "SipSettings",
    "TicketCategory",
    "TransferSettings",
    "Transport",
    "TtsSettings",
    "UnintelligibleSettings",
    "VadSettings",
    "cli_overrides",
    "config_variables",
    "default_commitments",
    "load_prompt_catalogue",
    "load_prompt_file",
    "load_settings",
    "parse_assignments",
    "render_text",
    "required_prompt_ids",
    "resolve_config_path",
    "without_secrets",
]
