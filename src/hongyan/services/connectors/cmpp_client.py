"""The CMPP SP connector for one channel: ``binds`` ISMG connections behind one submit
interface, the same one ``SmppConnector`` offers the channel.

Interface::

    connector = CmppConnector(name=..., host=..., port=..., system_id=SP_ID, password=SECRET,
                              service_id="", src_id="", binds=1, window=16, tps=0,
                              on_deliver=handle,          # async (Receipt | Inbound) -> None
                              on_receipt=hand_over)       # optional: (Receipt, done) -> None
    await connector.start()
    result = await connector.submit(OutboundMessage(source, destination, text))
    connector.bound, connector.stats(), connector.withdraw(reason)
    await connector.stop()                                # drain, CMPP_TERMINATE, close

Theory (the queue, connections and deliveries are ``queued_connector``'s, as SMPP's):
``submit_nowait`` splits the text (ASCII as Msg_Fmt 0, anything else as UCS2 exactly as
``core.segments`` bills it) and queues one CMPP_SUBMIT per segment; the queue is pumped into the
least busy connection whose window has room, paced by the tps bucket. Result 8 (flow control)
puts the segment back ahead of the queue after a pause every send honours; other Results end
the message (temporary or not, see ``cmpp_types``). No answer within ``response_timeout``, or a
lost connection, fails the message as temporary.

A status report goes to ``on_receipt`` (when given) with a ``done`` callback: CMPP_DELIVER_RESP
Result 0 is sent when ``done`` is called, Result 8 when with an error (so the ISMG sends it
again). Other CMPP_DELIVER (mobile-originated) run in their own task and are answered when
``on_deliver`` returns; parts of a long one are answered on arrival and the whole message is
handed over when its last part comes.
"""

from __future__ import annotations

import logging
from datetime import datetime

from hongyan.core import segments
from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.codec import CmppError
from hongyan.protocols.cmpp.constants import DELIVER_STATUS_REPORT, MsgFmt, Result
from hongyan.protocols.cmpp.content import (
    SegmentContent,
    decode_text,
    segment_contents,
    split_ascii,
)
from hongyan.protocols.cmpp.msgid import msg_id_text
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors import cmpp_deliver
from hongyan.services.connectors.cmpp_bind import AUTHENTICATOR_MISMATCH, LinkDown, SpLink
from hongyan.services.connectors.cmpp_types import CHINA, THROTTLING_RESULTS, submit_failure
from hongyan.services.connectors.delivery_intake import OnDeliver, OnReceipt, ReceiptDone
from hongyan.services.connectors.queued_connector import QueuedConnector, Segment, SubmitDone
from hongyan.services.connectors.smpp_types import OutboundMessage, SubmitResult

__all__ = ["CmppConnector", "OnDeliver", "OnReceipt", "ReceiptDone", "SubmitDone"]

log = logging.getLogger(__name__)
UCS2 = segments.Alphabet.UCS2


