"""`ivr simulate`: play a WAV file as the caller and print the call the policy would make."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from ivr.commands._common import load_or_report
from ivr.config import LOCALES
from ivr.media.wavio import WavError

DESCRIPTION = """\
Play FILE as the caller's side of a call, offline: the audio runs through the same line monitor
and speech segmenter as a live call (frame by frame), and the call policy answers in virtual time
(no SIP, no waiting). Prints every event and action with its time, then the end reason, e.g.

      0.000  -> Play(prompt_id='greeting')
     22.121  -> StartTimer(name='ladder', seconds=5.0)
    ...
  ended: silent at 50.757 s

Phrase lengths are estimated from their text; no recogniser runs (speech has no transcript), so
the call takes the path of a caller without an ASR model: keys (--key) drive the menu. After the
audio ends the line is silent. Timers, thresholds and phrases come from --config.

exit status: 0 simulated, 2 unusable input or configuration."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a whole call offline with a WAV file as the caller",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE",
                        help="WAV file: the caller's audio from the answer on")
    parser.add_argument("--locale", choices=LOCALES, default=None,
                        help="phrase catalogue and keywords (default: service.default_locale)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object: file, locale, audio_s, end_reason, end_s, "
                        "prompts, timeline (t, kind, type and the fields of each entry)")
    parser.add_argument("--key", action="append", default=[], metavar="SECONDS=DIGITS",
                        help="the caller presses DIGITS at SECONDS after the answer "
                        "(repeatable), e.g. --key 30=1 --key 60=#")
    parser.add_argument("--ring-s", type=float, default=0.0, metavar="SECONDS",
                        help="how long the caller waited before the answer (queue apology "
                        "after greeting.queue_apology_rings_count rings)")
    parser.add_argument("--local-time", default=None, metavar="ISO",
                        help="the caller's local time at the answer, e.g. 2026-02-17T10:00 "
                        "(holiday greeting, business hours); default: unknown (open)")
    parser.add_argument("--all-reports", action="store_true",
                        help="show every line report (default: only when the verdict changes)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ivr.simulate import Key, as_json, as_text, simulate_file

    settings = load_or_report(args, prefix="ivr simulate: ")
    if settings is None:
        return 2
    locale = args.locale or settings.service.default_locale
    try:
        keys = [Key.parse(k) for k in args.key]
        local_time = dt.datetime.fromisoformat(args.local_time) if args.local_time else None
    except ValueError as exc:
        print(f"ivr simulate: {exc}", file=sys.stderr)
        return 2
    if args.ring_s < 0:
        print(f"ivr simulate: --ring-s {args.ring_s}: must be 0 or more seconds", file=sys.stderr)
        return 2
    try:
        sim = simulate_file(args.file, settings, locale, keys=keys, ring_s=args.ring_s,
                            local_time=local_time)
    except WavError as exc:
        print(f"ivr simulate: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. shorter than one frame
        print(f"ivr simulate: {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(sim, args.all_reports), ensure_ascii=False))
    else:
        print(as_text(sim, args.all_reports))
    return 0
