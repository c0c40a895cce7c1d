"""The rendered prompt library: ready PCM for every standard phrase at every playback rate.

Prompts must start the instant the policy decides, so they are rendered before any call needs
them and kept in memory. How each phrase is voiced, by precedence:

1. an admin's recording ``audio/<locale>/<id>.wav`` (any rate, converted; level kept as
   recorded unless it clips, then it is brought down to the target level with a warning);
2. a synthesised render, cached on disk at
   ``<data_dir>/prompts/<locale>/<rate>/<id>-<hash>.wav`` where the hash covers text, voice,
   rate, volume, engine version and target level, so start-up re-renders only what changed;
3. phrases with call variables ({surname}, {hours}, {ticket_no}, ...) cannot be pre-rendered:
   config variables ({company}, {agent_name}, ...) are filled at start-up, call variables when
   the call supplies them, and each distinct text is rendered on first use and kept in a small
   in-memory LRU (a few tens of ms per phrase; surnames etc. are not written to disk).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ivr.config import (
    CALL_VARIABLES,
    KNOWN_VARIABLES,
    PromptDef,
    Settings,
    config_variables,
    load_prompt_catalogue,
    render_text,
    required_prompt_ids,
)
from ivr.config.prompts import prompt_id_problem
from ivr.media import tts
from ivr.media.fast_resample import resample_fast as resample
from ivr.media.levels import active_speech_level_dbfs
from ivr.media.wavio import WavError, read_wav, write_wav

log = logging.getLogger(__name__)

PROMPTS_SUBDIR = "prompts"
RUNTIME_CACHE_COUNT = 128
MIN_SPEECH_S = 0.1
CLIPPED_RATIO_ABOVE = 0.001

Progress = Callable[[int, int, str], None]  # (done, total, "locale/id")
EMPTY = np.zeros(0, dtype=np.int16)


class PromptError(KeyError):
    """An unknown locale/prompt id, or a phrase that needs call variables it was not given."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "prompt error"


@dataclass
class RenderReport:
    """What a render pass did, per (locale, id)."""

    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)  # need call variables: rendered in-call
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedPrompt:
    """One phrase as the library will voice it."""

    locale: str
    prompt_id: str
    kind: str  # "override" | "tts" | "runtime"
    text: str  # config variables filled; call variables still in braces for "runtime"
    digest: str = ""
    override: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.locale}/{self.prompt_id}"


