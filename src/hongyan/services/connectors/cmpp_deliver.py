"""CMPP_DELIVER to events: a status report (Registered_Delivery 1) as the same ``Receipt``
the SMPP path makes, or an inbound message (or one part of one).

A report's Stat is kept when it is one of the SMPP-style words (DELIVRD, UNDELIV, EXPIRED,
…); a gateway's own failure code (``MK:0005``, ``MI:0013``, ``DB:0008``…) is a final failure
and becomes stat UNDELIV with the code as its error, so the store finishes the message and the
partner sees the code. The report's Done_time is China Standard Time.
"""

from __future__ import annotations

from datetime import datetime

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.codec import decode_status_report
from hongyan.protocols.cmpp.content import decode_text, split_content
from hongyan.protocols.cmpp.msgid import msg_id_text
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.protocols.smpp.receipt import parse_date
from hongyan.services.connectors.cmpp_types import CHINA
from hongyan.services.connectors.smpp_types import Inbound, Receipt

KNOWN_STATS = frozenset(
    {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE"}
)


def as_receipt(pdu: p.Deliver) -> Receipt:
    """The report in a Registered_Delivery 1 CMPP_DELIVER; raises ``CmppError`` when its
    Msg_Content is not one."""
    report = decode_status_report(pdu.msg_content)
    stat, err = report_stat(report.stat)
    done = parse_date(report.done_time)
    return Receipt(
        carrier_id=msg_id_text(report.msg_id),
        stat=stat,
        err=err,
        done_at=done.replace(tzinfo=CHINA) if done is not None else None,
        source_addr=pdu.src_terminal_id,
        destination_addr=pdu.dest_id,
    )


def report_stat(raw: str) -> tuple[str, str]:
    """(stat, err) for a report's Stat."""
    stat = raw.strip().upper()
    if stat in KNOWN_STATS:
        return stat, ""
    return "UNDELIV", raw.strip()


def as_inbound(
    pdu: p.Deliver, reassembler: Reassembler, *, now: float, received_at: datetime
) -> Inbound | None:
    """The inbound message ``pdu`` completes, or ``None`` while parts are missing."""
    concat, payload = split_content(pdu.tp_udhi, pdu.msg_content)
    if concat is None or concat.total <= 1:
        text = decode_text(payload, pdu.msg_fmt)
        return Inbound(pdu.src_terminal_id, pdu.dest_id, text, received_at)
    assembled = reassembler.add(
        source_addr=pdu.src_terminal_id,
        destination_addr=pdu.dest_id,
        reference=concat.reference,
        total=concat.total,
        seqnum=concat.seqnum,
        data_coding=pdu.msg_fmt,
        payload=payload,
        now=now,
    )
    return None if assembled is None else Inbound.from_assembled(assembled, received_at)
