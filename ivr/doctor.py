"""`ivr doctor`: is this machine ready to answer calls? One line per check, with the fix.

Each check is a small function returning CheckResult(s); none of them changes anything (no
database file is created, the Kamailio check renders into a temporary directory). The keyword
check loads the speech model once (seconds) to read its lexicon. Optional parts (tickets,
media models) are imported lazily and reported as
"not available" when this build lacks them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["OK", "WARN", "FAIL"]
COMMAND_TIMEOUT_S = 20.0
# The pjsua2-python 2.15.1 wheel is compiled with PJSUA_MAX_CALLS = 4 (FACTS.md); the library
# does not expose the constant, so the known wheel versions are listed here.
WHEEL_CALL_CAPS = {"2.15.1": 4}
DEFAULT_CALL_CAP = 4
DOCTOR_KEYWORDS_SHOWN = 4  # per intent on the doctor's line; `ivr models check` lists them all


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f" -> {self.fix}" if self.fix and self.status != "OK" else ""
        return f"{self.status:<4} {self.name}: {self.detail}{fix}"


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                          check=False)


# pjsua2 -------------------------------------------------------------------------------------
def check_pjsua2(settings: Any) -> CheckResult:
    from ivr.sip.library import pjsip_version

    try:
        version = pjsip_version()
    except ImportError as exc:
        return CheckResult("pjsua2", "FAIL", f"cannot import pjsua2 ({exc})",
                           "pip install pjsua2-python==2.15.1.post1 (cp310-cp312 wheels)")
    except Exception as exc:  # any SWIG error: report, do not crash the doctor
        return CheckResult("pjsua2", "FAIL", f"pjsua2 imports but does not start: {exc}",
                           "reinstall pjsua2-python")
    cap = WHEEL_CALL_CAPS.get(version, DEFAULT_CALL_CAP)
    wanted = int(getattr(getattr(settings, "sip", None), "max_calls_count", cap))
    detail = (f"PJSIP {version}; at most {cap} calls per process "
              f"(sip.max_calls_count = {wanted})")
    if wanted > cap:
        return CheckResult("pjsua2", "FAIL", detail,
                           f"set sip.max_calls_count <= {cap}; for more lines run "
                           "`ivr serve --workers N` behind Kamailio")
    return CheckResult("pjsua2", "OK", detail + "; more lines: ivr serve --workers N")


# espeak-ng ----------------------------------------------------------------------------------
def parse_espeak_voices(text: str) -> set[str]:
    """Every name a voice can be selected by: language, file (``sit/cmn``) and voice name."""
    names: set[str] = set()
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 5:
            names.update(p.lower() for p in (parts[1], parts[3], parts[4]))
    return names


def check_voices(settings: Any, runner: Runner = run_command) -> list[CheckResult]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return [CheckResult("espeak-ng", "FAIL", "espeak-ng not found",
                            "apt-get install espeak-ng")]
    try:
        proc = runner([exe, "--voices"])
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [CheckResult("espeak-ng", "FAIL", f"`espeak-ng --voices` failed: {exc}",
                            "reinstall espeak-ng")]
    available = parse_espeak_voices(proc.stdout)
    tts = getattr(settings, "tts", None)
    voices: dict[str, str] = dict(getattr(tts, "voices", {}) or {})
    locales = sorted(set(getattr(settings, "prompts", {}) or {}) | set(voices))
    results = []
    for locale in locales:
        voice = voices.get(locale)
        name = f"voice {locale}"
        if not voice:
            results.append(CheckResult(name, "FAIL", "no voice configured",
                                       f'add {locale} = "..." to tts.voices '
                                       "(see `espeak-ng --voices`)"))
        elif voice.lower() in available:
            results.append(CheckResult(name, "OK", f"espeak-ng voice {voice}"))
        else:
            results.append(CheckResult(name, "FAIL", f"espeak-ng has no voice {voice!r}",
                                       "pick one listed by `espeak-ng --voices` for "
                                       f"tts.voices.{locale}"))
    return results


# vosk ---------------------------------------------------------------------------------------
def check_vosk_model(settings: Any) -> CheckResult:
    if importlib.util.find_spec("vosk") is None:
        return CheckResult("vosk", "FAIL", "the vosk package is not installed",
                           "pip install vosk (or run ivr serve --no-asr: DTMF menu only)")
    try:
        models = importlib.import_module("ivr.media.models")
    except ImportError:
        return CheckResult("vosk model", "WARN", "model discovery not available in this build")
    setting = str(getattr(getattr(settings, "asr", None), "model", "auto"))
    locale = settings.service.default_locale
    path = models.model_for_locale(setting, getattr(settings, "data_dir", None), locale)
    if path is None:
        # Without a model the agent still runs: the DTMF menu alone carries every flow.
        return CheckResult("vosk model", "WARN", f"no {locale} model for asr.model = "
                           f"{setting!r}: callers get the DTMF menu only",
                           f"ivr models install {models.PRODUCTION_ZH_CN_MODEL} "
                           "(or --from a zip you brought)")
    return CheckResult("vosk model", "OK", f"{path} (asr.model = {setting!r}); about "
                       "250 MB of memory per worker process for the ko model")


@dataclass(frozen=True)
class LexiconCheck:
    """One locale's keywords checked against the model that will hear its callers."""

    locale: str
    model: Path
    report: Any  # ivr.media.lexicon.KeywordReport

    @property
    def model_name(self) -> str:
        """vosk-model-small-cn-0.22; a packaged model's directory is '<package>/model'."""
        return self.model.parent.name if self.model.name == "model" else self.model.name


