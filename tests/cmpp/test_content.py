"""Msg_Content text per Msg_Fmt, concatenation UDH, and the connection state table."""

from __future__ import annotations

import pytest

from hongyan.protocols.cmpp.constants import CommandId as C
from hongyan.protocols.cmpp.constants import MsgFmt
from hongyan.protocols.cmpp.content import (
    SegmentContent,
    decode_text,
    encode_text,
    segment_contents,
    split_ascii,
    split_content,
)
from hongyan.protocols.cmpp.session import Session, SessionState, Side
from hongyan.protocols.smpp.body import Concat


def test_single_message_has_no_udh() -> None:
    assert segment_contents(["hi"], MsgFmt.ASCII, 7) == [SegmentContent(1, 1, 0, 0, b"hi")]
    assert segment_contents(["你好"], MsgFmt.UCS2, 7) == [
        SegmentContent(1, 1, 0, 8, bytes.fromhex("4f60597d"))
    ]


def test_segments_carry_udh_and_pk_fields() -> None:
    first, second = segment_contents(["ab", "c"], MsgFmt.ASCII, 0x1AB)
    assert first == SegmentContent(2, 1, 1, 0, bytes.fromhex("050003ab0201") + b"ab")
    assert second == SegmentContent(2, 2, 1, 0, bytes.fromhex("050003ab0202") + b"c")


def test_ascii_splits_160_whole_then_134() -> None:
    assert split_ascii("a" * 160) == ["a" * 160]
    parts = split_ascii("b" * 300)
    assert [len(x) for x in parts] == [134, 134, 32]
    contents = segment_contents(parts, MsgFmt.ASCII, 1)
    assert max(len(c.msg_content) for c in contents) == 140


def test_segments_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError):
        segment_contents(["a" * 161], MsgFmt.ASCII, 1)
    with pytest.raises(ValueError):
        segment_contents(["中" * 71], MsgFmt.UCS2, 1)
    with pytest.raises(ValueError):
        segment_contents(["a" * 135, "b"], MsgFmt.ASCII, 1)
    with pytest.raises(ValueError):
        encode_text("é", MsgFmt.ASCII)
    with pytest.raises(ValueError):
        encode_text("x", MsgFmt.BINARY)


@pytest.mark.parametrize(
    ("data", "fmt", "text"),
    [
        (b"TD", MsgFmt.ASCII, "TD"),
        ("退订".encode("gbk"), MsgFmt.GBK, "退订"),
        ("😀".encode("utf-16-be"), MsgFmt.UCS2, "😀"),
        (b"\xe9", MsgFmt.BINARY, "é"),
        (b"\xff", MsgFmt.ASCII, "\ufffd"),
        (b"\xd8", MsgFmt.UCS2, "\ufffd"),
    ],
)
def test_decode_text_never_raises(data: bytes, fmt: int, text: str) -> None:
    assert decode_text(data, fmt) == text


def test_split_content() -> None:
    assert split_content(1, bytes.fromhex("050003ab0302") + b"x") == (Concat(0xAB, 3, 2), b"x")
    assert split_content(0, b"\x05abc") == (None, b"\x05abc")
    assert split_content(1, b"\x09ab") == (None, b"\x09ab")  # a UDH that overruns: text


def test_session_table() -> None:
    sp, ismg = Session(Side.SP), Session(Side.ISMG)
    assert sp.may_send(C.CMPP_CONNECT) and not sp.may_send(C.CMPP_SUBMIT)
    assert not ismg.may_receive(C.CMPP_SUBMIT) and ismg.may_receive(C.CMPP_CONNECT)
    sequence = sp.next_sequence()
    sp.sent_request(C.CMPP_CONNECT, sequence)
    assert sp.received_response(C.CMPP_CONNECT_RESP, sequence, 3) == C.CMPP_CONNECT
    assert sp.state is SessionState.OPEN  # refused: still open
    sp.sent_request(C.CMPP_CONNECT, 2)
    sp.received_response(C.CMPP_CONNECT_RESP, 2, 0)
    ismg.sent_response(C.CMPP_CONNECT_RESP, 0)
    assert sp.state is ismg.state is SessionState.CONNECTED
    assert sp.may_send(C.CMPP_SUBMIT) and not sp.may_send(C.CMPP_DELIVER)
    assert ismg.may_receive(C.CMPP_SUBMIT) and ismg.may_send(C.CMPP_DELIVER)
    assert sp.received_response(C.CMPP_SUBMIT_RESP, 99) is None
    sp.sent_request(C.CMPP_SUBMIT, 3)
    assert sp.window_free == sp.window - 1
    sp.sent_request(C.CMPP_TERMINATE, 4)
    assert sp.state is SessionState.TERMINATING
    with pytest.raises(ValueError):
        sp.sent_request(C.CMPP_SUBMIT, 5)
    ismg.received_request(C.CMPP_TERMINATE)
    assert ismg.state is SessionState.TERMINATING
    sp.closed()
    assert sp.state is SessionState.CLOSED and not sp.outstanding


def test_sequence_wraps() -> None:
    session = Session(Side.SP)
    session._sequence = 0x7FFFFFFF
    assert session.next_sequence() == 1