class PromptLibrary:
    """Ready PCM by (locale, prompt id, rate); implements the session's Synthesizer port."""

    def __init__(self, settings: Settings, *, cache_dir: Path | None = None,
                 audio_dir: Path | None = None,
                 renderer: tts.EspeakRenderer | None = None) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir) if cache_dir else settings.data_dir / PROMPTS_SUBDIR
        self.audio_dir = Path(audio_dir) if audio_dir else settings.audio_dir
        self.rates_hz: tuple[int, ...] = tuple(sorted(set(settings.tts.sample_rates_hz)))
        self.locales = tuple(settings.prompts)
        self._renderer = renderer or tts.EspeakRenderer()
        self._own_renderer = renderer is None
        self._say_renderer: tts.EspeakRenderer | None = None
        self._say_pool: ThreadPoolExecutor | None = None
        self._engine_version = tts.engine_version()
        self._pcm: dict[tuple[str, str, int], np.ndarray] = {}
        self._runtime: OrderedDict[tuple[str, str, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # ---- planning ------------------------------------------------------------------------

    def voice(self, locale: str) -> tts.Voice:
        voice_id = self.settings.tts.voices.get(locale)
        if not voice_id:
            raise PromptError(f"tts.voices has no voice for locale {locale!r} "
                              f"(configured: {sorted(self.settings.tts.voices)})")
        return tts.Voice(voice_id, self.settings.tts.rate_for(locale), self.settings.tts.volume)

    def catalogue(self, locale: str) -> dict[str, PromptDef]:
        if locale not in self.settings.prompts:
            raise PromptError(f"unknown locale {locale!r}; known: {sorted(self.settings.prompts)}")
        return load_prompt_catalogue(locale, self.settings)

    def override_path(self, locale: str, prompt_id: str) -> Path | None:
        path = _inside(self.audio_dir, locale, f"{_checked_id(prompt_id)}.wav")
        return path if path.is_file() else None

    def digest(self, locale: str, text: str) -> str:
        """Cache key of one synthesised phrase."""
        voice = self.voice(locale)
        key = json.dumps([text, voice.voice_id, voice.rate_wpm, voice.volume,
                          self._engine_version, self.settings.tts.target_level_dbfs],
                         ensure_ascii=False)
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def plan(self, locales: Iterable[str] | None = None) -> list[PlannedPrompt]:
        """Every phrase of the given locales (default all) and how it will be voiced."""
        planned: list[PlannedPrompt] = []
        for locale in locales or self.locales:
            fixed = config_variables(self.settings, locale)
            for prompt_id, prompt in sorted(self.catalogue(locale).items()):
                override = self.override_path(locale, prompt_id)
                call_vars = prompt.variables & CALL_VARIABLES
                keep = {name: "{" + name + "}" for name in call_vars}
                text = prompt.text.format_map({**fixed, **keep}) if not (
                    prompt.variables - KNOWN_VARIABLES) else prompt.text
                if override is not None:
                    planned.append(PlannedPrompt(locale, prompt_id, "override", text,
                                                 override=override))
                elif call_vars:
                    planned.append(PlannedPrompt(locale, prompt_id, "runtime", text))
                else:
                    planned.append(PlannedPrompt(locale, prompt_id, "tts", text,
                                                 self.digest(locale, text)))
        return planned

    def cache_path(self, item: PlannedPrompt, rate_hz: int) -> Path:
        name = f"{_checked_id(item.prompt_id)}-{item.digest}.wav"
        return _inside(self.cache_dir, item.locale, str(rate_hz), name)

    def is_cached(self, item: PlannedPrompt) -> bool:
        return all(self.cache_path(item, rate).is_file() for rate in self.rates_hz)

    # ---- rendering ---------------------------------------------------------------------------

    def render_all(self, locales: Iterable[str] | None = None, *,
                   progress: Progress | None = None, load: bool = True) -> RenderReport:
        """Render what changed (or is missing) and, with ``load``, keep all PCM in memory."""
        report = RenderReport()
        planned = self.plan(locales)
        for done, item in enumerate(planned, start=1):
            try:
                if item.kind == "override":
                    report.overridden.append(item.key)
                    if load:
                        self._store(item, self._load_override(item))
                elif item.kind == "runtime":
                    report.runtime.append(item.key)
                elif self.is_cached(item):
                    report.cached.append(item.key)
                    if load:
                        self._store(item, self._load_cached(item))
                else:
                    pcm = self._render_to_cache(item)
                    report.rendered.append(item.key)
                    if load:
                        self._store(item, pcm)
            except (tts.TtsError, WavError, OSError) as exc:
                report.failed[item.key] = str(exc)
                log.error("prompt %s: %s", item.key, exc)
            if progress is not None:
                progress(done, len(planned), item.key)
        return report

    def _store(self, item: PlannedPrompt, pcm: dict[int, np.ndarray]) -> None:
        with self._lock:
            for rate, samples in pcm.items():
                self._pcm[(item.locale, item.prompt_id, rate)] = samples

    def _synthesise(self, locale: str, text: str,
                    renderer: tts.EspeakRenderer | None = None) -> dict[int, np.ndarray]:
        raw = (renderer or self._renderer).render(text, self.voice(locale))
        return tts.finish(raw, tts.RENDER_RATE_HZ, self.rates_hz,
                          self.settings.tts.target_level_dbfs)

    def _render_to_cache(self, item: PlannedPrompt) -> dict[int, np.ndarray]:
        pcm = self._synthesise(item.locale, item.text)
        for rate, samples in pcm.items():
            path = self.cache_path(item, rate)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            write_wav(tmp, samples, rate)
            os.replace(tmp, path)  # atomic: a crash never leaves a half file under the real name
            for stale in path.parent.glob(f"{item.prompt_id}-*.wav"):
                if stale != path:
                    stale.unlink(missing_ok=True)
        return pcm

    def _load_cached(self, item: PlannedPrompt) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        for rate in self.rates_hz:
            audio = read_wav(self.cache_path(item, rate))
            out[rate] = audio.samples
        return out

    def _load_override(self, item: PlannedPrompt) -> dict[int, np.ndarray]:
        assert item.override is not None
        audio = read_wav(item.override)
        samples = audio.samples
        if tts.clipped_ratio(samples) > CLIPPED_RATIO_ABOVE:
            log.warning("override %s clips; brought down to %.0f dBFS", item.override,
                        self.settings.tts.target_level_dbfs)
            samples = tts.normalise_level(samples, audio.rate_hz,
                                          self.settings.tts.target_level_dbfs)
        return {rate: samples if rate == audio.rate_hz
                else resample(samples, audio.rate_hz, rate) for rate in self.rates_hz}

    # ---- lookup: what the call's player uses ------------------------------------------------

    def get(self, locale: str, prompt_id: str, rate_hz: int) -> np.ndarray:
        """Ready int16 PCM of a phrase without call variables (in memory after warm-up)."""
        _checked_id(prompt_id)
        if rate_hz not in self.rates_hz:
            raise PromptError(f"rate {rate_hz} Hz not rendered; tts.sample_rates_hz is "
                              f"{list(self.rates_hz)}")
        with self._lock:
            pcm = self._pcm.get((locale, prompt_id, rate_hz))
        if pcm is not None:
            return pcm
        item = self._plan_one(locale, prompt_id)
        if item.kind == "runtime":
            needed = sorted(self.catalogue(locale)[prompt_id].variables & CALL_VARIABLES)
            raise PromptError(f"{item.key} needs call variables {needed}; "
                              f"use prompt(..., variables)")
        log.warning("prompt %s was not warmed up; loading it now", item.key)
        if item.kind == "override":
            self._store(item, self._load_override(item))
        elif self.is_cached(item):
            self._store(item, self._load_cached(item))
        else:
            self._store(item, self._render_to_cache(item))
        with self._lock:
            return self._pcm[(locale, prompt_id, rate_hz)]

    def _plan_one(self, locale: str, prompt_id: str) -> PlannedPrompt:
        if prompt_id not in self.catalogue(locale):
            raise PromptError(f"unknown prompt id {prompt_id!r} in locale {locale}")
        return next(p for p in self.plan([locale]) if p.prompt_id == prompt_id)

    def prompt(self, locale: str, prompt_id: str, rate_hz: int,
               variables: Mapping[str, Any] | None = None) -> np.ndarray:
        """A phrase with its call variables filled (Synthesizer port); cached per distinct text."""
        _checked_id(prompt_id)
        catalogue = self.catalogue(locale)
        if prompt_id not in catalogue:
            raise PromptError(f"unknown prompt id {prompt_id!r} in locale {locale}")
        definition = catalogue[prompt_id]
        if not (definition.variables & CALL_VARIABLES) or self.override_path(locale, prompt_id):
            return self.get(locale, prompt_id, rate_hz)
        try:
            text = render_text(definition, {**config_variables(self.settings, locale),
                                            **{k: str(v) for k, v in (variables or {}).items()}})
        except KeyError as exc:
            raise PromptError(f"{locale}/{prompt_id}: {exc.args[0]}") from None
        return self._runtime_pcm(locale, text, rate_hz, self._renderer)

    def _runtime_pcm(self, locale: str, text: str, rate_hz: int,
                     renderer: tts.EspeakRenderer) -> np.ndarray:
        if rate_hz not in self.rates_hz:
            raise PromptError(f"rate {rate_hz} Hz not rendered; tts.sample_rates_hz is "
                              f"{list(self.rates_hz)}")
        key = (locale, text, rate_hz)
        with self._lock:
            if key in self._runtime:
                self._runtime.move_to_end(key)
                return self._runtime[key]
        pcm = self._synthesise(locale, text, renderer)
        with self._lock:
            for rate, samples in pcm.items():
                self._runtime[(locale, text, rate)] = samples
            while len(self._runtime) > RUNTIME_CACHE_COUNT:
                self._runtime.popitem(last=False)
        return pcm[rate_hz]

    def say_now(self, locale: str, text: str, rate_hz: int) -> np.ndarray:
        """Synthesise runtime text synchronously on the runtime renderer (bench, CLI)."""
        return self._runtime_pcm(locale, text, rate_hz, self._say_engine())

    def say(self, locale: str, text: str, rate_hz: int,
            done: Callable[[np.ndarray], None]) -> None:
        """Render runtime text (read-back) in a worker; ``done(pcm)`` gets empty PCM on failure."""
        if self._say_pool is None:
            self._say_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts-say")

        def job() -> None:
            try:
                pcm = self.say_now(locale, text, rate_hz)
            except (tts.TtsError, PromptError) as exc:
                log.error("runtime say failed (%d chars): %s", len(text), exc)
                pcm = EMPTY
            except Exception:
                log.exception("runtime say failed unexpectedly")
                pcm = EMPTY
            try:
                done(pcm)
            except Exception:
                log.exception("runtime say: done callback raised")

        self._say_pool.submit(job)

    def _say_engine(self) -> tts.EspeakRenderer:
        # A renderer of its own, so a read-back never waits behind a start-up render pass.
        with self._lock:
            if self._say_renderer is None:
                self._say_renderer = tts.EspeakRenderer()
            return self._say_renderer

    # ---- checks -----------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems an admin should fix: missing ids, unknown variables, bad or empty audio."""
        problems: list[str] = []
        prompts_dir = self.settings.prompts_dir
        all_ids = set().union(*(set(self.catalogue(loc)) for loc in self.locales))
        required = required_prompt_ids()
        for locale in self.locales:
            file = prompts_dir / f"{locale}.toml"
            catalogue = self.catalogue(locale)
            for missing in sorted(required - set(catalogue)):
                problems.append(f"{file}: prompts.{missing}: required prompt id is missing")
            for missing in sorted(all_ids - set(catalogue) - required):
                problems.append(f"{file}: prompts.{missing}: defined in another locale "
                                f"but missing here")
            for prompt_id, definition in sorted(catalogue.items()):
                unknown = definition.variables - KNOWN_VARIABLES
                if unknown:
                    problems.append(f"{file}: prompts.{prompt_id}.text: unknown variables "
                                    f"{sorted(unknown)} (allowed: {sorted(KNOWN_VARIABLES)})")
            if locale not in self.settings.tts.voices:
                problems.append(f"{self.settings.source}: tts.voices: no voice for {locale}")
            problems += self._check_overrides(locale, set(catalogue))
        for item in self.plan():
            if item.kind != "tts":
                continue
            if not self.is_cached(item):
                problems.append(f"{item.key}: not rendered yet (run `ivr prompts render`)")
                continue
            for rate, samples in self._load_cached(item).items():
                problems += _audio_problems(f"{item.key} @ {rate} Hz "
                                            f"({self.cache_path(item, rate)})", samples, rate)
        return problems

    def _check_overrides(self, locale: str, ids: set[str]) -> list[str]:
        problems: list[str] = []
        folder = self.audio_dir / locale
        if not folder.is_dir():
            return problems
        for path in sorted(folder.glob("*.wav")):
            if path.stem not in ids:
                problems.append(f"{path}: no prompt id {path.stem!r} in {locale}; this "
                                f"recording is never played")
                continue
            try:
                audio = read_wav(path)
            except WavError as exc:
                problems.append(f"{exc} (override of {locale}/{path.stem})")
                continue
            problems += _audio_problems(str(path), audio.samples, audio.rate_hz)
        return problems

    # ---- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the render helpers and the say worker."""
        if self._say_pool is not None:
            self._say_pool.shutdown(wait=True)
        if self._say_renderer is not None:
            self._say_renderer.close()
        if self._own_renderer:
            self._renderer.close()

    def __enter__(self) -> PromptLibrary:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _checked_id(prompt_id: str) -> str:
    """The id, or PromptError: an id becomes a file name, so `../x` must never get that far."""
    problem = prompt_id_problem(prompt_id)
    if problem is not None:
        raise PromptError(problem)
    return prompt_id


def _inside(root: Path, *parts: str) -> Path:
    """root/parts..., refused (PromptError) unless it stays inside root: a second guard behind
    the id check, for locales and anything else that ends up in a path."""
    path = root.joinpath(*parts)
    base = os.path.abspath(root)
    if os.path.commonpath([base, os.path.abspath(path)]) != base or any(
        p in ("", ".", "..") or "/" in p or "\x00" in p for p in parts
    ):
        raise PromptError(f"prompt path {'/'.join(parts)!r} would leave {root}")
    return path


def _audio_problems(where: str, samples: np.ndarray, rate_hz: int) -> list[str]:
    problems = []
    if len(samples) < MIN_SPEECH_S * rate_hz or active_speech_level_dbfs(samples, rate_hz) is None:
        problems.append(f"{where}: empty audio (no speech found)")
    ratio = tts.clipped_ratio(samples)
    if ratio > CLIPPED_RATIO_ABOVE:
        problems.append(f"{where}: clipped ({ratio:.2%} of samples at full scale)")
    return problems
