"""`ivr analyze`: the line verdict and figures of a recording."""

from __future__ import annotations

import argparse
import json
import sys

from ivr.commands._common import settings_from
from ivr.config import ConfigError
from ivr.media.analysis import AnalysisResult, analyze_file
from ivr.media.monitor import LineThresholds
from ivr.media.wavio import WavError

DESCRIPTION = """\
Analyse a WAV recording as the agent hears a caller: voice activity (webrtcvad behind automatic
gain and a noise-floor guard), active speech level, noise floor, SNR and clipping, and the line
verdict the service rules act on: silent, low_volume, noisy or ok.

Accepted: 16-bit PCM or G.711 mu-law/A-law WAV, mono or stereo, 8-48 kHz. Thresholds come from
the [vad] and [line] sections of the configuration (--config).

exit status: 0 analysed, 2 unusable input or configuration."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="line verdict and levels of a WAV recording",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="WAV file to analyse")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: verdict, duration_s, speech_ratio, speech_level_dbfs, "
        "noise_floor_dbfs, snr_db, clipping_ratio (levels null when there is no speech)",
    )
    parser.set_defaults(func=run)


def thresholds_from_config(args: argparse.Namespace) -> LineThresholds:
    """Thresholds from the configuration's [vad] and [line] sections (with --set applied)."""
    return LineThresholds.from_settings(settings_from(args))


def format_human(path: str, r: AnalysisResult) -> str:
    def db(v: float | None, unit: str) -> str:
        return "none (no speech)" if v is None else f"{v:.1f} {unit}"

    return "\n".join(
        [
            f"{path}: {r.verdict}",
            f"  duration        {r.duration_s:.2f} s",
            f"  speech          {100 * r.speech_ratio:.0f}% of the time",
            f"  speech level    {db(r.speech_level_dbfs, 'dBFS')}",
            f"  noise floor     {r.noise_floor_dbfs:.1f} dBFS",
            f"  SNR             {db(r.snr_db, 'dB')}",
            f"  clipping        {100 * r.clipping_ratio:.2f}% of samples",
        ]
    )


def run(args: argparse.Namespace) -> int:
    try:
        thresholds = thresholds_from_config(args)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"ivr analyze: configuration: {exc}", file=sys.stderr)
        return 2
    try:
        result = analyze_file(args.file, thresholds)  # streamed: bounded memory
    except WavError as exc:
        print(f"ivr analyze: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. shorter than one frame
        print(f"ivr analyze: {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_json()))
    else:
        print(format_human(args.file, result))
    return 0