def keyword_checks(settings: Any) -> list[LexiconCheck]:
    """Check every locale's keywords and digit words against its model (loads each model once).

    Locales without a model are left out (``check_vosk_model`` reports a missing one).
    """
    from ivr.media import asr, models
    from ivr.policy.listening import phrases_by_intent

    setting = str(getattr(getattr(settings, "asr", None), "model", "auto"))
    loaded: dict[Path, Any] = {}
    out = []
    for locale in sorted(getattr(settings, "prompts", {}) or {}):
        path = models.model_for_locale(setting, getattr(settings, "data_dir", None), locale)
        if path is None:
            continue
        if path not in loaded:
            loaded[path] = asr.model_lexicon(asr.load_model(path))
        report = loaded[path].check_keywords(phrases_by_intent(settings, locale))
        out.append(LexiconCheck(locale, path, report))
    return out


def check_keywords_heard(settings: Any) -> list[CheckResult]:
    """Can the installed model hear every keyword? (issue 17: vosk drops unknown grammar words)."""
    if importlib.util.find_spec("vosk") is None:
        return []
    results = []
    for check in keyword_checks(settings):
        name = f"keywords {check.locale}"
        report = check.report
        if report.ok:
            results.append(CheckResult(name, "OK", f"all {report.checked_count} keywords and "
                                       f"digit words are in the lexicon of {check.model_name}"))
            continue
        lost = sum(len(v) for v in report.unhearable.values())
        results.append(CheckResult(
            name, "WARN",
            f"{check.model_name} cannot hear {lost} of {report.checked_count}: "
            + "; ".join(report.lines(limit=DOCTOR_KEYWORDS_SHOWN))
            + ". Steps listening for them use full-vocabulary recognition with keyword matching",
            f'replace them in [intents."{check.locale}"] with words the model knows '
            "(ivr models check lists them), or install a model that has them"))
    return results


# tickets database ---------------------------------------------------------------------------
def check_database(settings: Any) -> CheckResult:
    try:
        db = importlib.import_module("ivr.tickets.db")
    except ImportError as exc:
        return CheckResult("database", "WARN", f"ticket store not available in this build "
                           f"({exc.name})")
    url = str(getattr(settings, "database_url", "") or "")
    if not url:
        return CheckResult("database", "FAIL", "database.url is empty",
                           "set database.url in config/ivr.toml")
    try:
        db.check_url(url)
    except db.DatabaseUrlError as exc:
        file = db.sqlite_file(url)
        data_dir = Path(str(getattr(settings, "data_dir", ""))).resolve()
        if file is None or file.parent.resolve() != data_dir:  # the data dir is made at start
            return CheckResult("database", "FAIL", str(exc), "fix database.url")
    shown = db.redacted_url(url)
    try:
        if db.missing_sqlite_file(url) is not None:
            return CheckResult("database", "WARN", f"{shown} does not exist yet",
                               "it is created and migrated when the agent first starts "
                               "(or run `ivr db upgrade`)")
        engine = db.make_engine(url)
        try:
            current = db.current_revision(engine)
        finally:
            engine.dispose()
        head = db.head_revision()
    except Exception as exc:  # driver errors vary (sqlite3, psycopg, sqlalchemy): report all
        brief = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        return CheckResult("database", "FAIL", f"{shown} unreachable: {brief}",
                           "check database.url, that the server runs and the password env")
    if current != head:
        return CheckResult("database", "FAIL",
                           f"{shown} at schema {current or 'empty'}, newest is {head}",
                           "run `ivr db upgrade`")
    return CheckResult("database", "OK", f"{shown} reachable, schema {current} (newest)")


