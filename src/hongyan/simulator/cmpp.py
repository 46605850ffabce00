"""A CMPP 2.0 ISMG simulator: authenticates CMPP_CONNECT, answers CMPP_SUBMIT with Msg_Ids,
sends status reports after a delay and mobile-originated messages on demand.

The CMPP twin of ``SmscSimulator``, a test double with knobs: SP credentials, connection
limit, report delay and outcome mix (with the stat a failed report carries), flow control
(Result 8), permanent failure by destination prefix, dropped connections, paused reports.
Everything it does is counted in ``stats``. A CMPP_DELIVER that is not answered with Result 0
(or is lost with its connection) is sent again later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
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
from hongyan.simulator.carrier import CarrierSimulator, StatNames
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


class CmppSimulator(CarrierSimulator[IsmgConnection, p.Deliver]):
    PROTOCOL = "cmpp"
    STATS = StatNames(
        active="connections_active",
        peak="connections_peak",
        rejected="connects_rejected",
        refused_submits="flow_controlled",
        acknowledged="deliver_acknowledged",
        refused="deliver_refused",
        receipts="reports_sent",
    )

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int | None = None,
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
        super().__init__(
            host=host,
            port=port,
            control_port=control_port,
            redeliver_delay=redeliver_delay,
            seed=seed,
        )
        self.credentials = dict(credentials) if credentials is not None else None
        self.report_delay = report_delay
        self.outcomes = outcomes or OutcomeMix()
        self.failure_stat = failure_stat  # the stat of an undeliverable report (e.g. MK:0005)
        self.max_connections = max_connections
        self.gateway_code = gateway_code
        self.stats: CmppSimulatorStats = CmppSimulatorStats()
        self.submitted: list[p.Submit] = []  # every accepted CMPP_SUBMIT, in order
        self._clock = clock
        self._sequence = 0

    def _new_connection(self) -> IsmgConnection:
        return IsmgConnection(self)

    def _is_receipt(self, pdu: p.Deliver) -> bool:
        return pdu.registered_delivery == DELIVER_STATUS_REPORT

    # --- controls -------------------------------------------------------------------------

    def flow_control(self, count: int = 0, fraction: float = 0.0) -> None:
        """Answer Result 8 to the next ``count`` submits, and to ``fraction`` after."""
        self.refuse_submits(count, fraction)

    def fail_destinations(self, prefix: str, result: int = Result.OTHER_ERROR) -> None:
        self._fail_prefixes[prefix] = result

    def pause_reports(self, paused: bool = True) -> None:
        """Hold status reports; ``False`` sends the held ones."""
        self.pause_receipts(paused)

    def active_test_all(self) -> None:
        for conn in self.connections:
            if conn.receiving:
                conn.request(p.ActiveTest())

    def terminate_all(self) -> None:
        for conn in self.connections:
            if conn.receiving:
                conn.request(p.Terminate())

    def inject_mo(self, source: str, destination: str, text: str, sp: str | None = None) -> int:
        """Send ``text`` from handset ``source`` to access number ``destination`` as
        mobile-originated CMPP_DELIVER (concatenated when long); the count sent."""
        if text.isascii():
            contents = segment_contents(split_ascii(text), MsgFmt.ASCII, self._rng.randrange(256))
        else:
            parts = segments.split(text, segments.Alphabet.UCS2)
            contents = segment_contents(parts, MsgFmt.UCS2, self._rng.randrange(256))
        delivers = [
            p.Deliver(
                msg_id=self._msg_id(),
                dest_id=destination,
                tp_udhi=content.tp_udhi,
                msg_fmt=content.msg_fmt,
                src_terminal_id=source,
                msg_content=content.msg_content,
            )
            for content in contents
        ]
        return self._inject(sp, delivers)

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
        elif self._full(connect.source_addr, self.max_connections):
            status = ConnectStatus.OTHER_ERROR
        if status != ConnectStatus.OK:
            self._reject()
            return p.ConnectResp(status=status)
        digest = authenticator_ismg(status, connect.authenticator_source, secret)
        return p.ConnectResp(status=status, authenticator_ismg=digest)

    def submit(self, conn: IsmgConnection, pdu: p.Submit) -> p.SubmitResp:
        self.stats.submits += 1
        refusal = self._submit_refusal(pdu.dest_terminal_ids)
        if refusal is not None:
            self.touch()
            result = refusal or Result.FLOW_CONTROL
            return p.SubmitResp(sequence_id=pdu.sequence_id, result=result)
        self.stats.submits_ok += 1
        self.submitted.append(pdu)
        if pdu.tp_udhi:
            self.stats.segments += 1
        msg_id = self._msg_id()
        if pdu.registered_delivery:
            for destination in pdu.dest_terminal_ids:
                self._schedule_report(conn.peer, msg_id, destination, pdu)
        self.touch()
        return p.SubmitResp(sequence_id=pdu.sequence_id, msg_id=msg_id)

    def _msg_id(self) -> int:
        now = self._clock()
        self._sequence = (self._sequence + 1) & 0xFFFF
        parts = MsgIdParts(
            now.month, now.day, now.hour, now.minute, now.second, self.gateway_code, self._sequence
        )
        return compose(parts)

    # --- reports --------------------------------------------------------------------------

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
        self._receipt_after(self.report_delay, source_addr, deliver)
