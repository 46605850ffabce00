"""The CMPP connection state machine as one table, with sequence ids and window accounting.

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


def other(side: Side) -> Side:
    return Side.ISMG if side is Side.SP else Side.SP


class Session:
    """One side's view of a connection. Pure: the caller moves bytes and keeps time."""

    def __init__(self, side: Side, *, window: int = 16) -> None:
        self.side = side
        self.state = SessionState.OPEN
        self.window = window
        self.outstanding: dict[int, C] = {}
        self._sequence = 0

    def next_sequence(self) -> int:
        """1 … 0x7FFFFFFF, wrapping."""
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    def may_send(self, command_id: C) -> bool:
        return command_id in REQUESTS[(self.state, self.side)]

    def may_receive(self, command_id: C) -> bool:
        """Whether the peer may send this request now."""
        return command_id in REQUESTS[(self.state, other(self.side))]

    @property
    def window_free(self) -> int:
        return self.window - len(self.outstanding)

    def sent_request(self, command_id: C, sequence: int) -> None:
        if not self.may_send(command_id):
            raise ValueError(f"{command_id.name} not allowed in {self.state.value}")
        self.outstanding[sequence] = command_id
        if command_id == C.CMPP_TERMINATE:
            self.state = ST.TERMINATING

    def received_request(self, command_id: C) -> None:
        if command_id == C.CMPP_TERMINATE:
            self.state = ST.TERMINATING

    def sent_response(self, command_id: C, status: int) -> None:
        """The ISMG side is connected once it answers a CMPP_CONNECT with Status 0."""
        if self.state is ST.OPEN and command_id == C.CMPP_CONNECT_RESP and not status:
            self.state = ST.CONNECTED

    def received_response(self, command_id: C, sequence: int, status: int = 0) -> C | None:
        """The request this answers (``None`` if none was outstanding)."""
        request = self.outstanding.pop(sequence, None)
        if request is None:
            return None
        if self.state is ST.OPEN and command_id == C.CMPP_CONNECT_RESP and not status:
            self.state = ST.CONNECTED
        return request

    def closed(self) -> None:
        self.state = ST.CLOSED
        self.outstanding.clear()
