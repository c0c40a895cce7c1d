"""Prometheus metrics: defined once here, counted where things happen, served by /metrics.

`ivr serve --workers N` sets PROMETHEUS_MULTIPROC_DIR for its workers before they start, so
prometheus_client keeps each worker's values in files there and the supervisor's one /metrics
adds them up (multiprocess mode). A single agent keeps them in memory. Values that belong to
the deployment rather than to a process (journal depth, SLA overdue) are read when scraped.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

CALLS_IN_PROGRESS = Gauge("ivr_calls_in_progress", "Calls with a running session",
                          multiprocess_mode="livesum")
CALLS_ENDED = Counter("ivr_calls", "Calls ended, by end reason", ["end_reason"])
CALLS_REJECTED = Counter("ivr_calls_rejected", "INVITEs refused, by SIP status code "
                         "(486 all lines busy, 503 draining or disk full, 603 blacklisted)",
                         ["code"])
PROMPT_PLAYS = Counter("ivr_prompt_plays", "Prompts played to callers", ["prompt"])
LATE_FRAMES = Counter("ivr_late_frames", "Audio frames the session got more than one frame "
                      "period late")
RECOGNISER_BACKLOG = Gauge("ivr_recogniser_backlog_seconds",
                           "Caller audio queued for speech recognition",
                           multiprocess_mode="livesum")
TICKETS_OPENED = Counter("ivr_tickets_opened", "Tickets opened by calls")


def count_call_end(outcome: Any, late_frames: int) -> None:
    """One finished call: its end reason, prompts, tickets and late frames."""
    CALLS_ENDED.labels(end_reason=outcome.end_reason).inc()
    for prompt in outcome.prompts_played:
        PROMPT_PLAYS.labels(prompt=prompt).inc()
    if outcome.ticket_ids:
        TICKETS_OPENED.inc(len(outcome.ticket_ids))
    if late_frames:
        LATE_FRAMES.inc(late_frames)


def count_rejected(code: int) -> None:
    CALLS_REJECTED.labels(code=str(code)).inc()


class StoreCollector:
    """Scrape-time gauges of the ticket store: journal depth and tickets past their SLA."""

    def __init__(self, tickets: Any) -> None:
        self.tickets = tickets

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("ivr_journal_depth",
                                  "Tickets and call records waiting in the journal")
        depth.add_metric([], float(self.tickets.journal.pending_count()))
        yield depth
        overdue = GaugeMetricFamily("ivr_sla_overdue_tickets",
                                    "Open tickets past their promised reply time")
        try:
            overdue.add_metric([], float(self.tickets.overdue_count()))
        except Exception as exc:  # the database is down: /health says so; no value here
            log.warning("SLA overdue count unavailable: %s", exc)
            return
        yield overdue


def render(tickets: Any | None = None) -> bytes:
    """The text exposition: this process's metrics, or every worker's in multiprocess mode."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    if tickets is not None:
        registry.register(StoreCollector(tickets))
    return bytes(generate_latest(registry))


class _Default:
    """This process's own metrics (the default registry), inside a per-scrape registry."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def prepare_multiprocess_dir(directory: Path) -> Path:
    """An empty directory for the workers' metric files (old files would add stale counts)."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def worker_exited(pid: int) -> None:
    """Drop a dead worker's live gauges (calls in progress, backlog)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        mark_process_dead(pid, directory)
