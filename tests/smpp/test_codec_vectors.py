"""Byte-exact PDU vectors both ways.

Each vector is hand-assembled, field by field, from the SMPP 3.4 specification's PDU tables
(section number in the name); ``smpplib_*`` vectors are bytes produced by the third-party
smpplib encoder (see test_codec_foreign.py for the live comparison).
"""

from __future__ import annotations

import pytest

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import decode, encode, encode_deliver_sm_resp
from hongyan.protocols.smpp.constants import CommandStatus, Tag


def h(text: str) -> bytes:
    return bytes.fromhex("".join(text.split()))


def nul(text: str) -> str:
    return text.encode("latin-1").hex() + "00"


HDR = "{len:08x} {cid:08x} {status:08x} {seq:08x}"

VECTORS: list[tuple[str, p.Pdu, bytes]] = [
    (
        "spec_4_1_1_bind_transmitter",
        p.BindTransmitter(
            sequence_number=1, system_id="SMPP3TEST", password="secret08", system_type="SUBMIT1"
        ),
        h(
            "0000002f 00000002 00000000 00000001"
            + nul("SMPP3TEST")
            + nul("secret08")
            + nul("SUBMIT1")
            + "34 00 00 00"
        ),
    ),
    (
        "spec_4_1_5_bind_transceiver_with_range",
        p.BindTransceiver(
            sequence_number=7,
            system_id="esme",
            password="pw",
            addr_ton=1,
            addr_npi=1,
            address_range="^44",
        ),
        h(
            "00000020 00000009 00000000 00000007"
            + nul("esme")
            + nul("pw")
            + "00"
            + "34 01 01"
            + nul("^44")
        ),
    ),
    (
        "spec_4_1_3_bind_receiver",
        p.BindReceiver(sequence_number=2, system_id="rx", password="p"),
        h("0000001a 00000001 00000000 00000002" + nul("rx") + nul("p") + "00 34 00 00 00"),
    ),
    (
        "spec_4_1_2_bind_transmitter_resp_with_sc_interface_version",
        p.BindTransmitterResp(
            sequence_number=1, system_id="SMSC", tlvs=(p.Tlv(Tag.SC_INTERFACE_VERSION, b"\x34"),)
        ),
        h("0000001a 80000002 00000000 00000001" + nul("SMSC") + "0210 0001 34"),
    ),
    (
        "spec_4_1_4_bind_receiver_resp",
        p.BindReceiverResp(sequence_number=2, system_id="SMSC"),
        h("00000015 80000001 00000000 00000002" + nul("SMSC")),
    ),
    (
        "spec_4_1_6_bind_transceiver_resp_failed_has_no_body",
        p.BindTransceiverResp(sequence_number=3, command_status=CommandStatus.ESME_RBINDFAIL),
        h("00000010 80000009 0000000d 00000003"),
    ),
    (
        "spec_4_1_7_outbind",
        p.Outbind(sequence_number=9, system_id="SMSC", password="pw"),
        h("00000018 0000000b 00000000 00000009" + nul("SMSC") + nul("pw")),
    ),
    ("spec_4_2_1_unbind", p.Unbind(sequence_number=5), h("00000010 00000006 00000000 00000005")),
    (
        "spec_4_2_2_unbind_resp",
        p.UnbindResp(sequence_number=5),
        h("00000010 80000006 00000000 00000005"),
    ),
    (
        "spec_4_3_1_generic_nack_invalid_command_id",
        p.GenericNack(sequence_number=0x10, command_status=CommandStatus.ESME_RINVCMDID),
        h("00000010 80000000 00000003 00000010"),
    ),
    (
        "spec_4_11_1_enquire_link",
        p.EnquireLink(sequence_number=1),
        h("00000010 00000015 00000000 00000001"),
    ),
    (
        "spec_4_11_2_enquire_link_resp",
        p.EnquireLinkResp(sequence_number=1),
        h("00000010 80000015 00000000 00000001"),
    ),
    (
        "spec_4_4_1_submit_sm_hello_registered",
        p.SubmitSm(
            sequence_number=2,
            source_addr_ton=5,
            source_addr="hongyan",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr="447700900123",
            registered_delivery=1,
            short_message=b"Hello",
        ),
        h(
            "00000039 00000004 00000000 00000002"
            + "00"  # service_type
            + "05 00"
            + nul("hongyan")
            + "01 01"
            + nul("447700900123")
            + "00 00 00"  # esm_class protocol_id priority_flag
            + "00 00"  # schedule_delivery_time validity_period
            + "01 00 00 00"  # registered_delivery replace data_coding sm_default_msg_id
            + "05"
            + b"Hello".hex()
        ),
    ),
    (
        "spec_4_4_1_submit_sm_udh_ucs2_with_user_message_reference",
        p.SubmitSm(
            sequence_number=0x7FFFFFFF,
            source_addr="1",
            destination_addr="2",
            esm_class=0x40,
            data_coding=8,
            short_message=h("050003 2a 02 01 4f60 597d"),
            tlvs=(p.Tlv.integer(Tag.USER_MESSAGE_REFERENCE, 513, 2),),
        ),
        h(
            "00000033 00000004 00000000 7fffffff"
            + "00 00 00 3100 00 00 3200 40 00 00 00 00 00 00 08 00"
            + "0a 050003 2a 02 01 4f60 597d"
            + "0204 0002 0201"
        ),
    ),
    (
        "spec_4_4_2_submit_sm_resp",
        p.SubmitSmResp(sequence_number=2, message_id="0A1B2C"),
        h("00000017 80000004 00000000 00000002" + nul("0A1B2C")),
    ),
    (
        "spec_4_4_2_submit_sm_resp_throttled_has_no_body",
        p.SubmitSmResp(sequence_number=4, command_status=CommandStatus.ESME_RTHROTTLED),
        h("00000010 80000004 00000058 00000004"),
    ),
    (
        "spec_appendix_b_deliver_sm_receipt_with_tlvs",
        p.DeliverSm(
            sequence_number=0x2A,
            source_addr="447700900123",
            destination_addr="hongyan",
            esm_class=0x04,
            short_message=b"id:1 stat:DELIVRD",
            tlvs=(
                p.Tlv.cstring(Tag.RECEIPTED_MESSAGE_ID, "1"),
                p.Tlv.integer(Tag.MESSAGE_STATE, 2, 1),
                p.Tlv(Tag.NETWORK_ERROR_CODE, h("03 0000")),
            ),
        ),
        h(
            "00000057 00000005 00000000 0000002a"
            + "00 00 00"
            + nul("447700900123")
            + "00 00"
            + nul("hongyan")
            + "04 00 00 00 00 00 00 00 00"
            + "11"
            + b"id:1 stat:DELIVRD".hex()
            + "001e 0002 3100"
            + "0427 0001 02"
            + "0423 0003 030000"
        ),
    ),
    (
        "spec_4_6_2_deliver_sm_resp",
        p.DeliverSmResp(sequence_number=0x2A),
        h("00000011 80000005 00000000 0000002a 00"),
    ),
    (
        "spec_4_7_1_data_sm_message_payload_ports",
        p.DataSm(
            sequence_number=3,
            source_addr="a",
            destination_addr="b",
            data_coding=4,
            tlvs=(
                p.Tlv.integer(Tag.SOURCE_PORT, 0x23F0, 2),
                p.Tlv.integer(Tag.DESTINATION_PORT, 0x0B84, 2),
                p.Tlv(Tag.MESSAGE_PAYLOAD, b"\x01\x02\x03"),
            ),
        ),
        h(
            "0000002f 00000103 00000000 00000003"
            + "00 00 00 6100 00 00 6200 00 00 04"
            + "020a 0002 23f0"
            + "020b 0002 0b84"
            + "0424 0003 010203"
        ),
    ),
    (
        "spec_4_7_2_data_sm_resp",
        p.DataSmResp(sequence_number=3, message_id="77"),
        h("00000013 80000103 00000000 00000003" + nul("77")),
    ),
    (
        "spec_4_8_1_query_sm",
        p.QuerySm(sequence_number=4, message_id="77", source_addr="hongyan"),
        h("0000001d 00000003 00000000 00000004" + nul("77") + "00 00" + nul("hongyan")),
    ),
    (
        "spec_4_8_2_query_sm_resp",
        p.QuerySmResp(
            sequence_number=4, message_id="77", final_date="240101123000000+", message_state=2
        ),
        h("00000026 80000003 00000000 00000004" + nul("77") + nul("240101123000000+") + "02 00"),
    ),
    (
        "spec_4_12_1_alert_notification",
        p.AlertNotification(
            sequence_number=6,
            source_addr="447700900123",
            esme_addr="hongyan",
            tlvs=(p.Tlv.integer(Tag.MS_AVAILABILITY_STATUS, 0, 1),),
        ),
        h(
            "0000002e 00000102 00000000 00000006"
            + "00 00"
            + nul("447700900123")
            + "00 00"
            + nul("hongyan")
            + "0422 0001 00"
        ),
    ),
    (
        "spec_4_4_1_submit_sm_sar_tlvs",
        p.SubmitSm(
            sequence_number=8,
            destination_addr="9",
            short_message=b"part",
            tlvs=(
                p.Tlv.integer(Tag.SAR_MSG_REF_NUM, 0x1234, 2),
                p.Tlv.integer(Tag.SAR_TOTAL_SEGMENTS, 2, 1),
                p.Tlv.integer(Tag.SAR_SEGMENT_SEQNUM, 1, 1),
            ),
        ),
        h(
            "00000036 00000004 00000000 00000008"
            + "00 00 00 00 00 00 3900 00 00 00 00 00 00 00 00 00"
            + "04"
            + b"part".hex()
            + "020c 0002 1234"
            + "020e 0001 02"
            + "020f 0001 01"
        ),
    ),
]


