"""What the SMSC (SMPP) and ISMG (CMPP) simulators share: the listening server, connections
by the peer they authenticated as, receipts after a delay, messages held for a peer with
nowhere to receive them, redelivery, refusals by count, fraction and destination prefix, and
the event ``wait_until`` waits on.

A subclass brings its protocol: the connection class, authentication, the answer to a
submit, the receipts and mobile-originated messages it builds, and the names of its stats
(``StatNames``), which follow each protocol's vocabulary (binds for SMPP, connections for
CMPP). Everything here runs on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

DeliverT = TypeVar("DeliverT")


class Connection(Protocol):
    """One peer's connection, as the simulator sees it."""

    peer: str  # the system_id (SMPP) or source address (CMPP) it authenticated as
    pending_deliveries: dict[int, Any]  # sent, not yet answered: by sequence number

    @property
    def receiving(self) -> bool:
        """Whether deliveries can go to this connection now."""
        ...

    def deliver(self, pdu: Any) -> None: ...

    def abort(self) -> None: ...


ConnT = TypeVar("ConnT", bound=Connection)


class Stats(Protocol):
    failed: int
    connections_dropped: int
    mo_sent: int


@dataclass(frozen=True)
class StatNames:
    """The counters of a simulator's stats that the shared events add to."""

    active: str  # authenticated connections now
    peak: str  # the most at once
    rejected: str  # refused authentication or over the limit
    refused_submits: str  # refused by ``refuse_submits`` (throttled, flow control)
    acknowledged: str  # deliveries answered with success
    refused: str  # deliveries answered with an error (and sent again later)
    receipts: str  # receipts handed to a connection


