"""Prometheus metrics: what each role counts as it works, and figures read from the store.

Counters and histograms are updated where the work happens (the HTTP middleware, the send
path, the dispatcher's flush, the delivery sink, the notifier, the store's commits). Channel
gauges (binds, window in use, queue depth) are sampled from the process's own binds every
second by ``ChannelSampler``. Queue figures (messages by state, due backlog and its age, push
backlog) come from the store when ``/metrics`` is scraped, at most once per ``max_age`` seconds
and cheaply (see ``Store.queue_stats``): scrapes of a table of millions of rows stay fast.

Several processes on one machine (``hongyan serve --workers N``) use prometheus-client's
multiprocess mode: the supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before starting its
children, each writes its values there, and whichever API worker answers a scrape adds them
all up (gauges of live processes are summed). Every metric is listed with its labels in
docs/reference/metrics.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from hongyan.services.timing import utcnow, wait_any
from hongyan.store.base import QueueStats, Store

if TYPE_CHECKING:  # channels → dispatcher → metrics: no import at run time
    from hongyan.core.admission import RecipientDecision
    from hongyan.core.errors import Refusal
    from hongyan.services.channels import ChannelSet

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "hongyan_http_requests", "HTTP requests answered", ["dialect", "endpoint", "status"]
)
REQUEST_SECONDS = Histogram(
    "hongyan_http_request_seconds",
    "Time to answer an HTTP request",
    ["dialect"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ACCEPTED = Counter(
    "hongyan_messages_accepted", "Messages admitted and committed (one per recipient)"
)
REFUSALS = Counter(
    "hongyan_admission_refusals",
    "Refused at admission: whole requests, or single recipients of a request",
    ["reason"],
)
SUBMIT_RESULTS = Counter(
    "hongyan_submit_results",
    "Dispatcher results written: submitted, retry, failed, expired, unclaimed",
    ["outcome"],
)
CHANNEL_SUBMITS = Counter(
    "hongyan_channel_submits", "submit_sm answered ESME_ROK (segments)", ["channel"]
)
CHANNEL_ERRORS = Counter(
    "hongyan_channel_errors", "submit_sm refused, timed out or lost with the link", ["channel"]
)
CHANNEL_THROTTLES = Counter(
    "hongyan_channel_throttles", "ESME_RTHROTTLED / ESME_RMSGQFUL answers", ["channel"]
)
CHANNEL_BINDS = Gauge("hongyan_channel_binds", "Binds up", ["channel"], multiprocess_mode="livesum")
CHANNEL_SLOTS = Gauge(
    "hongyan_channel_slots_held",
    "Bind slots this process holds the lease for",
    ["channel"],
    multiprocess_mode="livesum",
)
CHANNEL_WINDOW = Gauge(
    "hongyan_channel_window_in_use",
    "submit_sm awaiting their submit_sm_resp",
    ["channel"],
    multiprocess_mode="livesum",
)
CHANNEL_QUEUE = Gauge(
    "hongyan_channel_queue_depth",
    "Messages handed to the channel's binds and not answered yet",
    ["channel"],
    multiprocess_mode="livesum",
)
CHANNEL_PAUSED = Gauge(
    "hongyan_channel_paused",
    "1 while operators have paused the channel",
    ["channel"],
    multiprocess_mode="livemax",
)
RECEIPT_LATENCY = Histogram(
    "hongyan_channel_receipt_latency_seconds",
    "From submit_sm_resp to the delivery receipt (receipts on the bind's own process)",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
RECEIPTS = Counter("hongyan_receipts", "Delivery receipts recorded: matched, pending", ["outcome"])
INBOUND = Counter("hongyan_inbound", "Inbound (MO) messages recorded")
PUSHES = Counter(
    "hongyan_pushes", "Push attempts by outcome: delivered, retry, abandoned", ["outcome"]
)
STORE_BATCH = Histogram(
    "hongyan_store_batch_operations",
    "Operations committed per transaction (SQLite group commit; 1 per PostgreSQL verb)",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
STORE_COMMIT = Histogram(
    "hongyan_store_commit_seconds",
    "Time of one store transaction, commit included",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
STORE_LOCK_WAIT = Histogram(
    "hongyan_store_lock_wait_seconds",
    "SQLite: time a transaction waited for the database's write lock (held by another process)",
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10),
)


def count_admission(
    refusal: Refusal | None, refused: Sequence[RecipientDecision], ids: Sequence[int]
) -> None:
    """A send request's outcome: the whole request refused, or its recipients one by one."""
    if refusal is not None:
        REFUSALS.labels(refusal.name.lower()).inc()
        return
    for decision in refused:
        if decision.refusal is not None:
            REFUSALS.labels(decision.refusal.name.lower()).inc()
    if ids:
        ACCEPTED.inc(len(ids))


