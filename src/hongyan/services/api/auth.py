"""Partner authentication for every dialect, with a credential cache and failure throttling.

A slow hash (argon2id) per request would cap a partner at a few requests per second per core,
so a verified credential is cached under a keyed hash of what was presented (never the secret
itself) for a short time, together with the stored hash it was checked against: a password
change replaces the stored hash and so invalidates the entry at once. Accounts are re-read
from the store at most every ``account_ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from hongyan.core.accounts import Account, md5_hex, verify_md5
from hongyan.core.errors import Refusal
from hongyan.store.base import Store


@dataclass(frozen=True)
class AuthResult:
    account: Account | None
    refusal: Refusal | None


class Authenticator:
    def __init__(
        self,
        *,
        store: Store,
        server_key: bytes,
        monotonic: Callable[[], float] = time.monotonic,
        credential_ttl: float = 300.0,
        account_ttl: float = 1.0,
        max_failures: int = 10,
        failure_window: float = 60.0,
    ) -> None:
        self._store = store
        self._key = server_key
        self._now = monotonic
        self._credential_ttl = credential_ttl
        self._account_ttl = account_ttl
        self._max_failures = max_failures
        self._failure_window = failure_window
        self._credentials: dict[bytes, tuple[str, float]] = {}  # key → (stored hash, expiry)
        self._accounts: dict[str, tuple[Account | None, float]] = {}
        self._failures: dict[str, list[float]] = {}

    async def account(self, name: str) -> Account | None:
        cached = self._accounts.get(name)
        now = self._now()
        if cached is not None and cached[1] > now:
            return cached[0]
        account = await self._store.get_account(name)
        self._accounts[name] = (account, now + self._account_ttl)
        if len(self._accounts) > 10_000:
            self._accounts = {k: v for k, v in self._accounts.items() if v[1] > now}
        return account

    def forget(self, name: str) -> None:
        """Drop what is cached for an account (after a password or setting change)."""
        self._accounts.pop(name, None)

    async def check_password(self, name: str, password: str, address: str | None) -> AuthResult:
        return await self.check_md5(name, md5_hex(password), address)

    async def check_md5(self, name: str, presented_md5: str, address: str | None) -> AuthResult:
        if self._throttled(address):
            return AuthResult(None, Refusal.TOO_MANY_ATTEMPTS)
        account = await self.account(name)
        if account is None:
            self._fail(address)
            return AuthResult(None, Refusal.UNKNOWN_ACCOUNT)
        if not await self._verified(account, presented_md5.lower()):
            self._fail(address)
            return AuthResult(account, Refusal.BAD_PASSWORD)
        if not account.allows_address(address):
            return AuthResult(account, Refusal.IP_NOT_ALLOWED)
        if not account.active:
            return AuthResult(account, Refusal.ACCOUNT_STOPPED)
        return AuthResult(account, None)

    async def _verified(self, account: Account, presented_md5: str) -> bool:
        cache_key = hmac.new(
            self._key, f"{account.name}\0{presented_md5}".encode(), hashlib.sha256
        ).digest()
        cached = self._credentials.get(cache_key)
        now = self._now()
        if cached is not None and cached[1] > now and cached[0] == account.password_hash:
            return True
        # argon2 takes ~100 ms of CPU: keep the event loop free while it runs.
        ok = await asyncio.to_thread(verify_md5, account.password_hash, presented_md5)
        if ok:
            if len(self._credentials) > 100_000:
                self._credentials = {k: v for k, v in self._credentials.items() if v[1] > now}
            self._credentials[cache_key] = (account.password_hash, now + self._credential_ttl)
        return ok

    def _throttled(self, address: str | None) -> bool:
        recent = self._recent_failures(address or "")
        return len(recent) >= self._max_failures

    def _recent_failures(self, address: str) -> list[float]:
        horizon = self._now() - self._failure_window
        recent = [t for t in self._failures.get(address, ()) if t > horizon]
        if recent:
            self._failures[address] = recent
        else:
            self._failures.pop(address, None)
        return recent

    def _fail(self, address: str | None) -> None:
        self._recent_failures(address or "")
        self._failures.setdefault(address or "", []).append(self._now())
