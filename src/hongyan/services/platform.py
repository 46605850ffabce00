"""The running platform: builds every role from the settings and runs them until told to stop.

``hongyan serve --role all`` runs the API, the dispatcher (with its carrier binds and the
delivery sink) and the notifier in one process; each role can also run alone against a shared
PostgreSQL. Shutdown is graceful: the HTTP server stops taking requests, the dispatcher stops
claiming and finishes (or hands back, through the claim lease) what is in flight, binds unbind,
and the store's pending writes are committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine, Generator, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from starlette.routing import BaseRoute

from hongyan.admin import routes as back_office  # the one upward import: contract 5
from hongyan.config import Settings
from hongyan.core.accounts import Account
from hongyan.core.messages import SubmitSuccess
from hongyan.core.pushes import next_attempt
from hongyan.core.retry import SubmitRetryPolicy
from hongyan.core.routing import Route, Router
from hongyan.services import metrics, wakeups
from hongyan.services.api.app import create_app
from hongyan.services.api.auth import Authenticator
from hongyan.services.api.context import ApiContext
from hongyan.services.api.http_protocol import CoalescingHttpProtocol
from hongyan.services.api.sending import BannedWords, Sender
from hongyan.services.channels import ChannelSet, SimulatorFactory
from hongyan.services.connectors.push_client import PushClient
from hongyan.services.deliveries import DeliverySink
from hongyan.services.dispatcher import Dispatcher
from hongyan.services.keys import load_server_key
from hongyan.services.leases import BindLeases, new_owner
from hongyan.services.metrics_http import metrics_app, metrics_endpoint
from hongyan.services.notifier import Notifier, PushRetry
from hongyan.services.pushes import format_push
from hongyan.store import connect
from hongyan.store.base import Store

log = logging.getLogger(__name__)
ROLES = ("api", "dispatcher", "notifier")


class Observer(Protocol):
    """Sees messages move (``hongyan demo`` prints a line for each)."""

    def accepted(self, account: Account, ids: tuple[int, ...]) -> None: ...
    def submitted(self, success: SubmitSuccess) -> None: ...
    def finished(self, ids: tuple[int, ...]) -> None: ...


@dataclass(frozen=True)
class Tuning:
    """Knobs the settings file does not expose: tests and benchmarks shorten waits with them."""

    submit_retry: SubmitRetryPolicy | None = None  # None: first delay from dispatcher settings
    push_retry: PushRetry = next_attempt
    connector_options: dict[str, Any] = field(default_factory=dict)  # both connectors' keywords
    dispatcher_poll_seconds: float = 0.25
    notifier_poll_seconds: float = 0.5
    pending_receipt_ttl: timedelta = timedelta(hours=1)  # unmatched receipts kept this long
    queue_figures_max_age: float = 5.0  # /metrics reads the queue figures at most this often
    receipt_sweep: timedelta = timedelta(minutes=1)  # how often lost receipts are looked for


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the platform owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass
class Platform:
    settings: Settings
    roles: frozenset[str] = frozenset(ROLES)
    base_dir: Path = field(default_factory=Path.cwd)
    extra_routes: list[BaseRoute] = field(default_factory=list)
    sockets: list[socket.socket] | None = None  # pre-bound listening sockets (tests, --workers)
    store: Store | None = None
    dispatcher: Dispatcher | None = None
    notifier: Notifier | None = None
    sink: DeliverySink | None = None
    channels: ChannelSet | None = None
    context: ApiContext | None = None
    server: uvicorn.Server | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    observer: Observer | None = None
    simulator_factory: SimulatorFactory | None = None
    tuning: Tuning = field(default_factory=Tuning)
    owner: str = field(default_factory=new_owner)  # this process in bind leases and claims
    leases: BindLeases | None = None
    _announcers: list[wakeups.Announcer] = field(default_factory=list)
    _wake_dispatchers: wakeups.Announcer | None = None  # api without a dispatcher here

    async def run(self, stop: asyncio.Event) -> None:
        store = self.store = connect(self.settings.database.url)
        metrics.watch_store(store)
        await store.open()
        try:
            await store.upgrade()
            key = load_server_key(self.settings.security, self.base_dir)
            async with contextlib.AsyncExitStack() as stack:
                tasks = await self._start_roles(stack, store, key, stop)
                self.started.set()
                await stop.wait()
                if self.server is not None:
                    self.server.should_exit = True
                await asyncio.gather(*tasks, return_exceptions=True)
                for announcer in self._announcers:
                    await announcer.close()
        finally:
            await store.close()

    async def _start_roles(
        self, stack: contextlib.AsyncExitStack, store: Store, key: bytes, stop: asyncio.Event
    ) -> list[asyncio.Task[None]]:
        tasks: list[asyncio.Task[None]] = []
        if "notifier" in self.roles:
            tasks.append(asyncio.create_task(await self._notifier(stack, store, key, stop)))
            assert self.notifier is not None
            stack.push_async_callback(await store.listen(wakeups.OUTBOX, self.notifier.wake))
        if "dispatcher" in self.roles:
            tasks += await self._dispatcher(store, stop)
        if "api" in self.roles:
            tasks.append(asyncio.create_task(self._api(store, key)))
        elif self.settings.metrics.port:
            tasks.append(asyncio.create_task(self._metrics_listener(store)))
        return tasks

    async def _notifier(
        self, stack: contextlib.AsyncExitStack, store: Store, key: bytes, stop: asyncio.Event
    ) -> Coroutine[Any, Any, None]:
        cfg = self.settings.notifier
        client = await stack.enter_async_context(
            PushClient(timeout=cfg.timeout_seconds, max_connections=cfg.concurrency)
        )
        self.notifier = Notifier(
            store=store,
            client=client,
            server_key=key,
            format_body=format_push,
            retry=self.tuning.push_retry,
            batch=cfg.batch,
            concurrency=cfg.concurrency,
            post_timeout=cfg.timeout_seconds,
            poll_seconds=self.tuning.notifier_poll_seconds,
        )
        return self.notifier.run(stop)

    async def _dispatcher(self, store: Store, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        cfg = self.settings.dispatcher
        notifier, observer = self.notifier, self.observer
        self.sink = DeliverySink(
            store=store,
            on_committed=notifier.wake if notifier else self._announcer(store, wakeups.OUTBOX),
            on_finished=observer.finished if observer else lambda ids: None,
            pending_receipt_ttl=self.tuning.pending_receipt_ttl,
        )
        sink_stop = asyncio.Event()
        sink_task = asyncio.create_task(self.sink.run(sink_stop))
        channels = self.channels = ChannelSet(
            self.settings.channels,
            self.sink,
            self.simulator_factory,
            self.tuning.connector_options,
            on_receipt_latency=metrics.observe_receipt_latency,
        )
        await channels.start()
        dispatcher = self.dispatcher = self._make_dispatcher(store, channels)
        leases = self.leases = BindLeases(
            store=store,
            channels=channels,
            owner=self.owner,
            renew_seconds=cfg.bind_renew_seconds,
            ttl_seconds=cfg.bind_lease_seconds,
            on_change=dispatcher.wake,
        )
        await leases.round()  # bind what is free before claiming anything
        await channels.wait_started()
        leases_stop = asyncio.Event()
        leases_task = asyncio.create_task(leases.run(leases_stop))
        sampler_task = asyncio.create_task(metrics.ChannelSampler(channels).run(leases_stop))
        unlisten = await store.listen(wakeups.DUE, dispatcher.wake)

        async def run_dispatcher() -> None:
            try:
                await dispatcher.run(stop)
            finally:
                await unlisten()
                leases_stop.set()
                await leases_task  # unbind (receipts in flight answered first), release slots
                await sampler_task
                await channels.stop()
                sink_stop.set()
                await sink_task

        return [asyncio.create_task(run_dispatcher())]

    def _make_dispatcher(self, store: Store, channels: ChannelSet) -> Dispatcher:
        cfg, observer = self.settings.dispatcher, self.observer
        router = Router(Route(r.prefix, r.channels) for r in self.settings.routes)
        for index, route in router.unreachable():
            log.warning(
                "routes[%d] (prefix %r) never matches: an earlier route covers it",
                index,
                route.prefix,
            )
        return Dispatcher(
            store=store,
            channels=channels.by_name,
            router=router,
            owner=self.owner,
            batch=cfg.batch,
            lease_seconds=cfg.lease_seconds,
            max_in_flight=cfg.max_in_flight,
            retry_policy=self.tuning.submit_retry
            or SubmitRetryPolicy(first_delay=timedelta(seconds=cfg.retry_seconds)),
            poll_seconds=self.tuning.dispatcher_poll_seconds,
            on_submitted=observer.submitted if observer else lambda success: None,
            serving=channels.serving,
            receipt_grace=timedelta(hours=cfg.receipt_grace_hours),
            sweep_every=self.tuning.receipt_sweep,
        )

    def _announcer(self, store: Store, topic: str) -> wakeups.Announcer:
        announcer = wakeups.Announcer(store, topic)
        self._announcers.append(announcer)
        return announcer

    def _api(self, store: Store, key: bytes) -> Coroutine[Any, Any, None]:
        http = self.settings.http
        if "dispatcher" not in self.roles:
            self._wake_dispatchers = self._announcer(store, wakeups.DUE)
        self.context = ApiContext(
            store=store,
            authenticator=Authenticator(store=store, server_key=key),
            sender=Sender(
                store=store,
                banned_words=BannedWords(store),
                on_admitted=self._admitted,
                validity=timedelta(hours=self.settings.dispatcher.validity_hours),
            ),
            trusted_proxies=http.trusted_proxies,
            server_key=key,
        )
        scrape = metrics_endpoint(
            self.settings.metrics,
            metrics.QueueFigures(store, self.tuning.queue_figures_max_age),
            http.trusted_proxies,
        )
        app = create_app(
            self.context, [scrape, *self.extra_routes, *back_office(self.settings, key)]
        )
        self.server = _Server(_server_config(app, http.host, http.port))
        if self.sockets is None:
            self.sockets = [listen(http.host, http.port)]
        return self.server.serve(sockets=self.sockets)

    async def _metrics_listener(self, store: Store) -> None:
        """``/metrics`` on ``[metrics] port`` for a process without the API role."""
        cfg = self.settings.metrics
        app = metrics_app(cfg, metrics.QueueFigures(store, self.tuning.queue_figures_max_age))
        self.server = _Server(_server_config(app, cfg.host, cfg.port))
        await self.server.serve(sockets=[listen(cfg.host, cfg.port)])

    def _admitted(self, account: Account, ids: tuple[int, ...]) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s: %d messages accepted",
                account.name,
                len(ids),
                extra={"account": account.name, "message_ids": list(ids)},
            )
        if self.dispatcher is not None:
            self.dispatcher.wake()
        elif self._wake_dispatchers is not None:
            self._wake_dispatchers()
        if self.observer is not None:
            self.observer.accepted(account, ids)

    @property
    def http_port(self) -> int | None:
        """The port the HTTP server listens on, once started (useful with port 0)."""
        return int(self.sockets[0].getsockname()[1]) if self.sockets else None


def _server_config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        http=CoalescingHttpProtocol,
        # Client addresses behind proxies are the API's own business ([http] trusted_proxies):
        # uvicorn's rewriting would let a local client claim any address with X-Forwarded-For.
        proxy_headers=False,
    )


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket; binding here (not in uvicorn) turns "port in use" into OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    # Inherited by accepted connections (Linux): an answer written in more than one turn of
    # the event loop (a streamed body) is several writes, and Nagle holding the second for the
    # peer's delayed ACK costs ~40 ms per request on a kept-alive connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def parse_roles(value: str | Iterable[str]) -> frozenset[str]:
    names = value.split(",") if isinstance(value, str) else list(value)
    roles: set[str] = set()
    for name in (n.strip() for n in names):
        if name == "all":
            roles.update(ROLES)
        elif name in ROLES:
            roles.add(name)
        else:
            raise ValueError(f"unknown role {name!r} (expected api, dispatcher, notifier or all)")
    return frozenset(roles)