class CmppConnector(QueuedConnector[SpLink, SegmentContent, p.Deliver]):
    NO_LINK = "no connection up"
    TIMED_OUT = "CMPP_SUBMIT_RESP timed out"
    LINK_LOST = "link lost before the answer"
    STILL_THROTTLED = submit_failure(Result.FLOW_CONTROL, "still flow-controlled after retries")
    REDELIVER = "asking the ISMG to send it again"

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        system_id: str,
        password: str,
        on_deliver: OnDeliver,
        service_id: str = "",
        src_id: str = "",
        fee_user_type: int = 2,
        fee_type: str = "01",
        fee_code: str = "000000",
        binds: int = 1,
        window: int = 16,
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
        super().__init__(
            name=name,
            host=host,
            port=port,
            link=SpLink,
            roles=["sp"],
            on_deliver=on_deliver,
            on_receipt=on_receipt,
            reassembler=Reassembler(reassembly_timeout, decode=decode_text),
            as_inbound=cmpp_deliver.as_inbound,
            binds=binds,
            window=window,
            tps=tps,
            response_timeout=response_timeout,
            keep_alive_interval=enquire_link_interval,  # the SMPP name, shared options
            reconnect_delay=reconnect_delay,
            reconnect_max_delay=reconnect_max_delay,
            throttle_delay=throttle_delay,
            throttle_retries=throttle_retries,
            stop_timeout=stop_timeout,
        )
        self.system_id, self.password = system_id, password
        self.service_id, self.src_id = service_id, src_id
        self.fee_user_type, self.fee_type, self.fee_code = fee_user_type, fee_type, fee_code

    # --- connections ----------------------------------------------------------------------

    async def _connect(self, role: str) -> SpLink | None:
        try:
            link = await self._open()
            status = await link.connect(self.system_id, self.password, datetime.now(CHINA))
        except (OSError, TimeoutError, LinkDown, ValueError) as exc:
            log.warning("%s: cannot connect to the ISMG: %s", self.name, exc)
            return None
        if status != 0:
            why = "AuthenticatorISMG mismatch" if status == AUTHENTICATOR_MISMATCH else status
            log.warning("%s: CMPP_CONNECT refused: Status %s", self.name, why)
            link.close()
            return None
        return link

    def _bind_lost(self, role: str) -> None:
        log.warning("%s: ISMG connection lost", self.name)
        if not self.bound:
            self._fail_queued(self.NO_LINK)

    # --- CMPP_SUBMIT ----------------------------------------------------------------------

    def _bodies(self, message: OutboundMessage) -> list[SegmentContent]:
        """ASCII text as Msg_Fmt 0, anything else as UCS2 split as ``core.segments`` bills it."""
        source = message.source_addr or self.src_id
        if len(source) > 21 or len(message.destination_addr) > 21:
            raise ValueError("Src_Id and Dest_terminal_Id take at most 21 characters")
        text, fmt = message.text, message.data_coding
        if fmt is None:
            fmt = MsgFmt.ASCII if text.isascii() else MsgFmt.UCS2
        if fmt == MsgFmt.ASCII:
            parts = split_ascii(text)
        elif fmt == MsgFmt.UCS2:
            parts = segments.split(text, UCS2)
        else:
            raise ValueError(f"Msg_Fmt {fmt} is not sent as text")
        return segment_contents(parts, fmt, next(self._reference))

    def _unencodable(self, reason: str) -> SubmitResult:
        return submit_failure(Result.OTHER_ERROR, reason)

    def _submit_pdu(self, link: SpLink, segment: Segment[SegmentContent]) -> p.Submit:
        content, message = segment.body, segment.message
        return p.Submit(
            sequence_id=link.session.next_sequence(),
            pk_total=content.pk_total,
            pk_number=content.pk_number,
            registered_delivery=1 if message.registered_delivery else 0,
            service_id=self.service_id,
            fee_user_type=self.fee_user_type,
            tp_udhi=content.tp_udhi,
            msg_fmt=content.msg_fmt,
            msg_src=self.system_id,
            fee_type=self.fee_type,
            fee_code=self.fee_code,
            src_id=message.source_addr or self.src_id,
            dest_terminal_ids=(message.destination_addr,),
            msg_content=content.msg_content,
        )

    def _outcome(self, answer: p.Pdu) -> str | SubmitResult | None:
        if type(answer) is not p.SubmitResp:
            return SubmitResult.link_failure(f"{type(answer).__name__} for a CMPP_SUBMIT")
        if answer.result == Result.OK:
            return msg_id_text(answer.msg_id)
        if answer.result in THROTTLING_RESULTS:
            return None
        return submit_failure(answer.result)

    # --- CMPP_DELIVER ---------------------------------------------------------------------

    def _deliver_received(self, link: SpLink, pdu: p.Deliver) -> None:
        if pdu.registered_delivery != DELIVER_STATUS_REPORT:
            self._intake.inbound_part(link, pdu)
            return
        try:
            receipt = cmpp_deliver.as_receipt(pdu)
        except CmppError as exc:
            log.warning("%s: unreadable status report: %s", self.name, exc.reason)
            self._counts["errors"] += 1
            _answer(link, pdu, exc.result)
            return
        self._intake.receipt(link, pdu, receipt)

    def _answer_deliver(self, link: SpLink, pdu: p.Deliver, ok: bool) -> None:
        _answer(link, pdu, Result.OK if ok else Result.FLOW_CONTROL)


def _answer(link: SpLink, pdu: p.Deliver, result: int) -> None:
    """CMPP_DELIVER_RESP for ``pdu``: its Msg_Id echoed, with ``result``."""
    link.send(p.DeliverResp(sequence_id=pdu.sequence_id, msg_id=pdu.msg_id, result=result))
