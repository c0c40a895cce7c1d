"""Caller numbers at rest: encrypted (Fernet), looked up by keyed hash, shown masked.

The secret comes from an environment variable (settings.privacy.number_key_env, default
IVR_NUMBER_KEY): any string of at least 16 characters. Two independent keys are derived from it,
one for Fernet encryption and one for the HMAC-SHA256 look-up hash.

Without the secret, raw numbers are refused: only the masked form and a hash are stored. That
hash is keyed by a random pepper kept in the data directory (`number-pepper`, mode 0600), so
repeat-caller and blacklist look-ups still work on that machine, and a warning is logged once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ivr.masking import mask_number as masked

log = logging.getLogger(__name__)

DEFAULT_NUMBER_KEY_ENV = "IVR_NUMBER_KEY"
MIN_SECRET_LENGTH = 16
PEPPER_FILE = "number-pepper"

_warned_lock = threading.Lock()
_warned = False


def mask_number(number: str | None) -> str | None:
    """ivr.masking's 138****5678, keeping None for "no number"."""
    return None if number is None else masked(number)


def normalise_number(number: str) -> str:
    """The form hashed for look-ups: digits and a leading +, nothing else."""
    n = number.strip()
    keep = "".join(ch for ch in n if ch.isdigit())
    return ("+" + keep) if n.startswith("+") else keep


@dataclass(frozen=True)
class ProtectedNumber:
    """A caller number as stored: never the raw string unless encrypted."""

    encrypted: str | None
    hashed: str
    masked: str


class NumberProtector:
    """Encrypts, hashes and masks caller numbers. Thread-safe (stateless after init)."""

    def __init__(
        self,
        secret: str | None,
        data_dir: Path | None = None,
        env_name: str = DEFAULT_NUMBER_KEY_ENV,
    ):
        self._fernet: Fernet | None = None
        if secret:
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"the caller-number key must be at least {MIN_SECRET_LENGTH} characters "
                    f"long (got {len(secret)})"
                )
            raw = secret.encode()
            fkey = hashlib.sha256(b"ivr-number-fernet\x00" + raw).digest()
            self._fernet = Fernet(base64.urlsafe_b64encode(fkey))
            self._hash_key = hashlib.sha256(b"ivr-number-hmac\x00" + raw).digest()
        else:
            self._hash_key = _load_pepper(data_dir)
            _warn_once(env_name)

    @classmethod
    def from_env(cls, env_name: str = DEFAULT_NUMBER_KEY_ENV, data_dir: Path | None = None):
        return cls(os.environ.get(env_name) or None, data_dir, env_name)

    @property
    def has_key(self) -> bool:
        return self._fernet is not None

    def hash(self, number: str) -> str:
        return hmac.new(self._hash_key, normalise_number(number).encode(), "sha256").hexdigest()

    def protect(self, number: str | None) -> ProtectedNumber | None:
        if number is None or not number.strip():
            return None
        encrypted = None
        if self._fernet is not None:
            encrypted = self._fernet.encrypt(number.strip().encode()).decode("ascii")
        masked = mask_number(number)
        assert masked is not None
        return ProtectedNumber(encrypted=encrypted, hashed=self.hash(number), masked=masked)

    def reveal(self, encrypted: str | None) -> str | None:
        """The raw number, or None when there is no key or nothing was encrypted."""
        if encrypted is None or self._fernet is None:
            return None
        try:
            return self._fernet.decrypt(encrypted.encode("ascii")).decode()
        except InvalidToken:
            log.warning("a caller number could not be decrypted with the configured key")
            return None


def _load_pepper(data_dir: Path | None) -> bytes:
    if data_dir is None:
        return hashlib.sha256(b"ivr-number-pepper-ephemeral" + secrets.token_bytes(32)).digest()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / PEPPER_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
    for _ in range(50):  # another process may be between create and write
        text = path.read_text().strip()
        if len(text) == 64:
            return bytes.fromhex(text)
        threading.Event().wait(0.01)
    raise ValueError(f"{path} does not hold a 64-hex-digit pepper; delete it to make a new one")


def _warn_once(env_name: str) -> None:
    global _warned
    with _warned_lock:
        if _warned:
            return
        _warned = True
    log.warning(
        "no caller-number key configured (env %s): raw caller numbers will NOT be stored, "
        "only the masked form and a hash; set the variable to a secret of %d+ characters",
        env_name,
        MIN_SECRET_LENGTH,
    )
