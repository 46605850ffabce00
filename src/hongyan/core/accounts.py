"""Partner accounts: who may send, from where, with what balance and limits.

Passwords are never stored: the store keeps an argon2id hash of the password's MD5 hex (lower
case). The 企信通 dialect receives the plain password and hashes it with MD5 first; HI8D
receives the MD5 hex itself. Both end at the same slow hash, so one stored value serves both.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
_MD5_HEX = re.compile(r"^[0-9a-fA-F]{32}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
SERVICE_CODE_PATTERN = re.compile(r"^\d{1,20}$")
# Shortest account password: the 企信通 rule (cpwd refuses 4 characters or fewer, error 6016),
# kept by every way a password is set (CLI, console, portal).
MIN_PASSWORD = 5


@dataclass(frozen=True)
class Limits:
    max_recipients: int = 300  # per request
    long_max_chars: int = 500  # longest concatenated message, in characters
    sends_per_second: int = 0  # 0 = no limit
    max_body_bytes: int = 2_000_000  # largest HTTP request body accepted


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    password_hash: str
    active: bool
    balance: int  # in segments
    service_code: str  # 特服号
    short_name: str
    allowed_networks: tuple[str, ...] = ()  # CIDR; empty = anywhere
    report_url: str | None = None
    inbound_url: str | None = None
    limits: Limits = field(default_factory=Limits)
    registered_extensions: tuple[str, ...] = ()  # empty = any extension allowed
    allow_long: bool = True  # gsend may send concatenated messages
    push_secret_version: int = 1

    def allows_address(self, address: str | None) -> bool:
        return address_allowed(self.allowed_networks, address)


def md5_hex(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """The stored form of a plain password."""
    return _HASHER.hash(md5_hex(password))


def verify_md5(stored_hash: str, presented_md5: str) -> bool:
    """Check the MD5 hex of a password (either case) against the stored hash."""
    if not _MD5_HEX.match(presented_md5):
        return False
    try:
        return _HASHER.verify(stored_hash, presented_md5.lower())
    except (VerificationError, InvalidHashError):
        return False


def verify_password(stored_hash: str, password: str) -> bool:
    return verify_md5(stored_hash, md5_hex(password))


def push_secret(server_key: bytes, account_id: int, version: int) -> str:
    """The per-account secret that signs pushes, derived (never stored) from the server key."""
    message = f"push-secret:{account_id}:{version}".encode()
    return hmac.new(server_key, message, hashlib.sha256).hexdigest()[:40]


def push_signer(secret: str) -> hmac.HMAC:
    """``secret`` keyed once for many pushes: ``sign_push`` copies it per body, at about half
    the cost of keying HMAC anew."""
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)


def sign_push(secret: str | hmac.HMAC, body: bytes) -> str:
    """``X-Hongyan-Signature`` value: HMAC-SHA256 of the body, hex (a push secret, or the
    ``push_signer`` of one)."""
    mac = secret.copy() if isinstance(secret, hmac.HMAC) else push_signer(secret)
    mac.update(body)
    return mac.hexdigest()


def parse_networks(values: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate CIDR strings; raises ``ValueError`` naming the bad one."""
    out = []
    for value in values:
        try:
            out.append(str(ipaddress.ip_network(value.strip(), strict=False)))
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not an IP network (expected CIDR like 10.0.0.0/8)"
            ) from exc
    return tuple(out)


def address_allowed(networks: tuple[str, ...], address: str | None) -> bool:
    if not networks:
        return True
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net) for net in networks)
