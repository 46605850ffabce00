"""The notifier: drains the durable outbox of status-report and inbound pushes to partners.

Each round claims a batch of due outbox rows (leased, so several notifiers can share the
outbox), POSTs them in parallel over one kept-alive HTTP client, and records the results in one
write: any 2xx acknowledges; anything else, or no answer, schedules the next attempt by
``core.pushes.next_attempt`` (first retry within 10 s, given up after 24 h). A crash between
the POST and the write only means the partner may see a push twice, never that one is lost.

The lease is as long as a round can take (each POST is cut off after ``post_timeout``; a batch
goes out in ``batch / concurrency`` waves), plus one timeout of margin: pushes a dead process
had claimed are sent again that soon after it died, not minutes later.

A round runs on callbacks: at most ``concurrency`` POSTs are started as futures on the push
client's connections and each answer starts the next one. Profiling (py-spy, ~1,000 pushes/s)
had put 18% of the dispatcher+notifier process in the per-push path — a task, a semaphore and a
timeout scope per push, an HMAC key derived per push, an ``httpx.Response`` built per answer.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

import httpx

from hongyan.core.accounts import push_secret, push_signer, sign_push
from hongyan.core.pushes import PushJob, next_attempt
from hongyan.services import metrics
from hongyan.services.connectors.push_client import Answer, PushClient
from hongyan.services.timing import utcnow, wait_any
from hongyan.store.base import Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hongyan-Signature"
MAX_SIGNERS = 4096  # accounts' push signers kept keyed (cleared past that: derived again)
BodyFormatter = Callable[[PushJob], tuple[bytes, str]]  # (body, content type)
# (attempts so far, created at, now) → next attempt, or None to give up
PushRetry = Callable[[int, datetime, datetime], datetime | None]


class Notifier:
    def __init__(
        self,
        *,
        store: Store,
        client: PushClient,
        server_key: bytes,
        format_body: BodyFormatter,
        clock: Callable[[], datetime] = utcnow,
        retry: PushRetry = next_attempt,
        batch: int = 200,
        concurrency: int = 64,
        post_timeout: float = 10.0,
        lease_seconds: float | None = None,  # None: as long as the slowest possible round
        poll_seconds: float = 0.5,
    ) -> None:
        self._store = store
        self._client = client
        self._key = server_key
        self._format = format_body
        self._clock = clock
        self._retry = retry
        self._batch = batch
        self._concurrency = max(concurrency, 1)
        self._signers: dict[tuple[int, int], hmac.HMAC] = {}  # (account, secret version)
        self._post_timeout = post_timeout
        waves = math.ceil(batch / max(concurrency, 1))
        self._lease = lease_seconds or post_timeout * (waves + 1)
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self.delivered = 0
        self.failed = 0

    def wake(self) -> None:
        """Tell the notifier new pushes may be due (saves waiting for the next poll)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # the store or network failing must not kill the role
                log.exception("notifier round failed; retrying")
                handled = 0
            if handled >= self._batch:
                continue
            self._wake.clear()
            await wait_any(stop, self._wake, timeout=self._poll)

    async def run_once(self) -> int:
        jobs = await self._store.claim_pushes(self._clock(), self._batch, self._lease)
        if not jobs:
            return 0
        results = await _Round(jobs, self._start, self._reason, self._concurrency).run()
        now = self._clock()
        delivered = [job.id for job, error in zip(jobs, results, strict=True) if error is None]
        retry = [
            (job.id, self._retry(job.attempts + 1, job.created_at, now), error)
            for job, error in zip(jobs, results, strict=True)
            if error is not None
        ]
        await self._store.finish_pushes(now, delivered=delivered, retry=retry)
        self.delivered += len(delivered)
        self.failed += len(retry)
        abandoned = sum(1 for _, at, _ in retry if at is None)
        metrics.PUSHES.labels("delivered").inc(len(delivered))
        metrics.PUSHES.labels("retry").inc(len(retry) - abandoned)
        metrics.PUSHES.labels("abandoned").inc(abandoned)
        return len(jobs)

    def _start(self, job: PushJob) -> asyncio.Future[Answer]:
        """Start the POST of one push."""
        body, content_type = self._format(job)
        headers = {
            "Content-Type": content_type,
            SIGNATURE_HEADER: sign_push(self._signer(job), body),
            "X-Hongyan-Push": job.kind.value,
        }
        return self._client.start_post(job.url, body, headers, timeout=self._post_timeout)

    def _signer(self, job: PushJob) -> hmac.HMAC:
        """The account's push secret, keyed (the derivation is deterministic: done once)."""
        key = (job.account_id, job.push_secret_version)
        signer = self._signers.get(key)
        if signer is None:
            if len(self._signers) >= MAX_SIGNERS:
                self._signers.clear()
            secret = push_secret(self._key, job.account_id, job.push_secret_version)
            signer = self._signers[key] = push_signer(secret)
        return signer

    def _reason(self, answered: asyncio.Future[Answer]) -> str | None:
        """``None`` when the push was acknowledged, else why not."""
        exc = answered.exception()
        if exc is None:
            status = answered.result().status
            return None if 200 <= status < 300 else f"HTTP {status}"
        if isinstance(exc, httpx.TimeoutException):
            return f"no answer within {self._post_timeout:g} s"
        if isinstance(exc, httpx.HTTPError):
            return f"{type(exc).__name__}: {exc}"[:200]
        raise exc  # not the network: the round fails, as any bug would


class _Round:
    """One round's POSTs, at most ``limit`` under way, each answer starting the next: the
    futures' callbacks drive it, not a task per push. Its ``run`` gives why each push failed
    (``None``: acknowledged); if starting a push or reading an answer raises, the round fails
    with that error and starts nothing more."""

    def __init__(
        self,
        jobs: Sequence[PushJob],
        start: Callable[[PushJob], asyncio.Future[Answer]],
        reason: Callable[[asyncio.Future[Answer]], str | None],
        limit: int,
    ) -> None:
        self._jobs = jobs
        self._start = start
        self._reason = reason
        self._limit = limit
        self._errors: list[str | None] = [None] * len(jobs)
        self._next = 0  # the next job to start
        self._open = 0  # started, not answered
        self._done: asyncio.Future[list[str | None]] = asyncio.get_running_loop().create_future()

    def run(self) -> asyncio.Future[list[str | None]]:
        while self._next < len(self._jobs) and self._open < self._limit and not self._done.done():
            self._launch()
        if not self._jobs:
            self._done.set_result([])
        return self._done

    def _launch(self) -> None:
        index = self._next
        self._next += 1
        try:
            answered = self._start(self._jobs[index])
        except Exception as exc:
            self._done.set_exception(exc)
            return
        self._open += 1
        answered.add_done_callback(partial(self._answered, index))

    def _answered(self, index: int, answered: asyncio.Future[Answer]) -> None:
        self._open -= 1
        if answered.cancelled():  # only at shutdown: the round ends with it
            self._done.cancel()
            return
        try:
            self._errors[index] = self._reason(answered)
        except Exception as exc:
            if not self._done.done():
                self._done.set_exception(exc)
            return
        if self._done.done():  # failed, or the round was cancelled: start nothing more
            return
        if self._next < len(self._jobs):
            self._launch()
        elif self._open == 0:
            self._done.set_result(self._errors)
