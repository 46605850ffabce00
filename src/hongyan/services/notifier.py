"""The notifier: drains the durable outbox of status-report and inbound pushes to partners.

Each round claims a batch of due outbox rows (leased, so several notifiers can share the
outbox), POSTs them in parallel over one kept-alive HTTP client, and records the results in one
write: any 2xx acknowledges; anything else, or no answer, schedules the next attempt by
``core.pushes.next_attempt`` (first retry within 10 s, given up after 24 h). A crash between
the POST and the write only means the partner may see a push twice, never that one is lost.

The lease is as long as a round can take (each POST is cut off after ``post_timeout``; a batch
goes out in ``batch / concurrency`` waves), plus one timeout of margin: pushes a dead process
had claimed are sent again that soon after it died, not minutes later.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import datetime

import httpx

from hongyan.core.accounts import push_secret, sign_push
from hongyan.core.pushes import PushJob, next_attempt
from hongyan.services import metrics
from hongyan.services.timing import utcnow, wait_any
from hongyan.store.base import Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hongyan-Signature"
BodyFormatter = Callable[[PushJob], tuple[bytes, str]]  # (body, content type)
# (attempts so far, created at, now) → next attempt, or None to give up
PushRetry = Callable[[int, datetime, datetime], datetime | None]


class Notifier:
    def __init__(
        self,
        *,
        store: Store,
        client: httpx.AsyncClient,
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
        self._slots = asyncio.Semaphore(concurrency)
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
        results = await asyncio.gather(*(self._post(job) for job in jobs))
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

    async def _post(self, job: PushJob) -> str | None:
        """POST one push; ``None`` when acknowledged, else why not."""
        body, content_type = self._format(job)
        secret = push_secret(self._key, job.account_id, job.push_secret_version)
        headers = {
            "Content-Type": content_type,
            SIGNATURE_HEADER: sign_push(secret, body),
            "X-Hongyan-Push": job.kind.value,
        }
        async with self._slots:
            try:
                async with asyncio.timeout(self._post_timeout):
                    response = await self._client.post(job.url, content=body, headers=headers)
            except TimeoutError:
                return f"no answer within {self._post_timeout:g} s"
            except httpx.HTTPError as exc:
                return f"{type(exc).__name__}: {exc}"[:200]
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"