class CarrierSimulator(Generic[ConnT, DeliverT]):
    PROTOCOL: ClassVar[str]  # "smpp", "cmpp"
    STATS: ClassVar[StatNames]
    stats: Stats

    def __init__(
        self,
        *,
        host: str,
        port: int,
        control_port: int | None,
        redeliver_delay: float,
        seed: int | None,
    ) -> None:
        self.host = host
        self.port: int = port
        self.control_port = control_port  # HTTP control endpoint (see control.py); None: none
        self.redeliver_delay = redeliver_delay
        self.connections: set[ConnT] = set()
        self._rng = random.Random(seed)
        self._refuse_count = 0
        self._refuse_fraction = 0.0
        self._fail_prefixes: dict[str, int] = {}
        self._receipts_paused = False
        self._held: deque[tuple[str, DeliverT]] = deque()  # (peer, pdu): nowhere to go yet
        # receipts waiting for their delay, in the order they fell due; one timer for all
        self._due: deque[tuple[float, str, DeliverT]] = deque()
        self._due_timer: asyncio.TimerHandle | None = None
        self._linked: dict[str, list[ConnT]] = defaultdict(list)
        self._servers: list[asyncio.Server] = []
        self._changed = asyncio.Event()

    def _new_connection(self) -> asyncio.BaseProtocol:
        """A connection (a ``ConnT``) for the server to hand a new socket to."""
        raise NotImplementedError

    def _is_receipt(self, pdu: DeliverT) -> bool:
        """Whether ``pdu`` is a receipt (held while receipts are paused)."""
        raise NotImplementedError

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        server = await loop.create_server(
            self._new_connection, self.host, self.port, reuse_address=True
        )
        self._servers = [server]
        self.port = server.sockets[0].getsockname()[1]
        if self.control_port is not None:
            from hongyan.simulator.control import start_control

            try:
                control = await start_control(self, self.host, self.control_port)
            except OSError:
                await self.stop()
                raise
            self._servers.insert(0, control)
            self.control_port = control.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._due_timer is not None:
            self._due_timer.cancel()
            self._due_timer = None
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for conn in list(self.connections):
            conn.abort()
        for server in servers:
            await server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait (event-driven) until ``condition()`` holds; ``TimeoutError`` after ``timeout``."""
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def touch(self) -> None:
        self._changed.set()

    # --- controls -------------------------------------------------------------------------

    def refuse_submits(self, count: int = 0, fraction: float = 0.0) -> None:
        """Refuse the next ``count`` submits as busy, and ``fraction`` of them after."""
        self._refuse_count, self._refuse_fraction = count, fraction

    def clear_failures(self) -> None:
        self._fail_prefixes.clear()

    def drop_connections(self) -> int:
        dropped = list(self.connections)
        for conn in dropped:
            conn.abort()
        self.stats.connections_dropped += len(dropped)
        self.touch()
        return len(dropped)

    def pause_receipts(self, paused: bool = True) -> None:
        """Hold receipts; ``False`` sends the held ones (to a peer with a receiving
        connection: the others stay held)."""
        self._receipts_paused = paused
        if not paused:
            held, self._held = self._held, deque()
            for item in held:
                self._route(*item)

    def _inject(self, peer: str | None, pdus: list[DeliverT]) -> int:
        """Send mobile-originated ``pdus`` to ``peer`` (any with a receiving connection)."""
        target = peer if peer is not None else self._any_peer()
        for pdu in pdus:
            self._route(target, pdu)
        self.stats.mo_sent += len(pdus)
        self.touch()
        return len(pdus)

    def _any_peer(self) -> str:
        for peer, conns in self._linked.items():
            if any(c.receiving for c in conns):
                return peer
        return next(iter(self._linked), "")

    @property
    def held(self) -> int:
        """Deliveries waiting for a receiving connection (or for receipts to be resumed)."""
        return len(self._held)

    # --- counters -------------------------------------------------------------------------

    def _count(self, name: str, n: int = 1) -> None:
        setattr(self.stats, name, getattr(self.stats, name) + n)

    def _reject(self) -> None:
        self._count(self.STATS.rejected)
        self.touch()

    # --- called by connections and subclasses ---------------------------------------------

    def _full(self, peer: str, limit: int | None) -> bool:
        return limit is not None and len(self._linked[peer]) >= limit

    def linked(self, conn: ConnT) -> None:
        """``conn`` has authenticated as ``conn.peer``: deliveries held for it go now."""
        self._linked[conn.peer].append(conn)
        names = self.STATS
        self._count(names.active)
        active = getattr(self.stats, names.active)
        setattr(self.stats, names.peak, max(getattr(self.stats, names.peak), active))
        self.touch()
        if conn.receiving and any(item[0] == conn.peer for item in self._held):
            held, self._held = self._held, deque()
            for item in held:
                if item[0] == conn.peer:
                    self._route(*item)
                else:
                    self._held.append(item)

    def connection_gone(self, conn: ConnT) -> None:
        self.connections.discard(conn)
        if conn in self._linked.get(conn.peer, ()):
            self._linked[conn.peer].remove(conn)
            self._count(self.STATS.active, -1)
        for pdu in conn.pending_deliveries.values():  # unanswered: deliver again later
            self._held.append((conn.peer, pdu))
        conn.pending_deliveries.clear()
        self.touch()

    def deliver_answered(self, conn: ConnT, pdu: DeliverT, ok: bool) -> None:
        """A delivery was answered; one refused is sent again after ``redeliver_delay``."""
        if ok:
            self._count(self.STATS.acknowledged)
        else:
            self._count(self.STATS.refused)
            loop = asyncio.get_running_loop()
            loop.call_later(self.redeliver_delay, self._route, conn.peer, pdu)
        self.touch()

    def _submit_refusal(self, destinations: Iterable[str]) -> int | None:
        """``None`` to take a submit; else the code to refuse it with from the failing
        prefixes (0 for ``refuse_submits``, which the caller answers with its busy code)."""
        if self._refuse_count > 0 or (
            self._refuse_fraction and self._rng.random() < self._refuse_fraction
        ):
            self._refuse_count = max(0, self._refuse_count - 1)
            self._count(self.STATS.refused_submits)
            return 0
        if self._fail_prefixes:
            for destination in destinations:
                for prefix, code in self._fail_prefixes.items():
                    if destination.startswith(prefix):
                        self.stats.failed += 1
                        return code
        return None

    # --- receipts and routing -------------------------------------------------------------

    def _receipt_after(self, delay: float, peer: str, receipt: DeliverT) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        self._due.append((due, peer, receipt))
        if self._due_timer is None:
            self._due_timer = loop.call_at(due + 0.001, self._send_due)

    def _send_due(self) -> None:
        """Send the receipts whose delay is over (the timer is set a millisecond late, so
        receipts falling due close together go in one wake-up; none goes early).

        One timer for the queue rather than one per receipt (a handle, a heap push and pop
        each): the benchmark's simulator went from 0.15-0.16 to 0.13-0.14 ms of CPU per
        message, CPU the gateway under test shares. The delay is the same for every
        receipt, so the queue is in due order (after a smaller delay is set, a receipt may
        wait for the ones queued before it).
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        due = self._due
        while due and due[0][0] <= now:
            _, peer, receipt = due.popleft()
            self._send_receipt(peer, receipt)
        self._due_timer = loop.call_at(due[0][0] + 0.001, self._send_due) if due else None

    def _send_receipt(self, peer: str, receipt: DeliverT) -> None:
        if self._route(peer, receipt):
            self._count(self.STATS.receipts)
        self.touch()  # sent or held

    def _route(self, peer: str, pdu: DeliverT) -> bool:
        """Hand ``pdu`` to a receiving connection of ``peer``; hold it when there is none."""
        receivers = [c for c in self._linked.get(peer, ()) if c.receiving]
        if (self._receipts_paused and self._is_receipt(pdu)) or not receivers:
            self._held.append((peer, pdu))
            return False
        receivers[self._rng.randrange(len(receivers))].deliver(pdu)
        return True
