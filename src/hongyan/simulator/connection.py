"""One ESME connection to the simulator: the SMSC side of the session table."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.constants import CommandId
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.session import Session, SessionState, Side
from hongyan.services.connectors.smpp_link import PduLink

if TYPE_CHECKING:
    from hongyan.simulator.smsc import SmscSimulator

_RECEIVING = frozenset({SessionState.BOUND_RX, SessionState.BOUND_TRX})
_BIND_RESP: dict[type[p.Bind], type[p.BindResp]] = {
    p.BindTransmitter: p.BindTransmitterResp,
    p.BindReceiver: p.BindReceiverResp,
    p.BindTransceiver: p.BindTransceiverResp,
}


class SmscConnection(PduLink):
    def __init__(self, smsc: SmscSimulator) -> None:
        super().__init__()
        self.smsc = smsc
        self.session = Session(Side.SMSC, window=1_000_000)
        self.peer = ""  # the system_id it bound as
        self.pending_deliveries: dict[int, p.DeliverSm] = {}

    @property
    def system_id(self) -> str:
        return self.peer

    @property
    def receiving(self) -> bool:
        return self.session.state in _RECEIVING and self.is_open

    def link_made(self) -> None:
        self.smsc.connections.add(self)

    def link_lost(self, exc: Exception | None) -> None:
        self.smsc.connection_gone(self)
        self.session.closed()

    def pdu_received(self, pdu: p.Pdu) -> None:
        if pdu.is_response:
            self._response(pdu)
            return
        command_id = pdu.command_id
        status = self.session.incoming_status(command_id)
        if status != S.ESME_ROK:
            self._refuse(pdu, status)
            return
        if type(pdu) is p.SubmitSm:
            self.send(self.smsc.submit(self, pdu))
        elif isinstance(pdu, p.Bind):
            self._bind(pdu)
        elif type(pdu) is p.EnquireLink:
            self.send(p.EnquireLinkResp(sequence_number=pdu.sequence_number))
        elif type(pdu) is p.Unbind:
            self.session.received_request(CommandId.UNBIND)
            self.send(p.UnbindResp(sequence_number=pdu.sequence_number))
            self.close()
        elif type(pdu) is p.DataSm:
            self.send(p.DataSmResp(sequence_number=pdu.sequence_number, message_id="0"))
        else:
            self._refuse(pdu, S.ESME_RINVCMDID)

    def _refuse(self, pdu: p.Pdu, status: S) -> None:
        resp_cls = p.RESPONSE_OF.get(type(pdu), p.GenericNack)
        self.send(resp_cls(sequence_number=pdu.sequence_number, command_status=status))

    def _bind(self, pdu: p.Bind) -> None:
        status = self.smsc.authorize_bind(pdu)
        resp_cls = _BIND_RESP[type(pdu)]
        self.send(
            resp_cls(
                sequence_number=pdu.sequence_number,
                command_status=status,
                system_id="" if status else "hongyan-sim",
            )
        )
        self.session.sent_response(resp_cls.command_id, status)
        if status == S.ESME_ROK:
            self.peer = pdu.system_id
            self.smsc.linked(self)

    def _response(self, pdu: p.Pdu) -> None:
        self.session.received_response(pdu.command_id, pdu.sequence_number, pdu.command_status)
        if type(pdu) is p.DeliverSmResp:
            delivered = self.pending_deliveries.pop(pdu.sequence_number, None)
            if delivered is not None:
                self.smsc.deliver_answered(self, delivered, pdu.command_status == S.ESME_ROK)
        self.smsc.touch()

    def deliver(self, pdu: p.DeliverSm) -> None:
        sequence = self.session.next_sequence()
        self.session.outstanding[sequence] = CommandId.DELIVER_SM
        self.pending_deliveries[sequence] = pdu
        self.send(_with_sequence(pdu, sequence))

    def enquire(self) -> None:
        sequence = self.session.next_sequence()
        self.session.outstanding[sequence] = CommandId.ENQUIRE_LINK
        self.send(p.EnquireLink(sequence_number=sequence))


def _with_sequence(pdu: p.DeliverSm, sequence: int) -> p.DeliverSm:
    return replace(pdu, sequence_number=sequence)
