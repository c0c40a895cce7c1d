"""Passwords, session tokens, CSRF tokens, signed URLs and login throttling (no web framework).

- Passwords: argon2id (argon2-cffi defaults, RFC 9106 low-memory profile); hashes are upgraded on
  sign-in when the parameters change.
- Session: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the database keeps only
  its SHA-256, so a leaked database copy cannot be replayed as a cookie.
- CSRF: a per-session random token in every form (synchroniser token pattern); before sign-in a
  double-submit cookie protects the login form itself.
- Signed URLs: HMAC-SHA256 under the console's secret (<data>/console-secret, 0600), so a
  recording URL cannot be derived from a ticket id.
- Throttle: after MAX_FAILURES failed sign-ins for one name or one client address within
  WINDOW_S, further attempts are refused until the window has passed. The failures live in the
  database (ConsoleStore), so every console process on it (`ivr console`, each worker's admin
  port) counts the same ones.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

SECRET_FILENAME = "console-secret"
TOKEN_BYTES = 32
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
WINDOW_S = 15 * 60.0

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A password refused by the policy (said in the message)."""


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters "
            f"(got {len(password)})"
        )


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False


# A hash of a random password, verified against when the name is unknown, so the answer time
# does not tell whether a user exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def load_secret(data_dir: Path) -> bytes:
    """The console's signing key; created (0600) on first use."""
    path = Path(data_dir) / SECRET_FILENAME
    try:
        data = path.read_bytes()
        if len(data) >= TOKEN_BYTES:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(TOKEN_BYTES))
    finally:
        os.close(fd)
    return path.read_bytes()


def sign(secret: bytes, purpose: str, value: str) -> str:
    return hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, purpose: str, value: str, signature: str) -> bool:
    return same(sign(secret, purpose, value), signature)


class FailureStore(Protocol):
    """Where failed sign-ins are kept (ivr.tickets.console_store.ConsoleStore)."""

    def login_failures(self, keys: list[str], since: datetime) -> dict[str, list[datetime]]: ...

    def add_login_failure(
        self, keys: list[str], now: datetime, forget_before: datetime
    ) -> None: ...

    def clear_login_failures(self, key: str) -> None: ...


class LoginThrottle:
    """Failed sign-ins per name and per client address in a sliding window, in the database."""

    def __init__(self, store: FailureStore, clock: Callable[[], datetime],
                 max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S):
        self.store = store
        self.clock = clock
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_s)

    @staticmethod
    def _keys(name: str, client: str) -> list[str]:
        return [f"u:{name.lower()}", f"c:{client}"]

    def retry_after_s(self, name: str, client: str) -> float:
        """0 when an attempt is allowed, else seconds until it is (the failure that brought the
        count to the limit leaves the window)."""
        now = self.clock()
        found = self.store.login_failures(self._keys(name, client), now - self.window)
        waits = [
            (times[-self.max_failures] + self.window - now).total_seconds()
            for times in found.values()
            if len(times) >= self.max_failures
        ]
        return max(0.0, max(waits, default=0.0))

    def failed(self, name: str, client: str) -> None:
        now = self.clock()
        self.store.add_login_failure(self._keys(name, client), now, now - self.window)

    def succeeded(self, name: str) -> None:
        self.store.clear_login_failures(f"u:{name.lower()}")
