"""Caller numbers at rest: encrypted (Fernet), looked up by keyed hash, shown masked.

The secret comes from an environment variable (settings.privacy.number_key_env, default
IVR_NUMBER_KEY): any string of at least 16 characters. Two independent keys are derived from it,
one for Fernet encryption and one for the HMAC-SHA256 look-up hash. The secret is never written
to the data directory, so whoever copies the directory and the database gets no number back.

Without the secret only the masked form (138****5678) is stored: no hash at all. A hash keyed by
anything kept beside the database (the old `number-pepper` file) plus the mask gave the number
back by brute force over the 4 hidden digits in 0.24 s, and over every mobile number in hours
without the mask. So blacklist and repeat-caller look-ups need the key; without it they are off
and a warning says so once. The database enforces "a hash only beside ciphertext" (migration 0003).

What the caller said (the ticket's surname and transcript, issue 13) is sealed with the same
Fernet key: the column and the journal line hold `fernet:<token>`, readers unseal it. Without the
key these are stored in clear, and the no-key warning says so. The other choices lose what a
caller said: a masked surname (王*) cannot be read back to the caller, and dropping the transcript
leaves only the recording, which the retention purge deletes; a ticket is a promise to call back
about what was said, so in clear beats lost. Production refuses to run without the key anyway.
A sealed value read without the key (or with another key) shows as SEALED, never as ciphertext.

Production mode (`IVR_ENV=production`, set by the Dockerfile) makes a missing key a FAIL of
`ivr doctor`; tests and the demo run without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ivr.masking import mask_number as masked

log = logging.getLogger(__name__)

DEFAULT_NUMBER_KEY_ENV = "IVR_NUMBER_KEY"
MIN_SECRET_LENGTH = 16
LEGACY_PEPPER_FILE = "number-pepper"  # written before migration 0003; removed at start
PRODUCTION_ENV = "IVR_ENV"
PRODUCTION_VALUE = "production"
SEALED_PREFIX = "fernet:"  # marks a sealed surname / transcript (older rows hold clear text)
SEALED = "[sealed: set IVR_NUMBER_KEY to read]"

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
    hashed: str | None  # only with the key (beside the ciphertext), else None
    masked: str


class NumberProtector:
    """Encrypts, hashes and masks caller numbers. Thread-safe (stateless after init)."""

    def __init__(self, secret: str | None, env_name: str = DEFAULT_NUMBER_KEY_ENV):
        self._fernet: Fernet | None = None
        self._hash_key: bytes | None = None
        self.env_name = env_name
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
            _warn_once(env_name)

    @classmethod
    def from_env(cls, env_name: str = DEFAULT_NUMBER_KEY_ENV) -> NumberProtector:
        return cls(os.environ.get(env_name) or None, env_name)

    @property
    def has_key(self) -> bool:
        return self._fernet is not None

    def hash(self, number: str) -> str | None:
        """The look-up hash, or None without the key (nothing can be matched then)."""
        if self._hash_key is None:
            return None
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

    def seal(self, words: str | None) -> str | None:
        """What a caller said, as stored: `fernet:<token>` with the key, as given without it
        (None and "" stay as they are: nothing to hide)."""
        if not words or self._fernet is None:
            return words
        return SEALED_PREFIX + self._fernet.encrypt(words.encode()).decode("ascii")

    def unseal(self, stored: str | None) -> str | None:
        """The words back from seal(); clear text (older rows, no key) is returned as it is,
        a sealed value that this key cannot open as SEALED."""
        if not stored or not stored.startswith(SEALED_PREFIX):
            return stored
        if self._fernet is None:
            return SEALED
        try:
            return self._fernet.decrypt(stored[len(SEALED_PREFIX):].encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            log.warning("a sealed surname or transcript could not be decrypted with the "
                        "configured key")
            return SEALED

    def reveal(self, encrypted: str | None) -> str | None:
        """The raw number, or None when there is no key or nothing was encrypted."""
        if encrypted is None or self._fernet is None:
            return None
        try:
            return self._fernet.decrypt(encrypted.encode("ascii")).decode()
        except InvalidToken:
            log.warning("a caller number could not be decrypted with the configured key")
            return None


def remove_legacy_pepper(data_dir: Path) -> bool:
    """Delete the `number-pepper` file older versions kept beside the database (its hashes are
    dropped by migration 0003, and it only ever helped an attacker). True when one was removed."""
    path = Path(data_dir) / LEGACY_PEPPER_FILE
    if not path.exists():
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("the old %s file could not be removed: %s", path, exc.strerror or exc)
        return False
    log.info("removed the old %s file from the data directory (no longer used)",
             LEGACY_PEPPER_FILE)
    return True


def production_mode() -> bool:
    """True when the environment says this is a production install (IVR_ENV=production)."""
    return os.environ.get(PRODUCTION_ENV, "").strip().lower() == PRODUCTION_VALUE


def _warn_once(env_name: str) -> None:
    global _warned
    with _warned_lock:
        if _warned:
            return
        _warned = True
    log.warning(
        "no caller-number key configured (env %s): caller numbers will NOT be stored, only "
        "the masked form; blacklist and repeat-caller look-ups are off; caller surnames and "
        "transcripts are stored in clear; set the variable to "
        "a secret of %d+ characters (kept outside the data directory)",
        env_name,
        MIN_SECRET_LENGTH,
    )