# caller-number key -------------------------------------------------------------------------
def check_number_key(settings: Any) -> CheckResult:
    """The key that encrypts caller numbers at rest; required in production (IVR_ENV)."""
    try:
        privacy = importlib.import_module("ivr.tickets.privacy")
    except ImportError as exc:
        return CheckResult("caller-number key", "WARN", f"ticket store not available in this "
                           f"build ({exc.name})")
    env_name = str(getattr(getattr(settings, "privacy", None), "number_key_env", "")
                   or privacy.DEFAULT_NUMBER_KEY_ENV)
    secret = os.environ.get(env_name) or ""
    mode = (f"{privacy.PRODUCTION_ENV}={privacy.PRODUCTION_VALUE}" if privacy.production_mode()
            else f"not production ({privacy.PRODUCTION_ENV} != {privacy.PRODUCTION_VALUE})")
    fix = (f"export {env_name}=<a secret of {privacy.MIN_SECRET_LENGTH}+ characters, kept "
           "outside the data directory>")
    if secret and len(secret) < privacy.MIN_SECRET_LENGTH:
        return CheckResult("caller-number key", "FAIL", f"{env_name} is {len(secret)} "
                           f"characters, needs {privacy.MIN_SECRET_LENGTH}+", fix)
    if secret:
        return CheckResult("caller-number key", "OK", f"{env_name} set: caller numbers are "
                           f"encrypted at rest; {mode}")
    detail = (f"{env_name} not set ({mode}): only masked numbers are stored, blacklist and "
              "repeat-caller look-ups are off")
    if privacy.production_mode():
        return CheckResult("caller-number key", "FAIL", detail, fix)
    return CheckResult("caller-number key", "WARN", detail, fix)


# Kamailio and sipp --------------------------------------------------------------------------
def check_kamailio(settings: Any) -> CheckResult:
    from ivr.scale import kamailio

    exe = kamailio.kamailio_binary()
    if exe is None:
        return CheckResult("kamailio", "WARN", "not installed (needed only for "
                           "ivr serve --workers N > 1)", "apt-get install kamailio")
    from ivr.serve_plan import front_params_for

    params = front_params_for(settings)  # the [sip] and [scale] settings ivr serve will use
    port = params.sip_port
    try:
        with tempfile.TemporaryDirectory(prefix="ivr-doctor-") as tmp:
            files = kamailio.write_front_files(Path(tmp), params)
            ok, output = kamailio.check_config(files.config, exe)
    except kamailio.FrontError as exc:
        return CheckResult("kamailio", "FAIL", str(exc), "fix the [sip] settings or template")
    if not ok:
        last = [ln for ln in output.splitlines() if "ERROR" in ln][-1:] or output.splitlines()[-1:]
        return CheckResult("kamailio", "FAIL", f"front config rejected by `kamailio -c`: "
                           f"{' '.join(last)[:300]}", "see deploy/kamailio/kamailio.cfg.tmpl")
    return CheckResult("kamailio", "OK", f"{exe}; front config for {params.listen_address}:"
                       f"{port} passes `kamailio -c`")


def check_front(settings: Any) -> CheckResult:
    """The front and supervisor settings `ivr serve --workers N > 1` will use, on one line."""
    from ivr.serve_plan import describe_scale

    return CheckResult("front", "OK", describe_scale(settings))


