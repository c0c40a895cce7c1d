"""`ivr desk`: a stand-in agent desk that answers transferred calls and shows their ticket.

For admins checking the transfer path (and for `ivr demo`): it answers every INVITE, prints the
ticket id the IVR attached (X-Ticket-Id, or User-to-User per RFC 7433), keeps the call up for
--hold-s seconds and hangs up.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any

from ivr.masking import mask_number


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "desk",
        help="stand-in agent desk: answer transferred calls and print their ticket id",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--sip-port", type=int, default=5070, help="SIP port (default 5070)")
    parser.add_argument(
        "--hold-s",
        type=float,
        default=3.0,
        help="seconds to stay on each call before hanging up (default 3)",
    )
    parser.add_argument(
        "--max-calls",
        type=int,
        default=0,
        help="exit after this many calls (0 = run until SIGTERM)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run)


def ticket_from_headers(headers: dict[str, str]) -> str:
    """The ticket id an IVR attached: X-Ticket-Id, else a hex User-to-User value."""
    ticket = headers.get("x-ticket-id", "").strip()
    if ticket:
        return ticket
    uui = headers.get("user-to-user", "").strip()
    if uui:
        value = uui.split(";", 1)[0].strip()
        try:
            return bytes.fromhex(value).decode("utf-8", "replace")
        except ValueError:
            return value
    return ""


def run(args: argparse.Namespace) -> int:
    from ivr.sip.config import SipConfig
    from ivr.sip.engine import SipEngine
    from ivr.sip.types import Accept, CallListener

    done = threading.Event()
    answered = 0
    lock = threading.Lock()

    def emit(event: str, **details: Any) -> None:
        if args.json:
            print(json.dumps({"event": event, **details}, ensure_ascii=False), flush=True)
        else:
            extra = " ".join(f"{k}={v}" for k, v in details.items())
            print(f"desk: {event} {extra}".rstrip(), flush=True)

    class Listener(CallListener):
        def on_media_ready(self, call: Any) -> None:
            timer = threading.Timer(args.hold_s, call.hangup)
            timer.daemon = True
            timer.start()

        def on_disconnected(self, call: Any, code: int, reason: str, by_remote: bool) -> None:
            emit("ended", by="caller" if by_remote else "desk")
            if args.max_calls and answered >= args.max_calls:
                done.set()

    class Hooks:
        def on_incoming(self, info: Any) -> Any:
            nonlocal answered
            with lock:
                answered += 1
            emit(
                "incoming",
                caller=mask_number(info.remote_user),
                ticket=ticket_from_headers(info.headers) or "-",
            )
            return Accept()

        def on_new_call(self, call: Any) -> None:
            call.listener = Listener()

        def on_registration(self, ok: bool, code: int, reason: str) -> None:
            pass

    config = SipConfig(bind_address=args.bind, port=args.sip_port, user="desk")
    engine = SipEngine(config, hooks=Hooks())
    try:
        engine.start()
    except Exception as exc:
        print(f"ivr desk: cannot listen on {args.bind}:{args.sip_port}: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    emit("listening", uri=engine.local_uri)
    try:
        while not done.wait(0.2):
            pass
        time.sleep(0.2)
    finally:
        engine.stop()
    return 0
