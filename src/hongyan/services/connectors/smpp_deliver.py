"""deliver_sm to events: a delivery receipt, an inbound message, or one part of one."""

from __future__ import annotations

from datetime import datetime

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import body_text, decode_text, split_udh
from hongyan.protocols.smpp.constants import ESM_CLASS_TYPE_MASK, ESM_CLASS_UDHI, Tag
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.protocols.smpp.receipt import parse_date, parse_receipt, receipt_id
from hongyan.services.connectors.smpp_types import Inbound, Receipt

_RECEIPT_TYPES = frozenset({0x04, 0x08, 0x10, 0x20})  # SMSC, SME ack, manual ack, intermediate


def _body(pdu: p.DeliverSm) -> bytes:
    if pdu.short_message:
        return pdu.short_message
    payload = pdu.tlv(Tag.MESSAGE_PAYLOAD)
    return payload.value if payload is not None else b""


def as_receipt(pdu: p.DeliverSm) -> Receipt | None:
    """The receipt ``pdu`` carries, when its esm_class says so (or its text reads as one)."""
    is_receipt_type = (pdu.esm_class & ESM_CLASS_TYPE_MASK) in _RECEIPT_TYPES
    tlv = pdu.tlv(Tag.RECEIPTED_MESSAGE_ID)
    if not is_receipt_type and tlv is None:
        return None
    _, text = body_text(pdu.esm_class, pdu.data_coding, _body(pdu))
    parsed = parse_receipt(text)
    if parsed is None:
        if tlv is None:
            return None
        state = pdu.tlv(Tag.MESSAGE_STATE)
        stat = _STATE_STATS.get(state.as_int(), "UNKNOWN") if state else "UNKNOWN"
        return Receipt(tlv.as_str(), stat, "", None, pdu.source_addr, pdu.destination_addr)
    return Receipt(
        carrier_id=receipt_id(parsed, tlv.as_str() if tlv is not None else None),
        stat=parsed.stat,
        err=parsed.err,
        done_at=parse_date(parsed.done_date),
        source_addr=pdu.source_addr,
        destination_addr=pdu.destination_addr,
    )


_STATE_STATS = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}


def as_inbound(
    pdu: p.DeliverSm, reassembler: Reassembler, *, now: float, received_at: datetime
) -> Inbound | None:
    """The inbound message ``pdu`` completes, or ``None`` while parts are missing."""
    body = _body(pdu)
    reference, total, seqnum = 0, 1, 1
    payload = body
    if pdu.esm_class & ESM_CLASS_UDHI:
        try:
            udh, payload = split_udh(body)
        except ValueError:
            udh, payload = None, body
        if udh is not None and udh.concat is not None:
            c = udh.concat
            reference, total, seqnum = c.reference, c.total, c.seqnum
    else:
        sar = [
            pdu.tlv(t)
            for t in (Tag.SAR_MSG_REF_NUM, Tag.SAR_TOTAL_SEGMENTS, Tag.SAR_SEGMENT_SEQNUM)
        ]
        if all(t is not None for t in sar):
            reference, total, seqnum = (t.as_int() for t in sar if t is not None)
    if total <= 1:
        text = decode_text(payload, pdu.data_coding)
        return Inbound(pdu.source_addr, pdu.destination_addr, text, received_at)
    assembled = reassembler.add(
        source_addr=pdu.source_addr,
        destination_addr=pdu.destination_addr,
        reference=reference,
        total=total,
        seqnum=seqnum,
        data_coding=pdu.data_coding,
        payload=payload,
        now=now,
    )
    return None if assembled is None else Inbound.from_assembled(assembled, received_at)
