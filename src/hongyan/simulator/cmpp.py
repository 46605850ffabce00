"""A CMPP 2.0 ISMG simulator: authenticates CMPP_CONNECT, answers CMPP_SUBMIT with Msg_Ids,
sends status reports after a delay and mobile-originated messages on demand.

The CMPP twin of ``SmscSimulator``, a test double with knobs: SP credentials, connection
limit, report delay and outcome mix (with the stat a failed report carries), flow control
(Result 8), permanent failure by destination prefix, dropped connections, paused reports.
Everything it does is counted in ``stats``. A CMPP_DELIVER that is not answered with Result 0
(or is lost with its connection) is sent again later.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from hongyan.core import segments
from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_ismg, authenticator_source
from hongyan.protocols.cmpp.codec import encode_status_report
from hongyan.protocols.cmpp.constants import (
    DELIVER_STATUS_REPORT,
    VERSION_2_0,
    ConnectStatus,
    MsgFmt,
    Result,
)
from hongyan.protocols.cmpp.content import segment_contents, split_ascii
from hongyan.protocols.cmpp.msgid import MsgIdParts, compose
from hongyan.simulator.cmpp_connection import IsmgConnection
from hongyan.simulator.smsc import OutcomeMix


@dataclass
class CmppSimulatorStats:
    connections_active: int = 0
    connections_peak: int = 0
    connects_rejected: int = 0
    submits: int = 0  # CMPP_SUBMIT received
    submits_ok: int = 0
    segments: int = 0  # accepted CMPP_SUBMIT with TP_udhi = 1
    flow_controlled: int = 0  # answered Result 8
    failed: int = 0
    reports_sent: int = 0
    mo_sent: int = 0  # mobile-originated CMPP_DELIVER sent
    deliver_acknowledged: int = 0
    deliver_refused: int = 0
    terminates: int = 0  # CMPP_TERMINATE received
    active_tests: int = 0  # CMPP_ACTIVE_TEST received
    connections_dropped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class CmppSimulator:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Mapping[str, str] | None = None,
        report_delay: float = 0.0,
        outcomes: OutcomeMix | None = None,
        failure_stat: str = "UNDELIV",
        max_connections: int | None = None,
        redeliver_delay: float = 1.0,
        gateway_code: int = 0x2A0,
        seed: int | None = None,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.host, self.port = host, port
        self.credentials = dict(credentials) if credentials is not None else None
        self.report_delay = report_delay
        self.outcomes = outcomes or OutcomeMix()
        self.failure_stat = failure_stat  # the stat of an undeliverable report (e.g. MK:0005)
        self.max_connections = max_connections
        self.redeliver_delay = redeliver_delay
        self.gateway_code = gateway_code
        self.stats = CmppSimulatorStats()
        self.connections: set[IsmgConnection] = set()
        self.submitted: list[p.Submit] = []  # every accepted CMPP_SUBMIT, in order
        self._clock = clock
        self._rng = random.Random(seed)
        self._sequence = 0
        self._flow_count = 0
        self._flow_fraction = 0.0
        self._fail_prefixes: dict[str, int] = {}
        self._reports_paused = False
        self._held: deque[tuple[str, p.Deliver]] = deque()
        self._connected: dict[str, list[IsmgConnection]] = defaultdict(list)
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._server = await loop.create_server(
            lambda: IsmgConnection(self), self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.abort()
        if self._server is not None:
            await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> CmppSimulator:
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

    def flow_control(self, count: int = 0, fraction: float = 0.0) -> None:
        """Answer Result 8 to the next ``count`` submits, and to ``fraction`` after."""
        self._flow_count, self._flow_fraction = count, fraction

    def fail_destinations(self, prefix: str, result: int = Result.OTHER_ERROR) -> None:
        self._fail_prefixes[prefix] = result

    def pause_reports(self, paused: bool = True) -> None:
        self._reports_paused = paused
        if not paused:
            held, self._held = self._held, deque()
            for item in held:
                self._route(*item)

    def drop_connections(self) -> int:
        dropped = list(self.connections)
        for conn in dropped:
            conn.abort()
        self.stats.connections_dropped += len(dropped)
        self.touch()
        return len(dropped)

    def active_test_all(self) -> None:
        for conn in self.connections:
            if conn.connected:
                conn.request(p.ActiveTest())

    def terminate_all(self) -> None:
        for conn in self.connections:
            if conn.connected:
                conn.request(p.Terminate())

    def inject_mo(self, source: str, destination: str, text: str, sp: str | None = None) -> int:
        """Send ``text`` from handset ``source`` to access number ``destination`` as
        mobile-originated CMPP_DELIVER (concatenated when long); the count sent."""
        if text.isascii():
            contents = segment_contents(split_ascii(text), MsgFmt.ASCII, self._rng.randrange(256))
        else:
            parts = segments.split(text, segments.Alphabet.UCS2)
            contents = segment_contents(parts, MsgFmt.UCS2, self._rng.randrange(256))
        target = sp if sp is not None else next(iter(self._connected), "")
        for content in contents:
            deliver = p.Deliver(
                msg_id=self._msg_id(),
                dest_id=destination,
                tp_udhi=content.tp_udhi,
                msg_fmt=content.msg_fmt,
                src_terminal_id=source,
                msg_content=content.msg_content,
            )
            self._route(target, deliver)
        self.stats.mo_sent += len(contents)
        self.touch()
        return len(contents)

    # --- called by connections ------------------------------------------------------------

    def authorize(self, connect: p.Connect) -> p.ConnectResp:
        """The answer to a CMPP_CONNECT: its Status and AuthenticatorISMG."""
        secret = (self.credentials or {}).get(connect.source_addr, "")
        status = ConnectStatus.OK
        if connect.version > VERSION_2_0:
            status = ConnectStatus.VERSION_TOO_HIGH
        elif self.credentials is not None and connect.source_addr not in self.credentials:
            status = ConnectStatus.INVALID_SOURCE_ADDR
        elif self.credentials is not None and connect.authenticator_source != (
            authenticator_source(connect.source_addr, secret, connect.timestamp)
        ):
            status = ConnectStatus.AUTHENTICATION_ERROR
        elif self.max_connections is not None and (
            len(self._connected[connect.source_addr]) >= self.max_connections
        ):
            status = ConnectStatus.OTHER_ERROR
        if status != ConnectStatus.OK:
            self.stats.connects_rejected += 1
            self.touch()
            return p.ConnectResp(status=status)
        digest = authenticator_ismg(status, connect.authenticator_source, secret)
        return p.ConnectResp(status=status, authenticator_ismg=digest)

    def connected(self, conn: IsmgConnection) -> None:
        self._connected[conn.source_addr].append(conn)
        self.stats.connections_active += 1
        self.stats.connections_peak = max(
            self.stats.connections_peak, self.stats.connections_active
        )
        self.touch()
        held = [item for item in self._held if item[0] == conn.source_addr]
        if held and not self._reports_paused:
            for item in held:
                self._held.remove(item)
                self._route(*item)

    def connection_gone(self, conn: IsmgConnection) -> None:
        self.connections.discard(conn)
        if conn in self._connected.get(conn.source_addr, ()):
            self._connected[conn.source_addr].remove(conn)
            self.stats.connections_active -= 1
        for deliver in conn.pending_deliveries.values():  # unanswered: deliver again later
            self._held.append((conn.source_addr, deliver))
        conn.pending_deliveries.clear()
        self.touch()

    def submit(self, conn: IsmgConnection, pdu: p.Submit) -> p.SubmitResp:
        self.stats.submits += 1
        result = self._submit_result(pdu)
        if result:
            self.touch()
            return p.SubmitResp(sequence_id=pdu.sequence_id, result=result)
        self.stats.submits_ok += 1
        self.submitted.append(pdu)
        if pdu.tp_udhi:
            self.stats.segments += 1
        msg_id = self._msg_id()
        if pdu.registered_delivery:
            for destination in pdu.dest_terminal_ids:
                self._schedule_report(conn.source_addr, msg_id, destination, pdu)
        self.touch()
        return p.SubmitResp(sequence_id=pdu.sequence_id, msg_id=msg_id)

    def _submit_result(self, pdu: p.Submit) -> int:
        if self._flow_count > 0 or (
            self._flow_fraction and self._rng.random() < self._flow_fraction
        ):
            self._flow_count = max(0, self._flow_count - 1)
            self.stats.flow_controlled += 1
            return Result.FLOW_CONTROL
        for prefix, result in self._fail_prefixes.items():
            if any(d.startswith(prefix) for d in pdu.dest_terminal_ids):
                self.stats.failed += 1
                return result
        return Result.OK

    def _msg_id(self) -> int:
        now = self._clock()
        self._sequence = (self._sequence + 1) & 0xFFFF
        parts = MsgIdParts(
            now.month, now.day, now.hour, now.minute, now.second, self.gateway_code, self._sequence
        )
        return compose(parts)

    def deliver_answered(self, conn: IsmgConnection, deliver: p.Deliver, result: int) -> None:
        if result == Result.OK:
            self.stats.deliver_acknowledged += 1
        else:
            self.stats.deliver_refused += 1
            loop = asyncio.get_running_loop()
            loop.call_later(self.redeliver_delay, self._route, conn.source_addr, deliver)
        self.touch()

    # --- reports and routing --------------------------------------------------------------

    def _schedule_report(
        self, source_addr: str, msg_id: int, destination: str, pdu: p.Submit
    ) -> None:
        stat, _, _ = self.outcomes.pick(self._rng)
        if stat == "UNDELIV":
            stat = self.failure_stat
        stamp = self._clock().strftime("%y%m%d%H%M")
        report = p.StatusReport(msg_id, stat, stamp, stamp, destination, self._sequence)
        deliver = p.Deliver(
            msg_id=self._msg_id(),
            dest_id=pdu.src_id,
            service_id=pdu.service_id,
            src_terminal_id=destination,
            registered_delivery=DELIVER_STATUS_REPORT,
            msg_content=encode_status_report(report),
        )
        loop = asyncio.get_running_loop()
        loop.call_later(self.report_delay, self._send_report, source_addr, deliver)

    def _send_report(self, source_addr: str, deliver: p.Deliver) -> None:
        if self._route(source_addr, deliver):
            self.stats.reports_sent += 1
            self.touch()

    def _route(self, source_addr: str, deliver: p.Deliver) -> bool:
        """Hand ``deliver`` to a connection of ``source_addr``; hold it when there is none."""
        receivers = [c for c in self._connected.get(source_addr, ()) if c.connected]
        is_report = deliver.registered_delivery == DELIVER_STATUS_REPORT
        if (self._reports_paused and is_report) or not receivers:
            self._held.append((source_addr, replace(deliver, sequence_id=0)))
            return False
        receivers[self._rng.randrange(len(receivers))].deliver(deliver)
        return True

    @property
    def held(self) -> int:
        """CMPP_DELIVER waiting for a connection (or for reports to be resumed)."""
        return len(self._held)
