"""Partner authentication for every dialect, with a credential cache and failure throttling.

A slow hash (argon2id) per request would cap a partner at a few requests per second per core,
so a verified credential is cached under a keyed hash of what was presented (never the secret
itself) for a short time, together with the stored hash it was checked against: a password
change replaces the stored hash and so invalidates the entry at once. Accounts are re-read
from the store at most every ``account_ttl`` seconds.

REST API keys (``hy_<prefix>_<secret>``) need no slow hash (see ``core.api_keys``): their row
and account are cached by prefix for ``account_ttl`` seconds, so a key revoked in any process
stops working within that time (at once in the process that revoked it, via ``forget_key``).
Their ``last_used_at`` is written at most once per ``touch_interval`` per key.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hongyan.core.accounts import Account, md5_hex, verify_md5
from hongyan.core.api_keys import matches, parse_key
from hongyan.core.errors import Refusal
from hongyan.services.timing import utcnow
from hongyan.store.base import ApiKey, ApiKeyCredential, Store


@dataclass(frozen=True)
class AuthResult:
    account: Account | None
    refusal: Refusal | None


@dataclass(frozen=True)
class KeyAuthResult:
    account: Account | None
    key: ApiKey | None
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
        clock: Callable[[], datetime] = utcnow,
        touch_interval: float = 60.0,
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
        self._clock = clock
        self._touch_interval = touch_interval
        # prefix → (key row, its account, expiry); key id → when last_used_at was last written
        self._keys: dict[str, tuple[ApiKeyCredential | None, Account | None, float]] = {}
        self._touched: dict[int, float] = {}

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
        self._keys = {p: e for p, e in self._keys.items() if e[1] is None or e[1].name != name}

    def forget_key(self, prefix: str) -> None:
        """Drop a cached API key (after revoking it)."""
        self._keys.pop(prefix, None)

    async def check_api_key(self, presented: str, address: str | None) -> KeyAuthResult:
        if self._throttled(address):
            return KeyAuthResult(None, None, Refusal.TOO_MANY_ATTEMPTS)
        parsed = parse_key(presented)
        credential, account = await self._key_entry(parsed.prefix) if parsed else (None, None)
        if (
            parsed is None
            or credential is None
            or account is None
            or credential.key.revoked_at is not None
            or not matches(credential.key_hash, parsed)
        ):
            self._fail(address)
            return KeyAuthResult(None, None, Refusal.BAD_PASSWORD)
        if not account.allows_address(address):
            return KeyAuthResult(account, credential.key, Refusal.IP_NOT_ALLOWED)
        if not account.active:
            return KeyAuthResult(account, credential.key, Refusal.ACCOUNT_STOPPED)
        await self._touch(credential.key)
        return KeyAuthResult(account, credential.key, None)

    async def _key_entry(self, prefix: str) -> tuple[ApiKeyCredential | None, Account | None]:
        now = self._now()
        cached = self._keys.get(prefix)
        if cached is not None and cached[2] > now:
            return cached[0], cached[1]
        credential = await self._store.find_api_key(prefix)
        account = None
        if credential is not None:
            account = await self._store.get_account_by_id(credential.key.account_id)
        if len(self._keys) > 10_000:
            self._keys = {k: v for k, v in self._keys.items() if v[2] > now}
        self._keys[prefix] = (credential, account, now + self._account_ttl)
        return credential, account

    async def _touch(self, key: ApiKey) -> None:
        now = self._now()
        last = self._touched.get(key.id)
        if last is not None and now - last < self._touch_interval:
            return
        self._touched[key.id] = now
        await self._store.touch_api_key(key.id, self._clock())

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
        # hmac.digest: the same bytes as hmac.new(...).digest(), in one call into OpenSSL.
        cache_key = hmac.digest(self._key, f"{account.name}\0{presented_md5}".encode(), "sha256")
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
        if (address or "") not in self._failures:  # the usual request: nothing to expire
            return self._max_failures <= 0
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
