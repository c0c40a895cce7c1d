"""The admin bench: prompts (list, hear as a caller hears them), settings, blacklist, live calls,
audit log. Users are in users.py, webhooks in webhooks_page.py.

"Hear" renders the phrase the way the agent plays it on a call, then through G.711 at 8 kHz
(what a PSTN caller's line does to it), as a WAV the page's <audio> plays.
"""

from __future__ import annotations

import io
import logging
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ivr.console.app import Console, console_of, form_of, page

log = logging.getLogger(__name__)

ADMIN_ROLES = ("admin",)
PHONE_RATE_HZ = 8000
# What a phrase with call variables is heard with on the bench.
SAMPLE_CALL_VARIABLES = {
    "zh-CN": {"surname": "张", "title": "先生", "hours": "24", "ticket_no": "1234",
              "days": "3", "text": "示例"},
    "en-US": {"surname": "Smith", "title": "Mr", "hours": "24", "ticket_no": "1234",
              "days": "3", "text": "example"},
}

_library_lock = threading.Lock()


def routes() -> list[Route]:
    return [
        Route("/admin", prompts_page),
        Route("/admin/prompts/{locale}/{prompt_id}.wav", hear_prompt),
        Route("/admin/prompts/{locale}/{prompt_id}", prompt_page, methods=["GET", "POST"]),
        Route("/live", live_page),
        Route("/live/rows", live_rows),
        Route("/admin/blacklist", blacklist_page, methods=["GET", "POST"]),
        Route("/admin/settings", settings_page, methods=["GET", "POST"]),
        Route("/admin/audit", audit_page),
    ]


def _library(console: Console) -> Any:
    """One PromptLibrary per console process, made on first use (it starts espeak-ng)."""
    with _library_lock:
        library = getattr(console, "_prompt_library", None)
        if library is None:
            from ivr.media.prompt_library import PromptLibrary

            library = PromptLibrary(console.settings)
            console._prompt_library = library  # type: ignore[attr-defined]
        return library


def phone_wav(samples: np.ndarray, rate_hz: int = PHONE_RATE_HZ) -> bytes:
    """int16 mono PCM -> G.711 mu-law round trip -> a 16-bit WAV the browser plays."""
    from ivr.media.g711 import through_g711

    line = through_g711(np.asarray(samples, dtype=np.int16), "mulaw")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate_hz)
        out.writeframes(np.asarray(line, dtype="<i2").tobytes())
    return buf.getvalue()


@page(ADMIN_ROLES)
def prompts_page(request: Request) -> Response:
    from ivr.config import load_prompt_catalogue

    console = console_of(request)
    settings = console.settings
    rows = []
    for locale in settings.prompts:
        for prompt_id, definition in sorted(load_prompt_catalogue(locale, settings).items()):
            override = settings.audio_dir / locale / f"{prompt_id}.wav"
            rows.append(
                {
                    "locale": locale,
                    "id": prompt_id,
                    "text": definition.text,
                    "override": override.is_file(),
                }
            )
    return console.render(request, "admin_prompts.html", {"rows": rows})


@page(ADMIN_ROLES)
def hear_prompt(request: Request) -> Response:
    console = console_of(request)
    locale = request.path_params["locale"]
    prompt_id = request.path_params["prompt_id"]
    if locale not in console.settings.prompts:
        return PlainTextResponse("unknown locale", status_code=404)
    from ivr.media.prompt_library import PromptError

    library = _library(console)
    try:
        pcm = library.prompt(
            locale, prompt_id, PHONE_RATE_HZ, SAMPLE_CALL_VARIABLES.get(locale, {})
        )
    except PromptError as exc:
        return PlainTextResponse(str(exc), status_code=404)
    return Response(phone_wav(pcm), media_type="audio/wav")


@page(ADMIN_ROLES)
def audit_page(request: Request) -> Response:
    console = console_of(request)
    return console.render(request, "admin_audit.html", {"entries": console.store.audit_log()})


