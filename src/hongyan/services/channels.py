"""Channels: the configured carrier connections, as the dispatcher sees them.

Each ``[[channels]]`` entry becomes a ``CarrierChannel`` that runs one connector per bind *slot*
this process holds: an SMPP connector (one bind: a transceiver, or a transmitter + receiver
pair) or, for ``protocol = "cmpp"``, a CMPP connector (one ISMG connection). Which slots
it holds is decided by the bind leases (``services/leases.py``): with several dispatchers, each
channel's ``binds`` slots are spread over them and no carrier ever sees more than ``binds``
sessions. The channel's ``tps`` is split evenly over its slots, so the limit holds across
processes too. The dispatcher hands a claimed message to the channel, which submits it on its
least busy bind and gives carrier ids or a classified error back. Receipts and inbound messages
any bind receives go to the delivery sink as core records (the store matches a receipt to its
message whichever process submitted it).

``protocol = "simulator"`` runs the built-in SMSC simulator in this process on the channel's
host and port and binds to it over real SMPP, for demos and trials. Both connectors answer
the same calls (``Connector``) and give the same results, receipts and inbound messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from hongyan.config import ChannelSettings
from hongyan.core.inbound import NewInbound
from hongyan.core.messages import ClaimedMessage
from hongyan.core.numbers import normalize
from hongyan.core.receipts import ReceiptRecord
from hongyan.services.connectors.cmpp_client import CmppConnector
from hongyan.services.connectors.smpp_client import ReceiptDone, SmppConnector
from hongyan.services.connectors.smpp_types import (
    BindMode,
    ConnectorStats,
    DeliverEvent,
    Inbound,
    OutboundMessage,
    Receipt,
    SubmitResult,
)
from hongyan.services.deliveries import DeliverySink
from hongyan.services.dispatcher import ChannelResult
from hongyan.simulator import SmscSimulator
from hongyan.store.base import BindState

log = logging.getLogger(__name__)
SimulatorFactory = Callable[[ChannelSettings], SmscSimulator]
# (channel, seconds from submit_sm_resp to its receipt): fed to metrics
ReceiptLatency = Callable[[str, float], None]
_REMEMBERED = 100_000  # carrier ids kept for the receipt latency (oldest forgotten first)


def default_simulator(channel: ChannelSettings) -> SmscSimulator:
    return SmscSimulator(host=channel.host, port=channel.port, dlr_delay=0.5)


class Connector(Protocol):
    """What a channel drives on each bind slot: ``SmppConnector`` or ``CmppConnector``."""

    @property
    def bound(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def stats(self) -> ConnectorStats: ...

    def submit_nowait(
        self, message: OutboundMessage, done: Callable[[SubmitResult], None]
    ) -> None: ...

    def withdraw(self, reason: str) -> None: ...


class _Slot:
    """One held bind slot: its connector and what it has done since this process took it."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.starting: asyncio.Task[None] | None = None
        self.handed = 0  # messages handed to this bind and not answered yet
        self.last_error: str | None = None


