"""Caller numbers at rest against an attacker who holds the data directory and the database
(issue 11 item 5): without the key in IVR_NUMBER_KEY nothing stored gives a number back.

The attacker knows the code (so the masking and the hash scheme) and reads every file of the
data directory and every row of the database; the key lives only in the environment. Brute force
over the masked digits (10^4 candidates for 138****5678) took 0.24 s when the hash was keyed by a
pepper file beside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from ticket_helpers import TEST_KEY, unreachable_pg_url

from ivr.tickets import db as dbmod
from ivr.tickets import privacy
from ivr.tickets.privacy import NumberProtector, normalise_number
from ivr.tickets.types import CallRecordDraft, TicketDraft

RAW = "13812345678"
T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)


def _candidate_keys(data_dir: Path) -> list[bytes]:
    """Every secret the attacker can find in the data directory, raw and as the code derives it."""
    found: list[bytes] = []
    for path in data_dir.rglob("*"):
        if not path.is_file() or path.stat().st_size > 4096:
            continue
        raw = path.read_bytes().strip()
        found.append(raw)
        try:
            found.append(bytes.fromhex(raw.decode()))
        except ValueError:
            pass
    keys = list(found)
    for secret in found:
        try:
            as_text = secret.decode()
        except UnicodeDecodeError:
            continue
        if len(as_text) >= privacy.MIN_SECRET_LENGTH:
            keys.append(NumberProtector(as_text)._hash_key)  # as if the file held the secret
    return keys


def _stored_pairs(url: str, data_dir: Path) -> list[tuple[str | None, str | None]]:
    """(masked, hash) of every stored number: database rows and journal lines."""
    engine = create_engine(url)
    pairs: list[tuple[str | None, str | None]] = []
    with engine.connect() as conn:
        for table in ("tickets", "call_records"):
            pairs += [
                (r[0], r[1])
                for r in conn.execute(
                    text(f"SELECT caller_number_masked, caller_number_hash FROM {table}")
                )
            ]
    engine.dispose()
    for path in data_dir.rglob("journal*.jsonl"):
        for line in path.read_text().splitlines():
            data = json.loads(line)["data"]
            pairs.append((data.get("caller_number_masked"), data.get("caller_number_hash")))
    return pairs


def _brute_force(url: str, data_dir: Path) -> set[str]:
    """The numbers the attacker recovers: masked digits enumerated, hash checked."""
    keys = _candidate_keys(data_dir)
    recovered: set[str] = set()
    for masked, digest in _stored_pairs(url, data_dir):
        if not masked or not digest:
            continue
        hidden = masked.count("*")
        for digits in itertools.product("0123456789", repeat=hidden):
            it = iter(digits)
            candidate = "".join(next(it) if ch == "*" else ch for ch in masked)
            message = normalise_number(candidate).encode()
            if any(hmac.new(k, message, hashlib.sha256).hexdigest() == digest for k in keys):
                recovered.add(candidate)
                break
    return recovered


def _store_everything(make_service, url: str, data_dir: Path, key: str | None) -> None:
    svc = make_service(url, data_dir, number_key=key)
    svc.open_ticket(TicketDraft(call_id="rest-1", category="complaint", opened_at=T0,
                                caller_number=RAW))
    svc.open_ticket(TicketDraft(call_id="rest-2", category="harassment", opened_at=T0,
                                caller_number=RAW))
    svc.record_call(CallRecordDraft(call_id="rest-1", answered_at=T0, ended_at=T0,
                                    end_reason="normal", caller_number=RAW))
    down = make_service(unreachable_pg_url(), data_dir, number_key=key)
    assert down.open_ticket(TicketDraft(call_id="rest-3", category="complaint", opened_at=T0,
                                        caller_number=RAW)).journaled


@pytest.mark.parametrize("key", [None, TEST_KEY], ids=["without-key", "with-key-in-env"])
def test_brute_force_of_the_data_directory_recovers_no_number(
    key: str | None, db_url: str, tmp_path: Path, make_service
) -> None:
    data_dir = tmp_path / "data"
    _store_everything(make_service, db_url, data_dir, key)
    assert _stored_pairs(db_url, data_dir), "the attack must have rows to work on"
    assert _brute_force(db_url, data_dir) == set()


def test_without_key_no_hash_is_stored_and_look_ups_are_off(
    db_url: str, tmp_path: Path, make_service, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.WARNING)
    monkeypatch.setattr(privacy, "_warned", False)
    data_dir = tmp_path / "data"
    _store_everything(make_service, db_url, data_dir, None)
    pairs = _stored_pairs(db_url, data_dir)
    assert {masked for masked, _ in pairs} == {"138****5678"}
    assert all(digest is None for _, digest in pairs)
    assert not (data_dir / "number-pepper").exists()
    svc = make_service(db_url, data_dir, number_key=None)
    assert not svc.is_blacklisted(RAW, now=T0)  # needs the key: nothing to match against
    assert "blacklist" in caplog.text and "IVR_NUMBER_KEY" in caplog.text


def test_with_key_the_blacklist_matches(db_url: str, tmp_path: Path, make_service) -> None:
    data_dir = tmp_path / "data"
    _store_everything(make_service, db_url, data_dir, TEST_KEY)
    svc = make_service(db_url, data_dir, number_key=TEST_KEY)
    svc.replay_journal()
    assert svc.is_blacklisted(RAW, now=T0)
    assert svc.repeat_calls(RAW, since=T0) == 3


def test_upgrade_drops_the_recoverable_hashes_of_old_rows(db_url: str, tmp_path: Path) -> None:
    """Rows written before the fix without a key hold a pepper-keyed hash beside the mask: the
    migration removes those hashes; rows with ciphertext keep their key-derived hash."""
    engine = dbmod.make_engine(db_url)
    dbmod.upgrade(engine, "0001")
    row = ("INSERT INTO {t} ({cols}, caller_number_enc, caller_number_hash, "
           "caller_number_masked) VALUES ({vals}, :enc, :hash, '138****5678')")
    ticket_cols = ("id, call_id, category, severity, status, summary, transcript, notes, "
                   "opened_at, created_at, updated_at")
    ticket_vals = ("CAST(:id AS VARCHAR(36)), :id, 'complaint', 'normal', 'new', '', '', '', "
                   ":at, :at, :at")
    call_cols = ("call_id, answered_at, ended_at, end_reason, prompts_played, silent_s, "
                 "low_volume_s, noisy_s, ticket_ids")
    call_vals = ":id, :at, :at, 'normal', '[]', 0, 0, 0, '[]'"
    at = datetime(2026, 11, 17, 2, 0)
    with engine.begin() as conn:
        for name, enc in (("old-peppered", None), ("old-keyed", "gAAAA-ciphertext")):
            params = {"id": name, "at": at, "enc": enc, "hash": "ab" * 32}
            conn.execute(text(row.format(t="tickets", cols=ticket_cols, vals=ticket_vals)),
                         params)
            conn.execute(text(row.format(t="call_records", cols=call_cols, vals=call_vals)),
                         params)
    dbmod.upgrade(engine)
    with engine.connect() as conn:
        for table in ("tickets", "call_records"):
            got = dict(conn.execute(text(
                f"SELECT call_id, caller_number_hash FROM {table} ORDER BY call_id")).all())
            assert got == {"old-keyed": "ab" * 32, "old-peppered": None}, table
    # and the database itself refuses a hash without ciphertext from now on
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET caller_number_hash = :h WHERE call_id = "
                          "'old-peppered'"), {"h": "cd" * 32})
    engine.dispose()


def test_a_left_over_pepper_file_is_removed(tmp_path: Path, make_service) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "number-pepper").write_text("ab" * 32)
    make_service(f"sqlite:///{data_dir / 't.sqlite3'}", data_dir, number_key=None)
    assert not (data_dir / "number-pepper").exists()
