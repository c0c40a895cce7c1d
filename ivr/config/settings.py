"""The root of the settings: every section, plus paths resolved beside the config file."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator

from ivr.config.base import Section
from ivr.config.business import BusinessSettings, Commitment, default_commitments
from ivr.config.constants import (
    DATA_DIR_ENV,
    DEFAULT_AUDIO_DIR,
    DEFAULT_DATA_DIR,
    DEFAULT_PROMPTS_DIR,
    REPO_ROOT,
    Locale,
)
from ivr.config.contact import ContactNumberSettings
from ivr.config.deployment import (
    DatabaseSettings,
    PathSettings,
    PrivacySettings,
    ScaleSettings,
    SipSettings,
    TransferSettings,
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
from ivr.config.media import AsrSettings, LineSettings, TtsSettings, VadSettings
from ivr.config.prompts import PromptDef
from ivr.config.standard import AdviceEntry, ComplaintClasses
from ivr.vocabulary import COMMITMENT_KEYS, CommitmentKey


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
    contact_number: ContactNumberSettings = Field(default_factory=ContactNumberSettings)
    intents: dict[Locale, IntentKeywords] = Field(default_factory=dict)
    advice: dict[Locale, list[AdviceEntry]] = Field(default_factory=dict)  # issue 13
    complaint_classes: dict[Locale, ComplaintClasses] = Field(default_factory=dict)  # issue 13
    vad: VadSettings = Field(default_factory=VadSettings)
    line: LineSettings = Field(default_factory=LineSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    tts: TtsSettings = Field(default_factory=TtsSettings)
    business: BusinessSettings = Field(default_factory=BusinessSettings)
    commitments: dict[CommitmentKey, Commitment] = Field(default_factory=default_commitments)
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
    def _one_trusted_list(self) -> Settings:
        """``scale.trusted_sources`` is folded into ``sip.trusted_sources``: the front and the
        workers must trust the same sources (one list, read by both layers)."""
        if self.scale.trusted_sources:
            merged = list(dict.fromkeys([*self.sip.trusted_sources, *self.scale.trusted_sources]))
            # Sections are frozen once loaded; this is still the loader's validation step.
            object.__setattr__(self, "sip", self.sip.model_copy(update={"trusted_sources": merged}))
        return self

    @model_validator(mode="after")
    def _every_category_promised(self) -> Settings:
        missing = sorted(set(COMMITMENT_KEYS) - set(self.commitments))
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
        """A configured path (relative to the config file); else `<folder>` next to the file
        (/etc/ivr/ivr.toml -> /etc/ivr/prompts) or beside its folder (config/ivr.toml ->
        prompts/); else the installed defaults."""
        base = Path(self.source).parent if self.source != "<defaults>" else REPO_ROOT / "config"
        if configured:
            path = Path(configured).expanduser()
            return path if path.is_absolute() else base / path
        for candidate in (base / folder, base.parent / folder):
            if candidate.is_dir():
                return candidate
        return fallback

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