def check_sipp(runner: Runner = run_command) -> CheckResult:
    exe = shutil.which("sipp")
    if exe is None:
        return CheckResult("sipp", "WARN", "not installed (used by the tests and bench only)",
                           "apt-get install sip-tester")
    try:
        proc = runner([exe, "-v"])
        version = next((ln.strip() for ln in (proc.stdout + proc.stderr).splitlines()
                        if "SIPp v" in ln), "version unknown")
    except (OSError, subprocess.TimeoutExpired):
        version = "version unknown"
    return CheckResult("sipp", "OK", f"{exe} ({version.split(',')[0][:60]})")


# business calendar --------------------------------------------------------------------------
def check_calendar(settings: Any, today: Any = None) -> CheckResult:
    """Does the official calendar know this year and the coming one (issue 13)? A year it does
    not know counts weekends only: promises could fall on 春节 or 国庆."""
    import datetime as dt

    from ivr.tickets.sla import official_coverage

    business = settings.business
    if business.official_calendar == "none":
        return CheckResult("calendar", "OK", "official calendar off (business.official_calendar"
                           " = none): working_weekdays and business.holidays only")
    today = today or dt.date.today()
    years = (today.year, today.year + 1)
    missing = [y for y in years if not official_coverage(y)]
    if missing:
        listed = sum(1 for h in business.holidays if h.date.year in missing)
        return CheckResult(
            "calendar", "WARN",
            f"chinesecalendar does not know the holidays of {', '.join(map(str, missing))}: "
            f"promises there count weekends, the fixed-date statutory holidays (元旦, 劳动节 "
            f"5-1/5-2, 国庆 10-1..3) and the {listed} day(s) in business.holidays only: "
            f"春节, 清明, 端午, 中秋 and 调休 days are missing",
            "pip install -U chinesecalendar, or list that year's days in business.holidays "
            "and business.extra_working_days")
    return CheckResult("calendar", "OK", f"official holidays and make-up days known for "
                       f"{years[0]} and {years[1]}")


def check_console_users(settings: Any) -> CheckResult:
    """The web console needs at least one admin to sign in (accounts live in the ticket DB)."""
    add = "ivr users add NAME --role admin"
    try:
        from ivr.tickets import TicketService
        from ivr.tickets.console_store import ConsoleStore

        service = TicketService.from_settings(settings, start=False)
        try:
            if db_current(service) is False:
                return CheckResult("console users", "WARN", "ticket database not migrated yet",
                                   f"ivr db upgrade, then {add}")
            store = ConsoleStore(service)
            admins, users = store.count_users("admin"), store.count_users()
        finally:
            service.shutdown()
    except Exception as exc:  # the database check above says why in detail
        brief = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return CheckResult("console users", "WARN", f"not readable: {brief}", "see database")
    if not admins:
        return CheckResult("console users", "WARN", f"{users} user(s), no admin", add)
    return CheckResult("console users", "OK", f"{users} user(s), {admins} admin(s)")


def db_current(service: Any) -> bool:
    from ivr.tickets import db

    return bool(db.current_revision(service.engine) == db.head_revision())


def check_console_port(bind: str, port: int) -> CheckResult:
    """Free to listen on, or already answered by a console (GET /health)."""
    import json
    import socket
    import urllib.request

    name = f"console port {bind}:{port}"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bind, port))
        except OSError:
            pass
        else:
            return CheckResult(name, "OK", "free (start: ivr console, or ivr serve --admin-port)")
    try:
        with urllib.request.urlopen(f"http://{bind}:{port}/health", timeout=3) as response:
            json.loads(response.read())
    except (OSError, ValueError):
        return CheckResult(name, "WARN", "in use by something that is not the console",
                           "pick another: ivr console --port P")
    return CheckResult(name, "OK", "the console (or an agent's admin port) answers /health")


def run_checks(settings: Any) -> list[CheckResult]:
    results: list[CheckResult] = [check_pjsua2(settings)]
    results += check_voices(settings)
    results += [check_vosk_model(settings)]
    results += check_keywords_heard(settings)
    results += [check_database(settings), check_number_key(settings), check_kamailio(settings),
                check_front(settings), check_sipp(), check_calendar(settings)]
    return results


def console_checks(settings: Any, port: int = 8080, bind: str = "127.0.0.1"
                   ) -> list[CheckResult]:
    """The web console: an admin account to sign in with, and its port."""
    return [check_console_users(settings), check_console_port(bind, port)]


def exit_code(results: Iterable[CheckResult]) -> int:
    return 1 if any(r.status == "FAIL" for r in results) else 0
