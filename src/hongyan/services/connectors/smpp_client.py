"""The SMPP ESME connector for one channel: ``binds`` sessions behind one submit interface.

Interface the dispatcher drives::

    connector = SmppConnector(name=..., host=..., port=..., system_id=..., password=...,
                              bind_mode="transceiver", binds=1, window=64, tps=0,
                              on_deliver=handle,          # async (Receipt | Inbound) -> None
                              on_receipt=hand_over)       # optional: (Receipt, done) -> None
    await connector.start()
    result = await connector.submit(OutboundMessage(source, destination, text))
    # result.ok and result.carrier_ids (one per segment, in order), or
    # result.command_status / result.temporary / result.reason
    connector.bound, connector.stats()                    # bool, ConnectorStats
    await connector.stop()                                # drain, unbind, close

Theory (the queue, binds and deliveries are ``queued_connector``'s): each bind is a
transceiver, or a transmitter + receiver pair. ``submit`` (or ``submit_nowait`` with a
callback, the dispatcher's way: no task per message) splits the text exactly as
``hongyan.core.segments`` bills it and queues one submit_sm per segment, pumped into the least
busy transmitting link whose window has room, paced by the tps bucket. A segment answered
ESME_RTHROTTLED or ESME_RMSGQFUL goes back ahead of the queue after a pause every send
honours; other statuses end the message (temporary or not, see ``smpp_types``). With no bind
up, ``submit`` fails at once as temporary; ``stop`` sends the queue, waits for the answers,
unbinds. ``withdraw`` answers at once, as temporary, the queued messages none of whose
segments was sent.

A receipt goes to ``on_receipt`` (when given) from the read callback itself, with a ``done``
callback: deliver_sm_resp is sent when ``done`` is called, ESME_RX_T_APPN when with an error
(so the SMSC delivers again) — no task per receipt.
Any other deliver_sm (and every receipt without ``on_receipt``) runs in its own task: the event
goes to ``on_deliver`` and deliver_sm_resp is sent only when it returns (ESME_RX_T_APPN if it
raised). Parts of a concatenated inbound message are answered on arrival; the whole message is
handed over when its last part comes.
"""

from __future__ import annotations

import logging

from hongyan.core import segments
from hongyan.protocols import gsm7
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import SegmentBody, segment_bodies
from hongyan.protocols.smpp.codec import encode_deliver_sm_resp
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.constants import DataCoding
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors import smpp_deliver
from hongyan.services.connectors.delivery_intake import OnDeliver, OnReceipt, ReceiptDone
from hongyan.services.connectors.queued_connector import QueuedConnector, Segment, SubmitDone
from hongyan.services.connectors.smpp_bind import EsmeLink, LinkDown
from hongyan.services.connectors.smpp_types import (
    THROTTLING_STATUSES,
    BindMode,
    OutboundMessage,
    SubmitResult,
)

__all__ = ["OnDeliver", "OnReceipt", "ReceiptDone", "SmppConnector", "SubmitDone"]

log = logging.getLogger(__name__)
GSM7, UCS2 = segments.Alphabet.GSM7, segments.Alphabet.UCS2
_BIND_CLASSES = {"trx": p.BindTransceiver, "tx": p.BindTransmitter, "rx": p.BindReceiver}


