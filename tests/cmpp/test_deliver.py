"""CMPP_DELIVER to receipts and inbound messages, without a network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.codec import CmppError, encode_status_report
from hongyan.protocols.cmpp.constants import MsgFmt
from hongyan.protocols.cmpp.content import decode_text
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors.cmpp_deliver import as_inbound, as_receipt, report_stat

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def report(stat: str, done: str = "2611221430") -> p.Deliver:
    content = encode_status_report(
        p.StatusReport(0xFFFFFFFFFFFFFFFE, stat, "2611221429", done, "13800138000", 1)
    )
    return p.Deliver(
        dest_id="1069001", src_terminal_id="13800138000", registered_delivery=1, msg_content=content
    )


@pytest.mark.parametrize(
    ("raw", "stat", "err"),
    [
        ("DELIVRD", "DELIVRD", ""),
        ("EXPIRED", "EXPIRED", ""),
        ("REJECTD", "REJECTD", ""),
        ("delivrd", "DELIVRD", ""),
        ("MK:0005", "UNDELIV", "MK:0005"),
        ("MI:0013", "UNDELIV", "MI:0013"),
        ("DB:0008", "UNDELIV", "DB:0008"),
    ],
)
def test_report_stat(raw: str, stat: str, err: str) -> None:
    assert report_stat(raw) == (stat, err)


def test_report_becomes_a_receipt_with_the_decimal_msg_id_in_china_time() -> None:
    receipt = as_receipt(report("DELIVRD"))
    assert receipt.carrier_id == "18446744073709551614"
    assert receipt.done_at == datetime(2026, 11, 22, 6, 30, tzinfo=UTC)  # 14:30 CST
    assert (receipt.source_addr, receipt.destination_addr) == ("13800138000", "1069001")


def test_unreadable_report_is_the_codec_error() -> None:
    with pytest.raises(CmppError):
        as_receipt(p.Deliver(registered_delivery=1, msg_content=b"short"))
    assert as_receipt(report("DELIVRD", done="garbage")).done_at is None


def test_gbk_mo_and_long_mo_parts() -> None:
    reassembler = Reassembler(decode=decode_text)
    content = "退订".encode("gbk")
    gbk = p.Deliver(src_terminal_id="1", dest_id="2", msg_fmt=MsgFmt.GBK, msg_content=content)
    inbound = as_inbound(gbk, reassembler, now=0.0, received_at=NOW)
    assert inbound is not None and inbound.text == "退订"
    text = "你好世界"
    wire = text.encode("utf-16-be")
    halves = [wire[:3], wire[3:]]  # a character split across the parts: joined before decoding
    parts = [
        p.Deliver(
            src_terminal_id="1",
            dest_id="2",
            tp_udhi=1,
            msg_fmt=MsgFmt.UCS2,
            msg_content=bytes.fromhex(f"05000307020{n}") + half,
        )
        for n, half in ((2, halves[1]), (1, halves[0]))
    ]
    assert as_inbound(parts[0], reassembler, now=0.0, received_at=NOW) is None
    whole = as_inbound(parts[1], reassembler, now=0.0, received_at=NOW)
    assert whole is not None and whole.text == text and whole.complete
