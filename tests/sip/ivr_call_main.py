"""Runs `ivr call` through its own command module only.

The full `ivr` CLI imports every command module; while other commands are being written a broken
one would fail these SIP tests for a reason that is not ours, so tests enter here instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ivr.commands import call


def main() -> int:
    parser = argparse.ArgumentParser(prog="ivr")
    parser.add_argument("--config", default=None)
    call.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
