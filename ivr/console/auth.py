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
  WINDOW_S, further attempts are refused until the window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path

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


class LoginThrottle:
    """Failed sign-ins per name and per client address in a sliding window (per process)."""

    def __init__(self, clock: Callable[[], float], max_failures: int = MAX_FAILURES,
                 window_s: float = WINDOW_S):
        self.clock = clock
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after_s(self, name: str, client: str) -> float:
        """0 when an attempt is allowed, else seconds until it is."""
        now = self.clock()
        with self._lock:
            waits = []
            for key in (f"u:{name.lower()}", f"c:{client}"):
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    waits.append(times[0] + self.window_s - now)
            return max(waits, default=0.0)

    def failed(self, name: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"u:{name.lower()}", f"c:{client}"):
                self._recent(key, now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{name.lower()}", None)
