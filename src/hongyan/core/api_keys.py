"""API keys for the REST API: ``hy_<prefix>_<secret>``, shown once, stored only as a digest.

The public ``prefix`` (12 hex digits) finds the key's row without a scan; the whole presented
key is checked against the stored digest in constant time.

Why a plain SHA-256 digest and not argon2 like passwords: the secret is 40 characters drawn
by ``secrets`` from 62 symbols (≈238 bits), so an offline guess is hopeless whatever the hash,
and a slow hash would only cost CPU on every request. Why not keyed with the server key: it
would add nothing against guessing such a secret, and it would tie every partner's key to the
server key (rotating it would revoke them all). The digest is domain-separated so it can never
equal a digest of the same text used elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

KEY_PATTERN = re.compile(r"^hy_([0-9a-f]{12})_([0-9A-Za-z]{40})$")
_ALPHABET = string.ascii_letters + string.digits
_DOMAIN = b"hongyan api key v1\0"
MAX_LABEL = 100


@dataclass(frozen=True)
class IssuedKey:
    secret: str  # the whole key, "hy_<prefix>_<random>": shown to its owner once, never stored
    prefix: str  # public: finds the row, safe to show in lists
    key_hash: str  # what the store keeps

    def __repr__(self) -> str:  # keep the secret out of logs and tracebacks
        return f"IssuedKey(prefix={self.prefix!r}, key_hash={self.key_hash!r})"


@dataclass(frozen=True)
class PresentedKey:
    prefix: str
    key_hash: str


def key_hash(key: str) -> str:
    return "sha256:" + hashlib.sha256(_DOMAIN + key.encode("ascii")).hexdigest()


def issue_api_key() -> IssuedKey:
    """A new random key; give ``secret`` to the partner and store ``prefix`` and ``key_hash``."""
    prefix = secrets.token_hex(6)
    body = "".join(secrets.choice(_ALPHABET) for _ in range(40))
    key = f"hy_{prefix}_{body}"
    return IssuedKey(secret=key, prefix=prefix, key_hash=key_hash(key))


def parse_key(presented: str) -> PresentedKey | None:
    """The lookup prefix and digest of a presented key, or ``None`` when it is not one of ours."""
    found = KEY_PATTERN.match(presented)
    if found is None:
        return None
    return PresentedKey(prefix=found.group(1), key_hash=key_hash(presented))


def matches(stored_hash: str, presented: PresentedKey) -> bool:
    return hmac.compare_digest(stored_hash, presented.key_hash)


def check_label(label: str) -> str:
    """A key's label, stripped; ``ValueError`` when empty, too long or not printable."""
    label = label.strip()
    if not label:
        raise ValueError("a key needs a label (what or who uses it)")
    if len(label) > MAX_LABEL:
        raise ValueError(f"a label has at most {MAX_LABEL} characters")
    if not label.isprintable():
        raise ValueError("a label cannot contain control characters")
    return label
