"""The SMPP session state machine as one table; ``protocols.session`` reads it and keeps the
sequence numbers and the window.

Rules the table keeps (SMPP 3.4 section 2.3 and 2.4):

* A session starts ``OPEN``: only binds (ESME → SMSC), outbind (SMSC → ESME), enquire_link
  and generic_nack may be sent.
* A successful bind_*_resp moves it to the matching bound state; a failed one leaves it open.
* ``BOUND_TX`` carries submit_sm/data_sm/query_sm ESME → SMSC; ``BOUND_RX`` carries
  deliver_sm/data_sm/alert_notification SMSC → ESME; ``BOUND_TRX`` both.
* unbind (either side) moves to ``UNBOUND``, where only unbind_resp and generic_nack remain;
  the connection is then closed (``CLOSED``), after which nothing is allowed.
* Responses are allowed whenever their request was; a response must match an outstanding
  sequence number, and at most ``window`` requests are outstanding.
"""

from __future__ import annotations

from enum import Enum

from hongyan.protocols.session import TableSession
from hongyan.protocols.smpp.constants import CommandId as C
from hongyan.protocols.smpp.constants import CommandStatus


class SessionState(Enum):
    OPEN = "open"
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"
    CLOSED = "closed"


class Side(Enum):
    ESME = "esme"
    SMSC = "smsc"


ST = SessionState
_ALWAYS = frozenset({C.ENQUIRE_LINK, C.GENERIC_NACK})
_BOUND_BOTH = _ALWAYS | {C.UNBIND}
_ESME_TX = frozenset({C.SUBMIT_SM, C.DATA_SM, C.QUERY_SM})
_SMSC_RX = frozenset({C.DELIVER_SM, C.DATA_SM, C.ALERT_NOTIFICATION})

# Requests each side may *send* in each state.
REQUESTS: dict[tuple[SessionState, Side], frozenset[C]] = {
    (ST.OPEN, Side.ESME): _ALWAYS | {C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER},
    (ST.OPEN, Side.SMSC): _ALWAYS | {C.OUTBIND},
    (ST.BOUND_TX, Side.ESME): _BOUND_BOTH | _ESME_TX,
    (ST.BOUND_TX, Side.SMSC): _BOUND_BOTH,
    (ST.BOUND_RX, Side.ESME): _BOUND_BOTH,
    (ST.BOUND_RX, Side.SMSC): _BOUND_BOTH | _SMSC_RX,
    (ST.BOUND_TRX, Side.ESME): _BOUND_BOTH | _ESME_TX,
    (ST.BOUND_TRX, Side.SMSC): _BOUND_BOTH | _SMSC_RX,
    (ST.UNBOUND, Side.ESME): frozenset({C.GENERIC_NACK}),
    (ST.UNBOUND, Side.SMSC): frozenset({C.GENERIC_NACK}),
    (ST.CLOSED, Side.ESME): frozenset(),
    (ST.CLOSED, Side.SMSC): frozenset(),
}

BOUND_BY = {
    C.BIND_TRANSMITTER_RESP: ST.BOUND_TX,
    C.BIND_RECEIVER_RESP: ST.BOUND_RX,
    C.BIND_TRANSCEIVER_RESP: ST.BOUND_TRX,
}
BOUND_STATES = frozenset({ST.BOUND_TX, ST.BOUND_RX, ST.BOUND_TRX})


def other(side: Side) -> Side:
    return Side.SMSC if side is Side.ESME else Side.ESME


class Session(TableSession[SessionState, Side, C]):
    """One side's view of a session. Pure: the caller moves bytes and keeps time."""

    REQUESTS = REQUESTS
    OPENED_BY = BOUND_BY
    ENDING = C.UNBIND
    ENDING_STATE = ST.UNBOUND
    CLOSED_STATE = ST.CLOSED
    ANSWERS_UNASKED = C.GENERIC_NACK  # may answer a request it could not read

    def __init__(self, side: Side, *, window: int = 64) -> None:
        super().__init__(side, other(side), ST.OPEN, window=window)

    def incoming_status(self, command_id: C) -> CommandStatus:
        """ESME_ROK when the peer may send this request now, else the status to answer."""
        if command_id in self.REQUESTS[(self.state, self.peer)]:
            return CommandStatus.ESME_ROK
        if command_id in (C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER):
            return CommandStatus.ESME_RALYBND
        return CommandStatus.ESME_RINVBNDSTS
