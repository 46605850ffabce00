"""The session table: what each side may send in each state, sequence numbers, window."""

from __future__ import annotations

import pytest

from hongyan.protocols.smpp.constants import CommandId as C
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.session import REQUESTS, Session, SessionState, Side


@pytest.mark.parametrize(
    ("state", "side", "command", "allowed"),
    [
        (SessionState.OPEN, Side.ESME, C.SUBMIT_SM, False),
        (SessionState.OPEN, Side.ESME, C.BIND_TRANSCEIVER, True),
        (SessionState.OPEN, Side.SMSC, C.OUTBIND, True),
        (SessionState.BOUND_TX, Side.ESME, C.SUBMIT_SM, True),
        (SessionState.BOUND_TX, Side.SMSC, C.DELIVER_SM, False),
        (SessionState.BOUND_RX, Side.SMSC, C.DELIVER_SM, True),
        (SessionState.BOUND_RX, Side.ESME, C.SUBMIT_SM, False),
        (SessionState.BOUND_TRX, Side.SMSC, C.ALERT_NOTIFICATION, True),
        (SessionState.BOUND_TRX, Side.ESME, C.DATA_SM, True),
        (SessionState.UNBOUND, Side.ESME, C.ENQUIRE_LINK, False),
        (SessionState.CLOSED, Side.SMSC, C.GENERIC_NACK, False),
    ],
)
def test_table(state: SessionState, side: Side, command: C, allowed: bool) -> None:
    assert (command in REQUESTS[(state, side)]) is allowed


def test_esme_binds_on_ok_resp_only() -> None:
    s = Session(Side.ESME)
    s.sent_request(C.BIND_TRANSCEIVER, s.next_sequence())
    assert s.received_response(C.BIND_TRANSCEIVER_RESP, 1, S.ESME_RBINDFAIL) is C.BIND_TRANSCEIVER
    assert s.state is SessionState.OPEN
    s.sent_request(C.BIND_TRANSMITTER, s.next_sequence())
    s.received_response(C.BIND_TRANSMITTER_RESP, 2, 0)
    assert s.state is SessionState.BOUND_TX
    with pytest.raises(ValueError):
        s.sent_request(C.BIND_RECEIVER, 3)


def test_smsc_checks_incoming() -> None:
    s = Session(Side.SMSC)
    assert s.incoming_status(C.SUBMIT_SM) is S.ESME_RINVBNDSTS
    s.sent_response(C.BIND_RECEIVER_RESP, 0)
    assert s.state is SessionState.BOUND_RX
    assert s.incoming_status(C.SUBMIT_SM) is S.ESME_RINVBNDSTS
    assert s.incoming_status(C.BIND_TRANSMITTER) is S.ESME_RALYBND
    s.received_request(C.UNBIND)
    assert s.state is SessionState.UNBOUND


def test_window_and_unknown_responses() -> None:
    s = Session(Side.ESME, window=2)
    s.state = SessionState.BOUND_TRX
    s.sent_request(C.SUBMIT_SM, 10)
    s.sent_request(C.SUBMIT_SM, 11)
    assert s.window_free == 0
    assert s.received_response(C.SUBMIT_SM_RESP, 99, 0) is None
    assert s.received_response(C.SUBMIT_SM_RESP, 10, 0) is C.SUBMIT_SM
    assert s.window_free == 1
    s.closed()
    assert s.state is SessionState.CLOSED and s.window_free == 2


def test_sequence_wraps_within_31_bits() -> None:
    s = Session(Side.ESME)
    s._sequence = 0x7FFFFFFE
    assert [s.next_sequence(), s.next_sequence()] == [0x7FFFFFFF, 1]
