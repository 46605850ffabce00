"""The session machinery SMPP and CMPP share: sequence numbers, the outstanding-request
window, and moves between states read from each protocol's tables.

A protocol's own session module holds its rules and tables and subclasses ``TableSession``
with them: ``REQUESTS`` (the requests each side may send in each state), ``OPENED_BY`` (the
response that, answered with status 0 while the session is open, moves it to a state:
bind_*_resp, CMPP_CONNECT_RESP), ``ENDING`` (the request that, sent or received, leaves only
its response: unbind, CMPP_TERMINATE) and ``ENDING_STATE``/``CLOSED_STATE``.

These methods run once or twice per PDU on a 10k PDUs/s link: they read the tables as class
attributes and call nothing but dict lookups.
"""

from __future__ import annotations

from enum import Enum
from typing import Generic, TypeVar

StateT = TypeVar("StateT", bound=Enum)
SideT = TypeVar("SideT", bound=Enum)
CommandT = TypeVar("CommandT", bound=Enum)


class TableSession(Generic[StateT, SideT, CommandT]):
    """One side's view of a session. Pure: the caller moves bytes and keeps time."""

    REQUESTS: dict[tuple[StateT, SideT], frozenset[CommandT]]
    OPENED_BY: dict[CommandT, StateT]
    ENDING: CommandT
    ENDING_STATE: StateT
    CLOSED_STATE: StateT
    ANSWERS_UNASKED: CommandT | None = None  # a response that may answer no request

    def __init__(self, side: SideT, peer: SideT, opened: StateT, *, window: int) -> None:
        self.side = side
        self.peer = peer
        self.state = opened
        self._opened = opened
        self.window = window
        self.outstanding: dict[int, CommandT] = {}
        self._sequence = 0

    def next_sequence(self) -> int:
        """1 … 0x7FFFFFFF, wrapping."""
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    def may_send(self, command_id: CommandT) -> bool:
        return command_id in self.REQUESTS[(self.state, self.side)]

    def may_receive(self, command_id: CommandT) -> bool:
        """Whether the peer may send this request now."""
        return command_id in self.REQUESTS[(self.state, self.peer)]

    @property
    def window_free(self) -> int:
        return self.window - len(self.outstanding)

    def sent_request(self, command_id: CommandT, sequence: int) -> None:
        if command_id not in self.REQUESTS[(self.state, self.side)]:
            raise ValueError(f"{command_id.name} not allowed in {self.state.value}")
        self.outstanding[sequence] = command_id
        if command_id == self.ENDING:
            self.state = self.ENDING_STATE

    def received_request(self, command_id: CommandT) -> None:
        if command_id == self.ENDING:
            self.state = self.ENDING_STATE

    def sent_response(self, command_id: CommandT, status: int) -> None:
        """The answering side (SMSC, ISMG) is bound once it answers a bind with status 0."""
        if not status and self.state is self._opened and command_id in self.OPENED_BY:
            self.state = self.OPENED_BY[command_id]

    def received_response(
        self, command_id: CommandT, sequence: int, status: int = 0
    ) -> CommandT | None:
        """The request this answers (``None`` if none was outstanding)."""
        request = self.outstanding.pop(sequence, None)
        if request is None and command_id != self.ANSWERS_UNASKED:
            return None
        if not status and self.state is self._opened and command_id in self.OPENED_BY:
            self.state = self.OPENED_BY[command_id]
        return request

    def closed(self) -> None:
        self.state = self.CLOSED_STATE
        self.outstanding.clear()
