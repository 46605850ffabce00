"""The CMPP connection state machine as one table; ``protocols.session`` reads it and keeps
the sequence ids and the window.

Rules the table keeps (CMPP 2.0 sections 6 and 7):

* A connection starts ``OPEN``: the SP may send only CMPP_CONNECT; the ISMG nothing.
* A CMPP_CONNECT_RESP with Status 0 moves both sides to ``CONNECTED``; another Status leaves
  it open (the ISMG then closes it).
* ``CONNECTED``: the SP sends CMPP_SUBMIT, the ISMG CMPP_DELIVER; either side sends
  CMPP_ACTIVE_TEST (keep-alive) and CMPP_TERMINATE.
* A CMPP_TERMINATE, sent or received, moves to ``TERMINATING``: only the response remains,
  then the connection is closed (``CLOSED``), after which nothing is allowed.
* Responses are allowed whenever their request was; a response must match an outstanding
  Sequence_Id, and at most ``window`` requests are outstanding.
"""

from __future__ import annotations

from enum import Enum

from hongyan.protocols.cmpp.constants import CommandId as C
from hongyan.protocols.session import TableSession


class SessionState(Enum):
    OPEN = "open"
    CONNECTED = "connected"
    TERMINATING = "terminating"
    CLOSED = "closed"


class Side(Enum):
    SP = "sp"
    ISMG = "ismg"


ST = SessionState
_BOTH = frozenset({C.CMPP_ACTIVE_TEST, C.CMPP_TERMINATE})

# Requests each side may *send* in each state.
REQUESTS: dict[tuple[SessionState, Side], frozenset[C]] = {
    (ST.OPEN, Side.SP): frozenset({C.CMPP_CONNECT}),
    (ST.OPEN, Side.ISMG): frozenset(),
    (ST.CONNECTED, Side.SP): _BOTH | {C.CMPP_SUBMIT},
    (ST.CONNECTED, Side.ISMG): _BOTH | {C.CMPP_DELIVER},
    (ST.TERMINATING, Side.SP): frozenset(),
    (ST.TERMINATING, Side.ISMG): frozenset(),
    (ST.CLOSED, Side.SP): frozenset(),
    (ST.CLOSED, Side.ISMG): frozenset(),
}

CONNECTED_BY = {C.CMPP_CONNECT_RESP: ST.CONNECTED}


def other(side: Side) -> Side:
    return Side.ISMG if side is Side.SP else Side.SP


class Session(TableSession[SessionState, Side, C]):
    """One side's view of a connection. Pure: the caller moves bytes and keeps time."""

    REQUESTS = REQUESTS
    OPENED_BY = CONNECTED_BY
    ENDING = C.CMPP_TERMINATE
    ENDING_STATE = ST.TERMINATING
    CLOSED_STATE = ST.CLOSED

    def __init__(self, side: Side, *, window: int = 16) -> None:
        super().__init__(side, other(side), ST.OPEN, window=window)
