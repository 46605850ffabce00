"""What the SMPP and CMPP connector tests share: a sink for what the connector hands over,
the quick timings every test connector runs with, and checks both protocols pass alike
against their simulator (whose counters are read by the names in its ``STATS``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from hongyan.services.connectors.smpp_types import (
    DeliverEvent,
    Inbound,
    OutboundMessage,
    Receipt,
    SubmitResult,
)
from hongyan.simulator.cmpp import CmppSimulator
from hongyan.simulator.smsc import SmscSimulator

Simulator = SmscSimulator | CmppSimulator
Done = Callable[[BaseException | None], None]

# A test connector's options whatever its protocol: short timeouts, quick reconnects.
QUICK: dict[str, Any] = {
    "name": "test",
    "host": "127.0.0.1",
    "response_timeout": 2.0,
    "reconnect_delay": 0.02,
    "throttle_delay": 0.01,
}


class Sink:
    """An ``on_deliver`` that records each event (or fails the next ``fail_next`` calls)."""

    def __init__(self) -> None:
        self.events: list[DeliverEvent] = []
        self.changed = asyncio.Event()
        self.fail_next = 0

    async def __call__(self, event: DeliverEvent) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database unavailable")
        self.events.append(event)
        self.changed.set()

    async def wait_for(self, count: int) -> list[DeliverEvent]:
        async with asyncio.timeout(5):
            while len(self.events) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.events


class Connector(Protocol):
    @property
    def bound(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, message: OutboundMessage) -> SubmitResult: ...

    def stats(self) -> Any: ...


def count(sim: Simulator, counter: str) -> int:
    """The simulator's counter named ``counter`` in its ``STATS`` (``active``, ``refused`` …)."""
    value: int = getattr(sim.stats, getattr(sim.STATS, counter))
    return value


async def wait_bound(connector: Connector) -> None:
    async with asyncio.timeout(5):
        while not connector.bound:
            await asyncio.sleep(0.01)


async def check_tps_paces_submits(connector: Connector, message: OutboundMessage) -> None:
    """60 submits at ``tps = 200``: a burst of rate/10, then 200/s (stops the connector)."""
    await connector.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(connector.submit(message) for _ in range(60)))
    elapsed = loop.time() - started
    assert all(r.ok for r in results)
    assert elapsed >= (60 - 20) / 200 * 0.9
    await connector.stop()


async def check_inbound_reassembled(
    sim: Simulator, connector: Connector, sink: Sink, source: str, destination: str
) -> None:
    """A long MO reaches ``on_deliver`` whole, once, and every part is acknowledged."""
    text = "回复内容 😀 " * 20
    parts = sim.inject_mo(source, destination, text)
    assert parts > 1
    [inbound] = await sink.wait_for(1)
    assert isinstance(inbound, Inbound)
    assert (inbound.text, inbound.source_addr, inbound.destination_addr) == (
        text,
        source,
        destination,
    )
    await sim.wait_until(lambda: count(sim, "acknowledged") == parts)
    assert connector.stats().inbound == 1


async def check_failing_on_deliver_is_delivered_again(sim: Simulator, sink: Sink) -> None:
    """``on_deliver`` failing refuses the delivery; the carrier sends it again."""
    sink.fail_next = 1
    sim.inject_mo("13800138000", "10690019", "TD")
    [inbound] = await sink.wait_for(1)
    assert isinstance(inbound, Inbound) and inbound.text == "TD"
    await sim.wait_until(lambda: count(sim, "acknowledged") == 1)
    assert count(sim, "refused") == 1


async def check_receipts_answered_when_done_is_called(
    sim: Simulator, connect: Callable[..., Connector], message: OutboundMessage
) -> None:
    """``on_receipt`` gets each receipt at once; the answer to the carrier waits for
    ``done`` (an error asks the carrier to deliver again). ``connect(on_receipt=…)`` makes
    the connector."""
    handed: list[tuple[Receipt, Done]] = []
    arrived = asyncio.Event()

    def on_receipt(receipt: Receipt, done: Done) -> None:
        handed.append((receipt, done))
        arrived.set()

    connector = connect(on_receipt=on_receipt)
    await connector.start()
    result = await connector.submit(message)
    await arrived.wait()
    [(receipt, done)] = handed
    assert receipt.carrier_id == result.carrier_ids[0]
    assert count(sim, "acknowledged") == 0
    arrived.clear()
    done(RuntimeError("database unavailable"))
    await arrived.wait()  # delivered again
    await sim.wait_until(lambda: count(sim, "refused") == 1)
    handed[1][1](None)
    await sim.wait_until(lambda: count(sim, "acknowledged") == 1)
    assert connector.stats().receipts == 1
    await connector.stop()


async def check_reconnect_after_the_carrier_drops_the_link(
    sim: Simulator, connector: Connector, message: OutboundMessage
) -> None:
    assert (await connector.submit(message)).ok
    assert sim.drop_connections() == 1
    await sim.wait_until(lambda: count(sim, "active") == 0)
    await sim.wait_until(lambda: count(sim, "active") == 1)
    await wait_bound(connector)
    assert (await connector.submit(message)).ok
    assert connector.stats().reconnects == 1


async def check_stop_closes_every_link(sim: Simulator, connector: Connector) -> None:
    """A connector with two links (``binds=2``) is stopped: the carrier sees both go."""
    await connector.start()
    await sim.wait_until(lambda: count(sim, "active") == 2)
    assert connector.stats().binds_up == 2
    await connector.stop()
    await sim.wait_until(lambda: count(sim, "active") == 0)
    assert sim.stats.connections_dropped == 0 and not connector.bound


async def check_no_carrier_fails_fast_as_temporary(
    connect: Callable[..., Connector], message: OutboundMessage
) -> None:
    """``connect(port=…)`` to a port nobody listens on: the submit fails, as temporary."""
    async with SmscSimulator() as gone:
        port = gone.port
    connector = connect(port=port, response_timeout=0.2, reconnect_delay=0.05)
    await connector.start()
    result = await connector.submit(message)
    assert (result.ok, result.temporary) == (False, True)
    await connector.stop()