class CarrierChannel:
    def __init__(
        self,
        settings: ChannelSettings,
        sink: DeliverySink,
        connector_options: Mapping[str, Any] | None = None,
        on_receipt_latency: ReceiptLatency | None = None,
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.paused = False
        self._sink = sink
        self._options = dict(connector_options or {})
        self._slots: dict[int, _Slot] = {}
        self._on_latency = on_receipt_latency
        self._submitted_at: OrderedDict[str, float] = OrderedDict()
        self._retired = (0, 0, 0)  # submits, errors, throttles of binds let go

    # --- slots (driven by the bind leases) ------------------------------------------------

    @property
    def slots(self) -> frozenset[int]:
        return frozenset(self._slots)

    def hold(self, slot: int) -> None:
        """Start the bind of a slot this process just acquired (binding goes on in the back)."""
        if slot in self._slots:
            return
        held = _Slot(self._connector())
        held.starting = asyncio.ensure_future(held.connector.start())
        self._slots[slot] = held
        log.info("%s: bind slot %d acquired", self.name, slot, extra={"channel": self.name})

    def release(self, slot: int) -> Connector | None:
        """Stop submitting on a slot at once; returns its connector for the caller to stop."""
        held = self._slots.pop(slot, None)
        if held is None:
            return None
        if held.starting is not None and not held.starting.done():
            held.starting.cancel()
        stats = held.connector.stats()
        submits, errors, throttles = self._retired
        self._retired = (
            submits + stats.submitted,
            errors + stats.errors,
            throttles + stats.throttles,
        )
        log.info("%s: bind slot %d let go", self.name, slot, extra={"channel": self.name})
        return held.connector

    async def drop(self, slot: int) -> None:
        """Release a slot and unbind it (in-flight submit_sm get their answers first)."""
        connector = self.release(slot)
        if connector is not None:
            await connector.stop()

    def _connector(self) -> Connector:
        s = self.settings
        if s.protocol == "cmpp":
            return CmppConnector(
                name=s.name,
                host=s.host,
                port=s.port,
                system_id=s.system_id,
                password=s.password,
                service_id=s.service_id,
                src_id=s.src_id,
                binds=1,
                window=s.window,
                tps=s.tps / s.binds,
                on_deliver=self._deliver,
                on_receipt=self._receipt,
                **self._options,
            )
        return SmppConnector(
            name=s.name,
            host=s.host,
            port=s.port,
            system_id=s.system_id,
            password=s.password,
            system_type=s.system_type,
            bind_mode=BindMode(s.bind),
            binds=1,
            window=s.window,
            tps=s.tps / s.binds,
            on_deliver=self._deliver,
            on_receipt=self._receipt,
            **self._options,
        )

    def bind_states(self) -> list[BindState]:
        states = []
        for number, held in sorted(self._slots.items()):
            stats = held.connector.stats()
            states.append(
                BindState(
                    channel=self.name,
                    slot=number,
                    bound=held.connector.bound,
                    window_in_use=stats.window_in_use,
                    submits=stats.submitted,
                    errors=stats.errors,
                    throttles=stats.throttles,
                    queue_depth=held.handed,
                    last_error=held.last_error,
                )
            )
        return states

    def totals(self) -> tuple[int, int, int]:
        """Submits, errors and throttles of every bind this process ran (for metrics)."""
        submits, errors, throttles = self._retired
        for held in self._slots.values():
            stats = held.connector.stats()
            submits, errors = submits + stats.submitted, errors + stats.errors
            throttles += stats.throttles
        return submits, errors, throttles

    async def wait_started(self) -> None:
        starting = [h.starting for h in self._slots.values() if h.starting is not None]
        await asyncio.gather(*starting, return_exceptions=True)

    # --- submitting -----------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return any(held.connector.bound for held in self._slots.values())

    def _pick(self) -> _Slot | None:
        best: _Slot | None = None
        for held in self._slots.values():
            if held.connector.bound and (best is None or held.handed < best.handed):
                best = held
        return best

    async def submit(self, message: ClaimedMessage) -> ChannelResult:
        future: asyncio.Future[ChannelResult] = asyncio.get_running_loop().create_future()
        self.submit_nowait(message, future.set_result)
        return await future

    def submit_nowait(self, message: ClaimedMessage, done: Callable[[ChannelResult], None]) -> None:
        """Queue ``message`` on the least busy bind; ``done`` gets the outcome (maybe at once)."""
        held = self._pick()
        if held is None:
            done(ChannelResult(None, "no bind up", True))
            return
        held.handed += 1

        def answered(result: SubmitResult) -> None:
            held.handed -= 1
            if result.ok:
                if self._on_latency is not None:
                    self._remember(result.carrier_ids)
                done(ChannelResult(result.carrier_ids))
            else:
                held.last_error = result.reason
                done(ChannelResult(None, result.reason, result.temporary))

        held.connector.submit_nowait(
            OutboundMessage(
                source_addr=message.source_addr,
                destination_addr=message.recipient,
                text=message.text,
                registered_delivery=message.registered_delivery,
                expires_at=message.expires_at,
            ),
            answered,
        )

    def withdraw(self) -> None:
        """Answer, as temporary and at once, the messages waiting in the binds' queues none
        of whose segments was sent (a message partly sent is finished: no part goes twice)."""
        for held in self._slots.values():
            held.connector.withdraw("dispatcher stopping")

    def _remember(self, carrier_ids: Iterable[str]) -> None:
        now = time.monotonic()
        for carrier_id in carrier_ids:
            self._submitted_at[carrier_id] = now
        while len(self._submitted_at) > _REMEMBERED:
            self._submitted_at.popitem(last=False)

    async def _deliver(self, event: DeliverEvent) -> None:
        if isinstance(event, Inbound):
            await self._sink.inbound(
                NewInbound(
                    channel=self.name,
                    source=normalize(event.source_addr, national="CN") or event.source_addr,
                    destination=event.destination_addr,
                    text=event.text,
                    received_at=event.received_at,
                )
            )
            return
        await self._sink.receipt(self._record(event))  # receipts come through _receipt
        self._observe_latency(event.carrier_id)

    def _receipt(self, event: Receipt, done: ReceiptDone) -> None:
        """Hand a receipt to the sink; ``done`` answers the SMSC after the commit.

        The submit time was remembered when submit_sm_resp was read, ahead of this receipt.
        """
        self._sink.receipt_nowait(self._record(event), done)
        self._observe_latency(event.carrier_id)

    def _record(self, event: Receipt) -> ReceiptRecord:
        return ReceiptRecord(
            channel=self.name,
            carrier_id=event.carrier_id,
            stat=event.stat,
            error_code=event.err,
            done_at=event.done_at or datetime.now(UTC),
        )

    def _observe_latency(self, carrier_id: str) -> None:
        sent = self._submitted_at.pop(carrier_id, None)
        if sent is not None and self._on_latency is not None:
            self._on_latency(self.name, time.monotonic() - sent)


SmppChannel = CarrierChannel  # its name before CMPP


class ChannelSet:
    """Every configured channel (and the simulators some run), started and stopped together."""

    def __init__(
        self,
        settings: Iterable[ChannelSettings],
        sink: DeliverySink,
        simulator_factory: SimulatorFactory | None = None,
        connector_options: Mapping[str, Any] | None = None,
        on_receipt_latency: ReceiptLatency | None = None,
    ) -> None:
        self._settings = tuple(settings)
        self._sink = sink
        self._connector_options = dict(connector_options or {})
        self._make_simulator = simulator_factory or default_simulator
        self._on_latency = on_receipt_latency
        self.simulators: dict[str, SmscSimulator] = {}
        self.by_name: dict[str, CarrierChannel] = {}

    async def start(self) -> None:
        """Start the simulators some channels run; binds start as the leases are acquired."""
        for channel in self._settings:
            if channel.protocol == "simulator":
                simulator = self._make_simulator(channel)
                await simulator.start()
                self.simulators[channel.name] = simulator
                channel = replace(channel, port=simulator.port)
            self.by_name[channel.name] = CarrierChannel(
                channel, self._sink, self._connector_options, self._on_latency
            )

    async def stop(self) -> None:
        for channel in self.by_name.values():
            for slot in sorted(channel.slots):
                with contextlib.suppress(Exception):
                    await channel.drop(slot)
        for simulator in self.simulators.values():
            await simulator.stop()

    async def wait_started(self) -> None:
        """Until every held bind is up, or its connector gave up waiting (it keeps trying)."""
        for channel in self.by_name.values():
            await channel.wait_started()

    def serving(self) -> frozenset[str]:
        """Channels this process may submit on now: a held slot bound, not paused.

        A slot just taken over (or a link that dropped) is not serving until its bind is up:
        claiming for it then would only spend an attempt and a retry delay on "channel down".
        """
        return frozenset(n for n, c in self.by_name.items() if c.available and not c.paused)

    def bind_states(self) -> list[BindState]:
        return [state for channel in self.by_name.values() for state in channel.bind_states()]
