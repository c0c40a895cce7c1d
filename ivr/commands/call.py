"""`ivr call`: a test softphone that places one SIP call and prints what happened, with times."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

DESCRIPTION = """\
Place one SIP call from a throwaway softphone on a free local port, optionally play a WAV file,
send DTMF digits at given times and record what the far end sends. Prints the call's events with
times (answered, media, DTMF sent/received, transfer, disconnected by whom) and exits 0 when the
call was answered and ended normally, 1 when it was not answered or failed, 2 on bad arguments.
"""

EPILOG = """\
examples:
  ivr call sip:ivr@127.0.0.1:5060 --max-s 20 --record caller.wav
  ivr call sip:ivr@127.0.0.1:5060 --play complaint.wav --dtmf 1 --dtmf-at 7.0 --dtmf 2 --dtmf-at 9
  ivr call 'sip:ivr@127.0.0.1:5060;transport=tcp' --header 'X-Test: 1' --json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "call",
        help="test softphone: call a SIP URI, play/record audio, send DTMF",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("uri", help="SIP URI to call, e.g. sip:ivr@127.0.0.1:5060")
    parser.add_argument("--play", metavar="FILE.wav", help="WAV file to play once media is up")
    parser.add_argument("--record", metavar="OUT.wav", help="write the far end's audio here")
    parser.add_argument("--dtmf", action="append", default=[], metavar="DIGITS",
                        help="DTMF digits to send (0-9 * # A-D); pair each with --dtmf-at")
    parser.add_argument("--dtmf-at", action="append", default=[], type=float, metavar="S",
                        help="seconds after the answer at which the matching --dtmf is sent")
    parser.add_argument("--dtmf-method", choices=("rfc2833", "info"), default="rfc2833",
                        help="RFC 2833/4733 telephone events (default) or SIP INFO")
    parser.add_argument("--max-s", type=float, default=60.0, metavar="N",
                        help="hang up N seconds after the answer (default 60)")
    parser.add_argument("--header", action="append", default=[], metavar="'Name: value'",
                        help="extra header on the INVITE (repeatable)")
    parser.add_argument("--bind", default="127.0.0.1", help="local address (default 127.0.0.1)")
    parser.add_argument("--from-user", default="caller", metavar="NUMBER",
                        help="user part of our From URI: the caller number the agent sees "
                        "(default 'caller')")
    parser.add_argument("--json", action="store_true", help="one JSON object per event line")
    parser.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"ivr call: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from ivr.sip.config import SipConfig, SipConfigError

    if not args.uri.startswith(("sip:", "sips:")):
        return _fail(f"URI {args.uri!r} is not a sip: or sips: URI")
    if len(args.dtmf) != len(args.dtmf_at):
        return _fail(f"{len(args.dtmf)} --dtmf but {len(args.dtmf_at)} --dtmf-at; give them "
                     "in pairs, e.g. --dtmf 1 --dtmf-at 7.0")
    for digits in args.dtmf:
        if not digits or any(d not in "0123456789*#ABCDabcd" for d in digits):
            return _fail(f"--dtmf {digits!r}: allowed digits are 0-9 * # A-D")
    if any(at < 0 for at in args.dtmf_at) or args.max_s <= 0:
        return _fail("--dtmf-at must be >= 0 and --max-s > 0")
    headers: dict[str, str] = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            return _fail(f"--header {item!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    try:
        config = SipConfig(bind_address=args.bind, port=0, transports=("udp", "tcp"),
                           user=args.from_user, no_media_timeout_s=0.0)
    except SipConfigError as exc:
        return _fail(str(exc))
    play_pcm = b""
    if args.play:
        try:
            play_pcm = _load_pcm(args.play, config.clock_rate_hz)
        except ValueError as exc:  # WavError is a ValueError
            return _fail(str(exc))
    return _place(args, config, headers, play_pcm)


def _load_pcm(path: str, rate_hz: int) -> bytes:
    from ivr.media.resample import resample
    from ivr.media.wavio import read_wav

    audio = read_wav(path)
    samples = resample(audio.samples, audio.rate_hz, rate_hz)
    return samples.astype("<i2").tobytes()


def _place(args: argparse.Namespace, config: Any, headers: dict[str, str], play_pcm: bytes
           ) -> int:
    from ivr.sip.engine import SipError
    from ivr.sip.softphone import CallPlan, run_call

    def emit(event: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(event, ensure_ascii=False), flush=True)
            return
        details = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("t_s", "event"))
        print(f"{event['t_s']:8.3f}  {event['event']:<16} {details}".rstrip(), flush=True)

    dtmf = list(zip(args.dtmf, args.dtmf_at, strict=True))
    plan = CallPlan(uri=args.uri, play_pcm=play_pcm, dtmf=dtmf,
                    dtmf_method=args.dtmf_method, max_s=args.max_s, headers=headers)
    try:
        report = run_call(config, plan, emit)
    except SipError as exc:
        print(f"ivr call: {exc}", file=sys.stderr)
        return 1
    if args.record:
        from ivr.media.wavio import write_wav

        try:
            write_wav(args.record, report.recording, config.clock_rate_hz)
        except OSError as exc:
            print(f"ivr call: cannot write {args.record}: {exc}", file=sys.stderr)
            return 1
        logging.getLogger(__name__).info("recorded %.1f s to %s",
                                         len(report.recording) / config.clock_rate_hz,
                                         args.record)
    if not args.json:
        who = {"remote": "the far end", "us": "this softphone"}.get(report.hung_up_by, "nobody")
        if report.answered:
            print(f"answered, {report.duration_s:.2f} s, hung up by {who}")
        else:
            ends = [e for e in report.events if e["event"] == "disconnected"]
            final = f"{ends[0]['code']} {ends[0]['reason']}" if ends else "no final response"
            print(f"not answered: {final}")
    return 0 if report.answered and report.ended_normally else 1
