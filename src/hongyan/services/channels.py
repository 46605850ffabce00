"""Channels: the configured carrier connections, as the dispatcher sees them.

Each ``[[channels]]`` entry becomes an SMPP connector (its binds, window and rate) wrapped so
the dispatcher can hand it a claimed message and get carrier ids or a classified error back.
Receipts and inbound messages the connector receives go to the delivery sink as core records.
``protocol = "simulator"`` runs the built-in SMSC simulator in this process on the channel's
host and port and binds to it over real SMPP, for demos and trials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hongyan.config import ChannelSettings
from hongyan.core.errors import HongyanError
from hongyan.core.inbound import NewInbound
from hongyan.core.messages import ClaimedMessage
from hongyan.core.numbers import normalize
from hongyan.core.receipts import ReceiptRecord
from hongyan.services.connectors.smpp_client import SmppConnector
from hongyan.services.connectors.smpp_types import (
    BindMode,
    DeliverEvent,
    Inbound,
    OutboundMessage,
)
from hongyan.services.deliveries import DeliverySink
from hongyan.services.dispatcher import ChannelResult
from hongyan.simulator import SmscSimulator

SimulatorFactory = Callable[[ChannelSettings], SmscSimulator]


def default_simulator(channel: ChannelSettings) -> SmscSimulator:
    return SmscSimulator(host=channel.host, port=channel.port, dlr_delay=0.5)


class SmppChannel:
    def __init__(
        self,
        settings: ChannelSettings,
        sink: DeliverySink,
        connector_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self._sink = sink
        self.connector = SmppConnector(
            name=settings.name,
            host=settings.host,
            port=settings.port,
            system_id=settings.system_id,
            password=settings.password,
            system_type=settings.system_type,
            bind_mode=BindMode(settings.bind),
            binds=settings.binds,
            window=settings.window,
            tps=settings.tps,
            on_deliver=self._deliver,
            **dict(connector_options or {}),
        )

    @property
    def available(self) -> bool:
        return self.connector.bound

    async def submit(self, message: ClaimedMessage) -> ChannelResult:
        result = await self.connector.submit(
            OutboundMessage(
                source_addr=message.source_addr,
                destination_addr=message.recipient,
                text=message.text,
                registered_delivery=message.registered_delivery,
            )
        )
        if result.ok:
            return ChannelResult(result.carrier_ids)
        return ChannelResult(None, result.reason, result.temporary)

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
        else:
            await self._sink.receipt(
                ReceiptRecord(
                    channel=self.name,
                    carrier_id=event.carrier_id,
                    stat=event.stat,
                    error_code=event.err,
                    done_at=event.done_at or datetime.now(UTC),
                )
            )


class ChannelSet:
    """Every configured channel (and the simulators some run), started and stopped together."""

    def __init__(
        self,
        settings: Iterable[ChannelSettings],
        sink: DeliverySink,
        simulator_factory: SimulatorFactory | None = None,
        connector_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._settings = tuple(settings)
        self._sink = sink
        self._connector_options = dict(connector_options or {})
        self._make_simulator = simulator_factory or default_simulator
        self.simulators: dict[str, SmscSimulator] = {}
        self.by_name: dict[str, SmppChannel] = {}
        for channel in self._settings:
            if channel.protocol == "cmpp":
                raise HongyanError(f"channel {channel.name!r}: CMPP is not available yet")

    async def start(self) -> None:
        for channel in self._settings:
            if channel.protocol == "simulator":
                simulator = self._make_simulator(channel)
                await simulator.start()
                self.simulators[channel.name] = simulator
                channel = replace(channel, port=simulator.port)
            self.by_name[channel.name] = SmppChannel(channel, self._sink, self._connector_options)
        for smpp in self.by_name.values():
            await smpp.connector.start()

    async def stop(self) -> None:
        for channel in self.by_name.values():
            await channel.connector.stop()
        for simulator in self.simulators.values():
            await simulator.stop()
