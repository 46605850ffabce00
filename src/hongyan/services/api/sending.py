"""The send path every dialect shares: admission decisions, then one durable, charged insert.

A request's accepted messages are committed (with the balance debit) before anything is
answered; the store batches concurrent requests into one transaction (group commit).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hongyan.core.accounts import Account
from hongyan.core.admission import Admission, SendRequest, admit, normalize_all, refuse
from hongyan.core.errors import InsufficientBalance, Refusal
from hongyan.services import metrics
from hongyan.services.timing import utcnow
from hongyan.store.base import Store

# Commits an admission's messages in place of ``Store.admit`` (the REST API's Idempotency-Key
# writes its answer in the same transaction); returns their ids, raises InsufficientBalance.
AdmitHook = Callable[[Account, Admission], Awaitable[list[int]]]


@dataclass(frozen=True)
class SendOutcome:
    admission: Admission
    ids: tuple[int, ...]  # one per admission.messages, in order

    @property
    def refusal(self) -> Refusal | None:
        """The whole request's refusal (``None`` when recipients were judged one by one)."""
        return self.admission.refusal

    @property
    def first_refusal(self) -> Refusal:
        """Why nothing was sent when every recipient was refused: the first one's reason."""
        for decision in self.admission.refused:
            if decision.refusal is not None:
                return decision.refusal
        return Refusal.NO_RECIPIENTS


class BannedWords:
    """The banned-word list, re-read from the store at most every ``ttl`` seconds."""

    def __init__(self, store: Store, ttl: float = 5.0) -> None:
        self._store = store
        self._ttl = ttl
        self._words: tuple[str, ...] = ()
        self._expires = 0.0

    async def get(self) -> tuple[str, ...]:
        now = time.monotonic()
        if now >= self._expires:
            self._words = tuple(await self._store.list_banned_words())
            self._expires = now + self._ttl
        return self._words


class RequestRate:
    """An account's ``sends_per_second``: send requests per second, one second's burst.

    Per process: with N API processes an account may reach N times its rate.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}  # account id → (tokens, when)

    def allow(self, account: Account) -> bool:
        rate = account.limits.sends_per_second
        if rate <= 0:
            return True
        now = self._now()
        tokens, last = self._buckets.get(account.id, (float(rate), now))
        tokens = min(float(rate), tokens + (now - last) * rate)
        allowed = tokens >= 1
        self._buckets[account.id] = (tokens - 1 if allowed else tokens, now)
        return allowed


class Sender:
    def __init__(
        self,
        *,
        store: Store,
        banned_words: BannedWords,
        clock: Callable[[], datetime] = utcnow,
        on_admitted: Callable[[Account, tuple[int, ...]], None] = lambda account, ids: None,
        rate: RequestRate | None = None,
        validity: timedelta | None = None,
    ) -> None:
        self._rate = rate or RequestRate()
        self._validity = validity
        self._store = store
        self._banned = banned_words
        self._clock = clock
        self._on_admitted = on_admitted

    async def banned_words(self) -> tuple[str, ...]:
        return await self._banned.get()

    async def send(
        self, account: Account, request: SendRequest, *, commit: AdmitHook | None = None
    ) -> SendOutcome:
        outcome = await self._send(account, request, commit=commit)
        metrics.count_admission(outcome.admission.refusal, outcome.admission.refused, outcome.ids)
        return outcome

    async def _send(
        self, account: Account, request: SendRequest, *, commit: AdmitHook | None = None
    ) -> SendOutcome:
        if not self._rate.allow(account):
            return SendOutcome(refuse(request, Refusal.RATE_LIMITED), ())
        if account.active and len(request.recipients) > account.limits.max_recipients:
            # admit() refuses this too, but only after normalizing and looking up every number:
            # seconds of CPU for 100,000 of them. Refuse before any per-number work.
            return SendOutcome(refuse(request, Refusal.TOO_MANY_RECIPIENTS), ())
        normalized = normalize_all(request)
        numbers = [n for n in normalized if n is not None]
        blocked = await self._store.blacklisted(account.id, numbers) if numbers else set()
        admission = admit(
            account,
            request,
            now=self._clock(),
            banned_words=await self._banned.get(),
            is_blacklisted=blocked.__contains__,
            normalized=normalized,
            validity=self._validity,  # the platform's, unless the request has its own
        )
        if admission.refusal is not None or not admission.messages:
            return SendOutcome(admission, ())
        try:
            if commit is None:
                ids = await self._store.admit(account.id, admission.messages)
            else:
                ids = await commit(account, admission)
        except InsufficientBalance:
            return SendOutcome(refuse(request, Refusal.INSUFFICIENT_BALANCE), ())
        self._on_admitted(account, tuple(ids))
        return SendOutcome(admission, tuple(ids))
