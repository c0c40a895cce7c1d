"""`ivr doctor`: check that this machine can run the agent, one line per check."""

from __future__ import annotations

import argparse

from ivr.commands._common import load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check pjsua2, voices, speech model, database, Kamailio and sipp",
        description="Check, without changing anything, what the agent needs: pjsua2 and its "
        "call cap, an espeak-ng voice for every configured locale, the vosk model, the ticket "
        "database (reachable and migrated), Kamailio and the front's config syntax (for "
        "--workers N), sipp (tests), and the web console (an admin account, its port). "
        "Prints one line per check, OK / WARN / FAIL with what to fix; exits 1 when any "
        "check FAILs.",
    )
    parser.add_argument("--console-port", type=int, default=8080,
                        help="the web console's port to check (default 8080)")
    parser.add_argument("--console-bind", default="127.0.0.1",
                        help="the web console's address (default 127.0.0.1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ivr import doctor

    settings = load_or_report(args)
    if settings is None:
        print("FAIL config: the configuration does not load -> ivr config check", flush=True)
        return 1
    print(f"OK   config: {settings.source}", flush=True)
    results = []
    checks = [*doctor.run_checks(settings),
              *doctor.console_checks(settings, args.console_port, args.console_bind)]
    for result in checks:
        print(result.line(), flush=True)
        results.append(result)
    code = doctor.exit_code(results)
    fails = sum(r.status == "FAIL" for r in results)
    warns = sum(r.status == "WARN" for r in results)
    print(f"{fails} failed, {warns} warning(s)" if fails or warns else "all checks passed")
    return code
