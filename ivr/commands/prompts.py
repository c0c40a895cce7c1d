"""`ivr prompts`: list, render, speak and check the standard phrases."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.commands._common import load_or_report
from ivr.config import LOCALES
from ivr.media.prompt_library import PromptError, PromptLibrary
from ivr.media.tts import TtsError
from ivr.media.wavio import write_wav

DESCRIPTION = """\
Every phrase of prompts/<locale>.toml is rendered once with pyttsx3 (espeak-ng) to PCM at the
rates in tts.sample_rates_hz, trimmed and levelled to tts.target_level_dbfs, and cached in
<data_dir>/prompts/ by a hash of its text, voice, rate, volume and engine version, so a second
render does nothing. A recording audio/<locale>/<id>.wav replaces the synthesised phrase.
Phrases with call variables ({surname}, {hours}, ...) are rendered during the call.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prompts", help="list, render, speak or check the standard phrases",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="prompts_command", metavar="ACTION", required=True)

    lst = sub.add_parser("list", help="every phrase and how it is voiced",
                         description="One line per phrase: locale, id, source (tts cached / "
                         "tts to render / override / runtime) and text.")
    lst.add_argument("--locale", choices=LOCALES, help="only this locale")
    lst.set_defaults(func=run_list)

    render = sub.add_parser("render", help="render what changed (progress bar on stderr)",
                            description="Render every phrase whose text, voice or engine "
                            "changed; cached ones are kept. Exit 1 if any phrase failed.")
    render.add_argument("--locale", choices=LOCALES, help="only this locale")
    render.set_defaults(func=run_render)

    say = sub.add_parser("say", help="render one phrase (and write it to a WAV file)",
                         description="Render phrase ID as the agent would play it. Call "
                         "variables are given as --var name=value.")
    say.add_argument("prompt_id", metavar="ID", type=_prompt_id, help="phrase id, e.g. greeting")
    say.add_argument("--locale", choices=LOCALES, help="default: service.default_locale")
    say.add_argument("--rate", type=int, default=None, metavar="HZ",
                     help="sample rate (one of tts.sample_rates_hz; default the highest)")
    say.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                     help="a call variable, e.g. --var hours=24")
    say.add_argument("--out", metavar="FILE.wav", help="write the audio here")
    say.set_defaults(func=run_say)

    check = sub.add_parser("check", help="missing ids, unknown variables, empty or clipped audio",
                           description="Print one line per problem and exit 1, or 'ok'.")
    check.set_defaults(func=run_check)


def run_list(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    with PromptLibrary(settings) as lib:
        for item in lib.plan([args.locale] if args.locale else None):
            if item.kind == "tts":
                source = "tts cached" if lib.is_cached(item) else "tts to render"
            else:
                source = item.kind
            print(f"{item.locale}\t{item.prompt_id}\t{source}\t{item.text}")
    return 0


class _Bar:
    def __call__(self, done: int, total: int, key: str) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                         f"{key[:40]:40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def run_render(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    with PromptLibrary(settings) as lib:
        report = lib.render_all([args.locale] if args.locale else None, progress=_Bar(),
                                load=False)
        print(f"rendered {len(report.rendered)}, cached {len(report.cached)}, "
              f"overridden {len(report.overridden)}, rendered in-call {len(report.runtime)}, "
              f"failed {len(report.failed)} (cache: {lib.cache_dir})")
    for key, why in sorted(report.failed.items()):
        print(f"{key}: {why}", file=sys.stderr)
    return 1 if report.failed else 0


def run_say(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    locale = args.locale or settings.service.default_locale
    rate = args.rate or max(settings.tts.sample_rates_hz)
    variables = {}
    for item in args.var:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"--var {item!r}: expected NAME=VALUE", file=sys.stderr)
            return 2
        variables[name] = value
    with PromptLibrary(settings) as lib:
        try:
            pcm = lib.prompt(locale, args.prompt_id, rate, variables)
        except (PromptError, TtsError) as exc:
            print(f"ivr prompts say: {exc}", file=sys.stderr)
            return 1
    if args.out:
        try:
            write_wav(Path(args.out), pcm, rate)
        except OSError as exc:
            print(f"ivr prompts say: cannot write {args.out}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 1
        print(f"{locale}/{args.prompt_id}: {len(pcm) / rate:.2f} s at {rate} Hz -> {args.out}")
    else:
        print(f"{locale}/{args.prompt_id}: {len(pcm) / rate:.2f} s at {rate} Hz "
              f"(use --out FILE.wav to keep it)")
    return 0


def run_check(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    with PromptLibrary(settings) as lib:
        problems = lib.check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("ok")
    return 0


def _prompt_id(text: str) -> str:
    """argparse type: a prompt id (it becomes a file name: never a path)."""
    from ivr.config.prompts import prompt_id_problem

    problem = prompt_id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text