@page(ADMIN_ROLES)
def settings_page(request: Request) -> Response:
    """GET: the form. POST op=check: the loader's verdict and the diff. POST op=apply: the same,
    then an atomic write (previous version kept), SIGHUP to the agents, an audit row."""
    from pathlib import Path

    from ivr.console import settings_edit as se

    console = console_of(request)
    config_path = Path(console.settings.source)
    if not config_path.is_file():
        return PlainTextResponse(
            f"the console runs on built-in defaults ({console.settings.source}); start it "
            "with --config FILE to edit settings", status_code=409,
        )
    from ivr.config.labels import LABELS, SECTIONS
    from ivr.console import trial

    fields = se.form_fields(console.settings)
    scripts = trial.trial_scripts()
    context: dict[str, Any] = {"fields": fields, "config_path": str(config_path),
                               "labels": LABELS, "sections": SECTIONS,
                               "trial_scripts": scripts,
                               "trial_chosen": {s.name for s in scripts}}
    if request.method == "POST":
        form = form_of(request)
        changes, problems = se.parse_form(fields, form)
        before_text = config_path.read_text(encoding="utf-8")
        after_text = se.patch_toml(before_text, changes)
        if not problems and changes:
            problems = se.check_text(config_path, after_text)
        context.update(
            changes={f"{s}.{k}": v for (s, k), v in changes.items()},
            problems=problems,
            diff=se.unified_diff(before_text, after_text, config_path.name),
            submitted={f.name: form.get(f.name) for f in fields},
        )
        if form.get("op") == "try":
            context.update(_try_settings(config_path, changes, problems, scripts, form))
        if form.get("op") == "apply" and changes and not problems:
            now = console.clock()
            kept = se.apply_text(config_path, after_text, console.settings.data_dir /
                                 "config-history", now)
            before = {f"{s}.{k}": getattr(getattr(console.settings, s), k) for s, k in changes}
            after = {f"{s}.{k}": v for (s, k), v in changes.items()}
            console.audit(request, "settings.apply", str(config_path), before, after)
            from ivr.config import load_settings

            # Take the edited sections from the file; keep what the console was started with
            # for the rest (e.g. a data directory given on the command line).
            fresh = load_settings(str(config_path))
            console.settings = console.settings.model_copy(
                update={s: getattr(fresh, s) for s, _ in changes}
            )
            context.update(
                applied=True,
                kept=str(kept),
                reloaded=se.reload_agents(console.settings.data_dir),
                fields=se.form_fields(console.settings),
                submitted={},
            )
    return console.render(request, "admin_settings.html", context)


def _try_settings(config_path: Path, changes: dict[tuple[str, str], Any], problems: list[str],
                  scripts: list[Any], form: Any) -> dict[str, Any]:
    """op=try: the chosen scripts (and an uploaded caller recording) against the file and
    against the edit, nothing written to the config; no run at all while the edit has
    problems."""
    import tempfile

    from ivr.console import trial

    chosen = set(form.getlist("trial")) & {s.name for s in scripts}
    upload: Any = form.get("trial_wav")
    wav = upload.file.read(trial.MAX_WAV_BYTES + 1) if getattr(upload, "filename", "") else b""
    out: dict[str, Any] = {"trial_chosen": chosen, "tried": True}
    if problems or not (chosen or wav):
        return out
    if len(wav) > trial.MAX_WAV_BYTES:
        out["trial_error"] = f"the recording is over {trial.MAX_WAV_BYTES // 2**20} MB"
        return out
    run = [s for s in scripts if s.name in chosen]
    with tempfile.TemporaryDirectory(prefix="ivr-trial-") as tmp:
        if wav:
            run.append(trial.upload_script(Path(tmp), wav))
            out["trial_extra"] = [run[-1]]  # its title on the page
        try:
            out["trials"] = trial.run_trial(config_path, changes, [s.path for s in run])
        except trial.TrialError as exc:
            name = Path(getattr(upload, "filename", "") or "upload.wav").name
            out["trial_error"] = str(exc).replace(str(Path(tmp) / "upload.wav"), name)
    return out


def _forget_library(console: Console) -> None:
    """After an edit the console's own renders are stale: the next "hear" starts afresh."""
    with _library_lock:
        library = getattr(console, "_prompt_library", None)
        console._prompt_library = None  # type: ignore[attr-defined]
    if library is not None:
        library.close()


