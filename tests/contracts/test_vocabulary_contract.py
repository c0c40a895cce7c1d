"""The contract between the layers: whatever the policy can emit, the register accepts and the
monthly report shows; the promised reply times come from one table (config [commitments]).

What the policy can emit is read from the policy itself, not listed here: the types of the
fields of its Hangup and OpenTicket actions (mypy holds every constructor to them), and, as a
check that the annotations say what the code does, every literal reason, category and severity
found by walking the policy's source.
"""

from __future__ import annotations

import ast
import datetime as dt
import typing
from pathlib import Path

import pytest

import ivr.policy
from ivr.config import Settings, load_settings
from ivr.policy import actions as a
from ivr.policy.reasons import FINAL_PHRASE
from ivr.tickets.reports import render_text
from ivr.tickets.service import TicketService
from ivr.tickets.types import CallRecordDraft, TicketDraft
from ivr.vocabulary import CATEGORIES, COMMITMENT_KEYS, END_REASONS, SEVERITIES

POLICY_DIR = Path(ivr.policy.__file__).resolve().parent
OPENED = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Asia/Shanghai


def _literal_values(cls: type, name: str) -> set[str]:
    hint = typing.get_type_hints(cls)[name]
    values = set(typing.get_args(hint))
    assert values and all(isinstance(v, str) for v in values), f"{cls.__name__}.{name}: {hint}"
    return values


def _strings(node: ast.AST | None, constants: dict[str, set[str]]) -> set[str]:
    """The string values an argument expression can take: literals, conditionals, and names
    bound to literals anywhere in the policy (REASON = "silent", reason: EndReason = ...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, constants) | _strings(node.orelse, constants)
    if isinstance(node, ast.Name):
        return constants.get(node.id, set())
    if isinstance(node, ast.Attribute):  # self.reason: every class's `reason = ...`
        return constants.get(node.attr, set())
    return set()


def _policy_emissions() -> dict[str, set[str]]:
    trees = [ast.parse(f.read_text(encoding="utf-8")) for f in sorted(POLICY_DIR.rglob("*.py"))]
    constants: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if isinstance(target, ast.Name):
                    constants.setdefault(target.id, set()).update(_strings(value, {}))
    found: dict[str, set[str]] = {"reason": set(), "category": set(), "severity": set()}
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            if name in ("end", "hangup", "Hangup"):
                found["reason"] |= _strings(first, constants)
            if name in ("open_ticket", "OpenTicket"):
                found["category"] |= _strings(first, constants)
            for kw in node.keywords:
                if kw.arg in found:
                    found[kw.arg] |= _strings(kw.value, constants)
    return found


EMITTED_REASONS = _literal_values(a.Hangup, "reason")
EMITTED_CATEGORIES = _literal_values(a.OpenTicket, "category")
EMITTED_SEVERITIES = _literal_values(a.OpenTicket, "severity")


def test_the_policy_source_emits_only_what_its_action_types_declare():
    found = _policy_emissions()
    # The walk finds the seeds' reasons, categories and the non-default severity: it works.
    assert {"silent", "low_volume", "noisy", "shutdown", "max_duration", "blacklisted"} <= found[
        "reason"
    ]
    assert {"complaint", "harassment", "callback"} <= found["category"]
    assert "urgent" in found["severity"]
    assert found["reason"] <= EMITTED_REASONS
    assert found["category"] <= EMITTED_CATEGORIES
    assert found["severity"] <= EMITTED_SEVERITIES
    assert set(FINAL_PHRASE) <= EMITTED_REASONS


def test_the_vocabulary_covers_everything_the_policy_can_emit():
    assert EMITTED_REASONS <= set(END_REASONS)
    assert EMITTED_CATEGORIES <= set(CATEGORIES)
    assert EMITTED_SEVERITIES <= set(SEVERITIES)


@pytest.fixture
def service(tmp_path: Path):
    svc = TicketService(f"sqlite:///{tmp_path / 'tickets.db'}", tmp_path, number_key="k" * 32)
    svc.start()
    yield svc
    svc.shutdown()


def test_every_emittable_ticket_is_registered_and_reported(service):
    n = 0
    for category in sorted(EMITTED_CATEGORIES):
        for severity in sorted(EMITTED_SEVERITIES):
            n += 1
            draft = TicketDraft(
                call_id=f"call-{n}", category=category, severity=severity, opened_at=OPENED
            )
            receipt = service.open_ticket(draft)  # validates; raises InvalidDraft otherwise
            assert not receipt.journaled
            assert service.get(receipt.ticket_id).severity == severity
    report = service.monthly_report(2026, 3, now=OPENED)
    text = render_text(report)
    for category in EMITTED_CATEGORIES:
        assert report.by_category[category] == len(EMITTED_SEVERITIES)
        row = next(line for line in text.splitlines() if line.startswith(category + " "))
        assert row.split()[-1] == str(len(EMITTED_SEVERITIES))
    for severity in EMITTED_SEVERITIES:
        assert report.by_severity[severity] == len(EMITTED_CATEGORIES)
        assert f"{severity} {len(EMITTED_CATEGORIES)}" in " ".join(text.split())


def test_every_emittable_end_reason_is_recorded_and_reported(service):
    reasons = sorted(EMITTED_REASONS | {"error"})  # "error": the session's own failure
    for i, reason in enumerate(reasons):
        service.record_call(
            CallRecordDraft(
                call_id=f"rec-{i}",
                answered_at=OPENED,
                ended_at=OPENED + dt.timedelta(seconds=30),
                end_reason=reason,
            )
        )
    report = service.monthly_report(2026, 3, now=OPENED)
    assert report.calls_total == len(reasons)
    lines = {tuple(line.split()) for line in render_text(report).splitlines()}
    for reason in reasons:
        assert report.calls_by_end_reason[reason] == 1
        assert (reason, "1") in lines


def test_the_register_promises_what_the_config_promises(tmp_path: Path):
    """One commitments table: the register's defaults are the config's defaults."""
    settings = Settings()
    bare = TicketService(f"sqlite:///{tmp_path / 'a.db'}", tmp_path, number_key="k" * 32)
    configured = TicketService.from_settings(
        load_settings(), start=False, url=f"sqlite:///{tmp_path / 'b.db'}"
    )
    assert set(settings.commitments) == set(COMMITMENT_KEYS)
    for key in CATEGORIES:
        expected = bare.promise_for(key, "normal", OPENED)
        assert expected == configured.promise_for(key, "normal", OPENED), key
        hours = settings.commitments[key].reply_within_hours
        if hours is not None and not settings.commitments[key].count_business_hours_only:
            assert expected == OPENED + dt.timedelta(hours=hours)
    assert bare.promise_for("complaint", "complex", OPENED) == configured.promise_for(
        "complaint", "complex", OPENED
    )
