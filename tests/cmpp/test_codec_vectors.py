"""Byte-exact CMPP 2.0 vectors both ways, hand-assembled field by field from the
specification's tables (section number in the name), and the connect authenticators."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_ismg, authenticator_source, timestamp
from hongyan.protocols.cmpp.codec import (
    decode,
    decode_status_report,
    encode,
    encode_status_report,
)
from hongyan.protocols.cmpp.constants import MsgFmt
from hongyan.protocols.cmpp.msgid import MsgIdParts, compose, msg_id_text, parts_of


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def octets(text: str, size: int) -> str:
    """A fixed-size octet string: the text, NUL-padded."""
    return text.encode("latin-1").ljust(size, b"\0").hex()


AUTH = bytes(range(16))
MSG_ID = 0x0123456789ABCDEF
REPORT = p.StatusReport(
    msg_id=MSG_ID,
    stat="DELIVRD",
    submit_time="2611220601",
    done_time="2611220602",
    dest_terminal_id="13800138000",
    smsc_sequence=77,
)
REPORT_HEX = (
    "0123456789abcdef"
    + octets("DELIVRD", 7)
    + octets("2611220601", 10)
    + octets("2611220602", 10)
    + octets("13800138000", 21)
    + "0000004d"
)

VECTORS: list[tuple[str, p.Pdu, bytes]] = [
    (
        "spec_7_4_1_connect",
        p.Connect(
            sequence_id=1, source_addr="901234", authenticator_source=AUTH, timestamp=1122060102
        ),
        h("00000027 00000001 00000001" + octets("901234", 6) + AUTH.hex() + "20" + "42e14746"),
    ),
    (
        "spec_7_4_1_connect_resp",
        p.ConnectResp(sequence_id=1, status=0, authenticator_ismg=AUTH),
        h("0000001e 80000001 00000001" + "00" + AUTH.hex() + "20"),
    ),
    (
        "spec_7_4_1_connect_resp_auth_error",
        p.ConnectResp(sequence_id=2, status=3, authenticator_ismg=bytes(16)),
        h("0000001e 80000001 00000002" + "03" + "00" * 16 + "20"),
    ),
    ("spec_7_4_2_terminate", p.Terminate(sequence_id=5), h("0000000c 00000002 00000005")),
    ("spec_7_4_2_terminate_resp", p.TerminateResp(sequence_id=5), h("0000000c 80000002 00000005")),
    ("spec_7_4_10_active_test", p.ActiveTest(sequence_id=6), h("0000000c 00000008 00000006")),
    (
        "spec_7_4_10_active_test_resp",
        p.ActiveTestResp(sequence_id=6),
        h("0000000d 80000008 00000006 00"),
    ),
    (
        "spec_7_4_3_submit_ascii",
        p.Submit(
            sequence_id=0x10,
            registered_delivery=1,
            service_id="HELP",
            fee_user_type=2,
            msg_fmt=MsgFmt.ASCII,
            msg_src="901234",
            fee_type="01",
            src_id="1069001",
            dest_terminal_ids=("13800138000",),
            msg_content=b"hello",
        ),
        h(
            "000000a4 00000004 00000010"
            + "0000000000000000"  # Msg_Id
            + "01 01 01 00"  # Pk_total, Pk_number, Registered_Delivery, Msg_level
            + octets("HELP", 10)
            + "02"  # Fee_UserType
            + octets("", 21)  # Fee_terminal_Id
            + "00 00 00"  # TP_pId, TP_udhi, Msg_Fmt
            + octets("901234", 6)
            + octets("01", 2)
            + octets("", 6)  # FeeCode
            + octets("", 17)  # ValId_Time
            + octets("", 17)  # At_Time
            + octets("1069001", 21)
            + "01"
            + octets("13800138000", 21)
            + "05"
            + b"hello".hex()
            + "00" * 8  # Reserve
        ),
    ),
    (
        "spec_7_4_3_submit_ucs2_segment_two_destinations",
        p.Submit(
            sequence_id=0x11,
            pk_total=2,
            pk_number=2,
            tp_udhi=1,
            msg_fmt=MsgFmt.UCS2,
            src_id="1069001",
            dest_terminal_ids=("13800138000", "13900139000"),
            msg_content=h("050003ab0202 4f60 597d"),
        ),
        h(
            "000000be 00000004 00000011"
            + "0000000000000000"
            + "02 02 00 00"
            + octets("", 10)
            + "00"
            + octets("", 21)
            + "00 01 08"
            + octets("", 6)
            + octets("01", 2)
            + octets("", 6)
            + octets("", 17)
            + octets("", 17)
            + octets("1069001", 21)
            + "02"
            + octets("13800138000", 21)
            + octets("13900139000", 21)
            + "0a"
            + "050003ab0202 4f60 597d"
            + "00" * 8
        ),
    ),
    (
        "spec_7_4_4_submit_resp",
        p.SubmitResp(sequence_id=0x10, msg_id=MSG_ID),
        h("00000015 80000004 00000010 0123456789abcdef 00"),
    ),
    (
        "spec_7_4_4_submit_resp_flow_control",
        p.SubmitResp(sequence_id=0x11, result=8),
        h("00000015 80000004 00000011 0000000000000000 08"),
    ),
    (
        "spec_7_4_5_deliver_mo_gbk",
        p.Deliver(
            sequence_id=0x20,
            msg_id=MSG_ID,
            dest_id="10690019",
            msg_fmt=MsgFmt.GBK,
            src_terminal_id="13800138000",
            msg_content="退订".encode("gbk"),
        ),
        h(
            "00000059 00000005 00000020"
            + "0123456789abcdef"
            + octets("10690019", 21)
            + octets("", 10)
            + "00 00 0f"
            + octets("13800138000", 21)
            + "00"
            + "04 cdcbb6a9"
            + "00" * 8
        ),
    ),
    (
        "spec_7_4_5_deliver_status_report",
        p.Deliver(
            sequence_id=0x21,
            msg_id=0x42,
            dest_id="1069001",
            src_terminal_id="13800138000",
            registered_delivery=1,
            msg_content=h(REPORT_HEX),
        ),
        h(
            "00000091 00000005 00000021"
            + "0000000000000042"
            + octets("1069001", 21)
            + octets("", 10)
            + "00 00 00"
            + octets("13800138000", 21)
            + "01"
            + "3c"
            + REPORT_HEX
            + "00" * 8
        ),
    ),
    (
        "spec_7_4_6_deliver_resp",
        p.DeliverResp(sequence_id=0x21, msg_id=0x42),
        h("00000015 80000005 00000021 0000000000000042 00"),
    ),
]


@pytest.mark.parametrize(("name", "pdu", "wire"), VECTORS, ids=[v[0] for v in VECTORS])
def test_encode(name: str, pdu: p.Pdu, wire: bytes) -> None:
    assert encode(pdu) == wire


@pytest.mark.parametrize(("name", "pdu", "wire"), VECTORS, ids=[v[0] for v in VECTORS])
def test_decode(name: str, pdu: p.Pdu, wire: bytes) -> None:
    assert decode(wire) == pdu


def test_status_report_both_ways() -> None:
    assert encode_status_report(REPORT) == h(REPORT_HEX)
    assert decode_status_report(h(REPORT_HEX)) == REPORT
    assert len(h(REPORT_HEX)) == 60  # the 2.0 report's size


def test_status_report_padding_after_it_is_ignored() -> None:
    assert decode_status_report(h(REPORT_HEX) + b"\0" * 4) == REPORT


def test_octet_strings_cut_at_the_first_nul() -> None:
    connect = encode(p.Connect(source_addr="90"))
    assert decode(connect[:12] + b"90\0x\0\0" + connect[18:]) == p.Connect(source_addr="90")


def test_authenticator_source_is_the_spec_digest() -> None:
    stamp = timestamp(datetime(2026, 11, 22, 6, 1, 2))
    assert stamp == 1122060102
    expected = hashlib.md5(b"901234" + b"\0" * 9 + b"secret" + b"1122060102").digest()
    assert authenticator_source("901234", "secret", stamp) == expected


def test_timestamp_keeps_its_leading_zero_in_the_digest() -> None:
    stamp = timestamp(datetime(2026, 1, 2, 3, 4, 5))
    assert stamp == 102030405
    expected = hashlib.md5(b"901234" + b"\0" * 9 + b"pw" + b"0102030405").digest()
    assert authenticator_source("901234", "pw", stamp) == expected


def test_authenticator_ismg_is_status_source_secret() -> None:
    source = bytes(range(16))
    expected = hashlib.md5(b"\x00" + source + b"secret").digest()
    assert authenticator_ismg(0, source, "secret") == expected
    assert authenticator_ismg(3, source, "secret") != expected


def test_msg_id_fields_and_text() -> None:
    parts = MsgIdParts(11, 22, 6, 1, 2, gateway=0x12345, sequence=0xBEEF)
    value = compose(parts)
    assert parts_of(value) == parts
    assert value >> 60 == 11 and value & 0xFFFF == 0xBEEF
    assert msg_id_text(value) == str(value) and msg_id_text(0xFFFFFFFFFFFFFFFF).isdigit()
    with pytest.raises(ValueError):
        compose(MsgIdParts(16, 1, 1, 1, 1, 1, 1))