@page(ADMIN_ROLES)
def prompt_page(request: Request) -> Response:
    """One phrase: its text (edit), hear it, upload a recording, revert to the synthesised voice.
    Each change is audited and the running agents are told to reload (they re-render)."""
    from ivr.config import load_prompt_catalogue
    from ivr.console import prompts_edit as pe
    from ivr.console.settings_edit import reload_agents

    console = console_of(request)
    settings = console.settings
    locale = request.path_params["locale"]
    prompt_id = request.path_params["prompt_id"]
    if locale not in settings.prompts:
        return PlainTextResponse("unknown locale", status_code=404)
    catalogue = load_prompt_catalogue(locale, settings)
    if prompt_id not in catalogue:
        return PlainTextResponse("unknown prompt", status_code=404)
    context: dict[str, Any] = {"locale": locale, "prompt_id": prompt_id, "problems": []}
    if request.method == "POST":
        form = form_of(request)
        op = str(form.get("op", ""))
        now = console.clock()
        target = f"{locale}/{prompt_id}"
        done = False
        if op == "text":
            problems, before = pe.change_text(settings, locale, prompt_id,
                                              str(form.get("text", "")), now)
            context["problems"] = problems
            if not problems:
                console.audit(request, "prompt.text", target, before, str(form.get("text")))
                done = True
        elif op == "upload":
            upload: Any = form.get("file")
            data = upload.file.read(pe.MAX_UPLOAD_BYTES + 1) if hasattr(upload, "file") else b""
            name = Path(getattr(upload, "filename", None) or "upload.wav").name
            problems = pe.check_override(data, name, settings.tts.target_level_dbfs)
            context["problems"] = problems
            if not problems:
                kept = pe.save_override(settings, locale, prompt_id, data, now)
                console.audit(request, "prompt.override", target,
                              str(kept) if kept else None, f"{name} ({len(data)} bytes)")
                done = True
        elif op == "revert":
            kept = pe.remove_override(settings, locale, prompt_id, now)
            if kept is not None:
                console.audit(request, "prompt.revert", target, str(kept), None)
                done = True
        if done:
            _forget_library(console)
            context["reloaded"] = reload_agents(settings.data_dir)
            catalogue = load_prompt_catalogue(locale, settings)
    override = settings.audio_dir / locale / f"{prompt_id}.wav"
    context.update(text=catalogue[prompt_id].text, override=override.is_file())
    return console.render(request, "admin_prompt.html", context)


@page(ADMIN_ROLES)
def blacklist_page(request: Request) -> Response:
    """Blocked numbers (manual and from harassment tickets); block one with a reason; lift one
    with a reason. Numbers are shown masked; the full number is only typed in, never shown."""
    from ivr.tickets import InvalidDraft

    console = console_of(request)
    svc = console.tickets
    error = ""
    if request.method == "POST":
        form = form_of(request)
        op = str(form.get("op", ""))
        reason = str(form.get("reason", "")).strip()
        actor = request.state.session.user.name
        try:
            if op == "add":
                masked = svc.blacklist_add(str(form.get("number", "")), reason, actor,
                                           console.clock())
                console.audit(request, "blacklist.add", masked, None, {"reason": reason})
            elif op == "lift":
                digest = str(form.get("number_hash", ""))
                shown = next((v.number_masked for v in svc.blacklist_view(console.clock())
                              if v.number_hash == digest), "")
                svc.blacklist_lift(digest, reason, actor, console.clock())
                console.audit(request, "blacklist.lift", shown, {"blocked": True},
                              {"blocked": False, "reason": reason})
        except InvalidDraft as exc:
            error = str(exc)
    return console.render(
        request,
        "admin_blacklist.html",
        {"entries": svc.blacklist_view(console.clock()), "error": error,
         "days": svc.blacklist_days},
    )


LIVE_ROLES = ("manager", "admin")


@page(LIVE_ROLES)
def live_page(request: Request) -> Response:
    """Calls in progress on every agent sharing the data directory; rows refresh every second
    (htmx polls /live/rows)."""
    from ivr.console.live import read_live

    console = console_of(request)
    return console.render(request, "live.html", {"calls": read_live(console.settings.data_dir)})


@page(LIVE_ROLES)
def live_rows(request: Request) -> Response:
    from ivr.console.live import read_live

    console = console_of(request)
    return console.render(request, "_live_rows.html",
                          {"calls": read_live(console.settings.data_dir)})
