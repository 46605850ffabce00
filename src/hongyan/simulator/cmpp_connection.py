"""One SP connection to the ISMG simulator: the ISMG side of the CMPP state table."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.constants import CommandId, ConnectStatus, Result
from hongyan.protocols.cmpp.session import Session, SessionState, Side
from hongyan.services.connectors.cmpp_link import CmppLink

if TYPE_CHECKING:
    from hongyan.simulator.cmpp import CmppSimulator


class IsmgConnection(CmppLink):
    def __init__(self, ismg: CmppSimulator) -> None:
        super().__init__()
        self.ismg = ismg
        self.session = Session(Side.ISMG, window=1_000_000)
        self.peer = ""  # the SP's Source_Addr it connected as
        self.pending_deliveries: dict[int, p.Deliver] = {}
        self.active_tests_answered = 0

    @property
    def source_addr(self) -> str:
        return self.peer

    @property
    def receiving(self) -> bool:
        return self.session.state is SessionState.CONNECTED and self.is_open

    def link_made(self) -> None:
        self.ismg.connections.add(self)

    def link_lost(self, exc: Exception | None) -> None:
        self.ismg.connection_gone(self)
        self.session.closed()

    def pdu_received(self, pdu: p.Pdu) -> None:
        if pdu.is_response:
            self._response(pdu)
            return
        if not self.session.may_receive(pdu.command_id):
            self.close()  # a real ISMG drops an SP that talks out of turn
            self.ismg.touch()
            return
        if type(pdu) is p.Submit:
            self.send(self.ismg.submit(self, pdu))
        elif type(pdu) is p.Connect:
            self._connect(pdu)
        elif type(pdu) is p.ActiveTest:
            self.ismg.stats.active_tests += 1
            self.send(p.ActiveTestResp(sequence_id=pdu.sequence_id))
            self.ismg.touch()
        elif type(pdu) is p.Terminate:
            self.session.received_request(CommandId.CMPP_TERMINATE)
            self.ismg.stats.terminates += 1
            self.send(p.TerminateResp(sequence_id=pdu.sequence_id))
            self.close()

    def _connect(self, pdu: p.Connect) -> None:
        resp = self.ismg.authorize(pdu)
        self.send(replace(resp, sequence_id=pdu.sequence_id))
        self.session.sent_response(CommandId.CMPP_CONNECT_RESP, resp.status)
        if resp.status == ConnectStatus.OK:
            self.peer = pdu.source_addr
            self.ismg.linked(self)
        else:
            self.close()

    def _response(self, pdu: p.Pdu) -> None:
        self.session.received_response(pdu.command_id, pdu.sequence_id)
        if type(pdu) is p.DeliverResp:
            delivered = self.pending_deliveries.pop(pdu.sequence_id, None)
            if delivered is not None:
                self.ismg.deliver_answered(self, delivered, pdu.result == Result.OK)
        elif type(pdu) is p.ActiveTestResp:
            self.active_tests_answered += 1
        elif type(pdu) is p.TerminateResp:
            self.close()
        self.ismg.touch()

    def deliver(self, pdu: p.Deliver) -> None:
        sequence = self.session.next_sequence()
        self.session.sent_request(CommandId.CMPP_DELIVER, sequence)
        self.pending_deliveries[sequence] = pdu
        self.send(replace(pdu, sequence_id=sequence))

    def request(self, pdu: p.ActiveTest | p.Terminate) -> None:
        """Send CMPP_ACTIVE_TEST or CMPP_TERMINATE (the answer is counted or closes)."""
        sequence = self.session.next_sequence()
        self.session.sent_request(pdu.command_id, sequence)
        self.send(replace(pdu, sequence_id=sequence))