class SmppConnector(QueuedConnector[EsmeLink, SegmentBody, p.DeliverSm]):
    NO_LINK = "no bind up"
    TIMED_OUT = "submit_sm_resp timed out"
    LINK_LOST = "link lost before submit_sm_resp"
    STILL_THROTTLED = SubmitResult.failure(S.ESME_RTHROTTLED, "still throttled after retries")
    REDELIVER = "asking the SMSC to redeliver"

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        system_id: str,
        password: str,
        on_deliver: OnDeliver,
        system_type: str = "",
        bind_mode: str | BindMode = BindMode.TRANSCEIVER,
        binds: int = 1,
        window: int = 64,
        tps: float = 0,
        response_timeout: float = 10.0,
        enquire_link_interval: float = 30.0,
        reconnect_delay: float = 1.0,
        reconnect_max_delay: float = 30.0,
        throttle_delay: float = 0.2,
        throttle_retries: int = 8,
        stop_timeout: float = 5.0,
        reassembly_timeout: float = 300.0,
        on_receipt: OnReceipt | None = None,
    ) -> None:
        self.bind_mode = BindMode(bind_mode)
        super().__init__(
            name=name,
            host=host,
            port=port,
            link=EsmeLink,
            roles=["trx"] if self.bind_mode is BindMode.TRANSCEIVER else ["tx", "rx"],
            on_deliver=on_deliver,
            on_receipt=on_receipt,
            reassembler=Reassembler(reassembly_timeout),
            as_inbound=smpp_deliver.as_inbound,
            binds=binds,
            window=window,
            tps=tps,
            response_timeout=response_timeout,
            keep_alive_interval=enquire_link_interval,
            reconnect_delay=reconnect_delay,
            reconnect_max_delay=reconnect_max_delay,
            throttle_delay=throttle_delay,
            throttle_retries=throttle_retries,
            stop_timeout=stop_timeout,
        )
        self.system_id, self.password, self.system_type = system_id, password, system_type

    # --- binds ----------------------------------------------------------------------------

    async def _connect(self, role: str) -> EsmeLink | None:
        try:
            link = await self._open()
            bind = _BIND_CLASSES[role](
                system_id=self.system_id, password=self.password, system_type=self.system_type
            )
            status = await link.bind(bind)
        except (OSError, TimeoutError, LinkDown) as exc:
            log.warning("%s: cannot bind %s: %s", self.name, role, exc)
            return None
        if status != S.ESME_ROK:
            log.warning("%s: bind %s refused: %s", self.name, role, S(status).name)
            link.close()
            return None
        return link

    def _bind_lost(self, role: str) -> None:
        log.warning("%s: %s bind lost", self.name, role)

    # --- submit_sm ------------------------------------------------------------------------

    def _bodies(self, message: OutboundMessage) -> list[SegmentBody]:
        """Segment bodies exactly as ``segments.split`` bills them (single SMS: fast path)."""
        text, coding = message.text, message.data_coding
        if coding is None:
            septets = gsm7.try_encode(text)
            if septets is not None and len(septets) <= segments.SINGLE_LIMIT[GSM7]:
                return [SegmentBody(0, DataCoding.DEFAULT, septets)]
            coding = DataCoding.DEFAULT if septets is not None else DataCoding.UCS2
        if coding == DataCoding.UCS2:
            wire = text.encode("utf-16-be")
            if len(wire) <= 2 * segments.SINGLE_LIMIT[UCS2]:
                return [SegmentBody(0, coding, wire)]
        alphabet = GSM7 if coding == DataCoding.DEFAULT else UCS2
        parts = segments.split(text, alphabet)
        return segment_bodies(parts, coding, next(self._reference) & 0xFF)

    def _unencodable(self, reason: str) -> SubmitResult:
        return SubmitResult(False, (), S.ESME_RX_P_APPN, False, reason)

    def _submit_pdu(self, link: EsmeLink, segment: Segment[SegmentBody]) -> p.SubmitSm:
        body, message = segment.body, segment.message
        return p.SubmitSm(
            sequence_number=link.session.next_sequence(),
            source_addr=message.source_addr,
            destination_addr=message.destination_addr,
            esm_class=body.esm_class,
            registered_delivery=1 if message.registered_delivery else 0,
            data_coding=body.data_coding,
            short_message=body.short_message,
        )

    def _outcome(self, answer: p.Pdu) -> str | SubmitResult | None:
        status = answer.command_status
        if status == S.ESME_ROK and type(answer) is p.SubmitSmResp:
            return answer.message_id
        if status in THROTTLING_STATUSES:
            return None
        return SubmitResult.failure(status or S.ESME_RUNKNOWNERR)

    # --- deliver_sm -----------------------------------------------------------------------

    def _deliver_received(self, link: EsmeLink, pdu: p.DeliverSm) -> None:
        receipt = smpp_deliver.as_receipt(pdu)
        if receipt is not None:
            self._intake.receipt(link, pdu, receipt)
        else:
            self._intake.inbound_part(link, pdu)

    def _answer_deliver(self, link: EsmeLink, pdu: p.DeliverSm, ok: bool) -> None:
        status = S.ESME_ROK if ok else S.ESME_RX_T_APPN
        link.send_bytes(encode_deliver_sm_resp(pdu.sequence_number, status))