def observe_commit(operations: int, seconds: float) -> None:
    """The store's commit observer (``Store.on_commit``)."""
    STORE_BATCH.observe(operations)
    STORE_COMMIT.observe(seconds)


def observe_lock_wait(seconds: float) -> None:
    """The store's lock observer (``Store.on_lock_wait``; only SQLite has one lock to wait for)."""
    STORE_LOCK_WAIT.observe(seconds)


def watch_store(store: Store) -> None:
    """Observe the store's commits and, on SQLite, its waits for the write lock."""
    store.on_commit = observe_commit
    store.on_lock_wait = observe_lock_wait


def observe_receipt_latency(channel: str, seconds: float) -> None:
    # Once per receipt: the labelled child is kept, as labels() costs a lock and a lookup each
    # time (~4% of the dispatcher's samples in the 100-recipient benchmark).
    child = _LATENCY_BY_CHANNEL.get(channel)
    if child is None:
        child = _LATENCY_BY_CHANNEL[channel] = RECEIPT_LATENCY.labels(channel)
    child.observe(seconds)


_LATENCY_BY_CHANNEL: dict[str, Any] = {}


@dataclass
class _Totals:
    submits: int = 0
    errors: int = 0
    throttles: int = 0


class ChannelSampler:
    """Copies this process's bind figures into the channel metrics every ``every`` seconds."""

    def __init__(self, channels: ChannelSet, every: float = 1.0) -> None:
        self._channels = channels
        self._every = every
        self._seen: dict[str, _Totals] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            await wait_any(stop, timeout=self._every)
        self.sample()

    def sample(self) -> None:
        for name, channel in self._channels.by_name.items():
            states = channel.bind_states()
            CHANNEL_SLOTS.labels(name).set(len(states))
            CHANNEL_BINDS.labels(name).set(sum(1 for s in states if s.bound))
            CHANNEL_WINDOW.labels(name).set(sum(s.window_in_use for s in states))
            CHANNEL_QUEUE.labels(name).set(sum(s.queue_depth for s in states))
            CHANNEL_PAUSED.labels(name).set(1 if channel.paused else 0)
            submits, errors, throttles = channel.totals()
            seen = self._seen.setdefault(name, _Totals())
            CHANNEL_SUBMITS.labels(name).inc(max(0, submits - seen.submits))
            CHANNEL_ERRORS.labels(name).inc(max(0, errors - seen.errors))
            CHANNEL_THROTTLES.labels(name).inc(max(0, throttles - seen.throttles))
            self._seen[name] = _Totals(submits, errors, throttles)


@dataclass
class QueueFigures:
    """The store's queue figures, read at most once per ``max_age`` seconds."""

    store: Store
    max_age: float = 5.0
    timeout: float = 5.0
    stats: QueueStats | None = None
    read_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self.read_at < self.max_age:
                return
            try:
                async with asyncio.timeout(self.timeout):
                    self.stats = await self.store.queue_stats(utcnow())
            except Exception as exc:  # a slow or absent database must not break the scrape
                log.warning("queue figures not read: %s", exc or type(exc).__name__)
            self.read_at = time.monotonic()

    def collect(self, now: datetime | None = None) -> Iterator[Metric]:
        stats = self.stats
        if stats is None:
            return
        states = GaugeMetricFamily(
            "hongyan_messages", "Messages by state (large tables: estimated)", labels=["state"]
        )
        for state, count in sorted(stats.states.items(), key=lambda kv: kv[0].value):
            states.add_metric([state.value], count)
        yield states
        yield GaugeMetricFamily(
            "hongyan_queue_due", "Messages due and waiting to be claimed", value=stats.due
        )
        oldest = stats.oldest_due_at
        age = max(0.0, ((now or utcnow()) - oldest).total_seconds()) if oldest else 0.0
        yield GaugeMetricFamily(
            "hongyan_queue_oldest_due_age_seconds",
            "How long the oldest due message waits",
            value=age,
        )
        yield GaugeMetricFamily(
            "hongyan_push_backlog", "Pushes waiting to be delivered", value=stats.push_backlog
        )
        yield GaugeMetricFamily(
            "hongyan_push_retry_backlog",
            "Pushes waiting that failed at least once",
            value=stats.push_retries,
        )