@pytest.mark.parametrize(("name", "pdu", "wire"), VECTORS, ids=[v[0] for v in VECTORS])
def test_encode_is_byte_exact(name: str, pdu: p.Pdu, wire: bytes) -> None:
    assert encode(pdu) == wire


@pytest.mark.parametrize(("name", "pdu", "wire"), VECTORS, ids=[v[0] for v in VECTORS])
def test_decode_is_field_exact(name: str, pdu: p.Pdu, wire: bytes) -> None:
    assert decode(wire) == pdu


def test_every_pdu_class_has_a_vector() -> None:
    from hongyan.protocols.smpp.codec import LAYOUTS

    assert {type(v[1]) for v in VECTORS} == set(LAYOUTS)


def test_tlv_accessors() -> None:
    deliver = decode(
        dict((v[0], v[2]) for v in VECTORS)["spec_appendix_b_deliver_sm_receipt_with_tlvs"]
    )
    assert isinstance(deliver, p.DeliverSm)
    receipted = deliver.tlv(Tag.RECEIPTED_MESSAGE_ID)
    state = deliver.tlv(Tag.MESSAGE_STATE)
    assert receipted is not None and receipted.as_str() == "1"
    assert state is not None and state.as_int() == 2
    assert deliver.tlv(Tag.MESSAGE_PAYLOAD) is None


@pytest.mark.parametrize(
    ("sequence", "status", "wire"),
    [
        (0x2A, 0, h("00000011 80000005 00000000 0000002a 00")),  # spec 4.6.2
        (0x7FFFFFFF, 0, h("00000011 80000005 00000000 7fffffff 00")),
        (7, CommandStatus.ESME_RX_T_APPN, h("00000010 80000005 00000064 00000007")),  # bodyless
    ],
)
def test_deliver_sm_resp_without_a_pdu_is_what_encode_makes(
    sequence: int, status: int, wire: bytes
) -> None:
    assert encode_deliver_sm_resp(sequence, status) == wire
    assert encode(p.DeliverSmResp(sequence_number=sequence, command_status=status)) == wire
