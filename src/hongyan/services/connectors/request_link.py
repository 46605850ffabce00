"""A link to a carrier that sends requests and matches their responses: timeouts, keep-alive,
a polite close.

Requests get a sequence number and a future (or a callback, on the submit path); a response
resolves it and a lost link fails them all. Timeouts cost no timer per request: outstanding
requests sit in a dict in the order they were sent, and one periodic sweep per link fails the
oldest ones once they are ``response_timeout`` old (it stops at the first younger one).
The caller keeps the window (``in_flight`` says how full it is). ``smpp_bind.EsmeLink`` and
``cmpp_bind.SpLink`` are this class with their session table, their answers to requests, and
the PDUs they keep alive and say goodbye with.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import Field, replace
from operator import attrgetter
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from hongyan.services.connectors.link import E, Link, LinkCodec

# Called once with (context, the answer or why there is none: TimeoutError, LinkDown).
OnAnswer = Callable[[Any, Any], None]
_SWEEPS_PER_TIMEOUT = 8  # a request fails between 1 and 1⅛ response_timeout after it was sent


class RequestPdu(Protocol):
    """What the link reads of a PDU (both protocols' PDUs are frozen dataclasses)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def command_id(self) -> int: ...


class SessionTable(Protocol):
    """What the link asks of a protocol's session table (``protocols.*.session``)."""

    @property
    def outstanding(self) -> dict[int, Any]: ...

    def next_sequence(self) -> int: ...

    def sent_request(self, command_id: Any, sequence: int, /) -> None: ...

    def received_request(self, command_id: Any, /) -> None: ...

    def closed(self) -> None: ...


R = TypeVar("R", bound=RequestPdu)
S = TypeVar("S", bound=SessionTable)
T = TypeVar("T")


def _resolve(future: asyncio.Future[Any], answer: object) -> None:
    if future.done():
        return
    if isinstance(answer, Exception):
        future.set_exception(answer)
    else:
        future.set_result(answer)


class LinkDown(ConnectionError):
    pass


class RequestLink(Link[R, E], Generic[R, E, S]):
    """Subclasses name ``SEQUENCE``, implement ``pdu_received`` (handing each response to
    ``response_received``), ``bound``, ``ping`` and ``goodbye``."""

    SEQUENCE: ClassVar[str]  # the PDUs' sequence field

    def __init__(self, codec: LinkCodec[R, E], session: S, *, response_timeout: float) -> None:
        super().__init__(codec)
        self.session = session
        self.response_timeout = response_timeout
        self._sequence_of: Callable[[R], int] = attrgetter(self.SEQUENCE)
        # sequence -> (on_answer, context, sent at): insertion order is send order
        self._pending: dict[int, tuple[OnAnswer, Any, float]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._drained: asyncio.Future[None] | None = None  # leave() waits on it
        self.last_heard = 0.0
        # Whether a submit may be sent (bound to transmit, link open): read per message and
        # per segment, so kept as a field, set at each change (bind, unbind, close, loss).
        self.can_submit = False

    # --- hooks ----------------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        raise NotImplementedError

    async def ping(self) -> None:
        """One keep-alive request and its answer (enquire_link, CMPP_ACTIVE_TEST)."""
        raise NotImplementedError

    async def goodbye(self) -> None:
        """Close the session with the peer (unbind, CMPP_TERMINATE) and await its answer."""
        raise NotImplementedError

    def unexpected(self, answer: R, expect: type[T]) -> T:
        """What ``call`` returns when ``answer`` is not an ``expect``: by default it fails."""
        raise LinkDown(f"unexpected answer {type(answer).__name__}")

    # --- state ----------------------------------------------------------------------------

    def close(self) -> None:
        super().close()
        self.can_submit = False

    def abort(self) -> None:
        super().abort()
        self.can_submit = False

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    # --- requests -------------------------------------------------------------------------

    def request(self, pdu: R) -> asyncio.Future[R]:
        """Send ``pdu``; the future gets the answer. A sequence of 0 is replaced by the next."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        if not self._sequence_of(pdu):
            pdu = replace(pdu, **{self.SEQUENCE: self.session.next_sequence()})
        self.send_request(pdu, _resolve, future)
        return future

    def send_request(self, pdu: R, on_answer: OnAnswer, context: Any) -> None:
        """Send ``pdu`` (its sequence set); ``on_answer(context, answer)`` follows.

        The submit path's way: no future per request, and ``context`` says what it was for.
        """
        if self.transport is None:
            raise LinkDown("link is down")
        sequence = self._sequence_of(pdu)
        self.session.sent_request(pdu.command_id, sequence)
        loop = asyncio.get_running_loop()
        self._pending[sequence] = (on_answer, context, loop.time())
        if self._sweeper is None:
            self._sweeper = loop.call_later(self._sweep_every, self._sweep)
        self.send(pdu)

    @property
    def _sweep_every(self) -> float:
        return self.response_timeout / _SWEEPS_PER_TIMEOUT

    async def call(self, pdu: R, expect: type[T]) -> T:
        answer = await self.request(pdu)
        if isinstance(answer, expect):
            return answer
        return self.unexpected(answer, expect)

    def response_received(self, sequence: int, answer: R) -> None:
        """Hand ``answer`` to whoever sent request ``sequence`` (the session has seen it)."""
        entry = self._pending.pop(sequence, None)
        if entry is not None:
            entry[0](entry[1], answer)
            if not self._pending:
                self._settle_drained()

    def peer_left(self, command_id: int, answer: R) -> None:
        """The peer ends the session (unbind, CMPP_TERMINATE): answer it, submit no more, close."""
        self.session.received_request(command_id)
        self.can_submit = False
        self.send(answer)
        self.close()

    def _sweep(self) -> None:
        """Fail the requests sent ``response_timeout`` ago or earlier (the oldest come first)."""
        self._sweeper = None
        loop = asyncio.get_running_loop()
        cutoff = loop.time() - self.response_timeout
        expired = []
        for sequence, (_, _, sent_at) in self._pending.items():
            if sent_at > cutoff:
                break
            expired.append(sequence)
        for sequence in expired:
            entry = self._pending.pop(sequence, None)
            self.session.outstanding.pop(sequence, None)
            if entry is not None:
                entry[0](entry[1], TimeoutError("no response"))
        if self._pending:
            if self._sweeper is None:
                self._sweeper = loop.call_later(self._sweep_every, self._sweep)
        else:
            self._settle_drained()

    def _settle_drained(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def link_lost(self, exc: Exception | None) -> None:
        self.session.closed()
        self.can_submit = False
        pending, self._pending = self._pending, {}
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for on_answer, context, _ in pending.values():
            on_answer(context, LinkDown("link lost"))
        self._settle_drained()

    # --- session operations ---------------------------------------------------------------

    async def keep_alive(self, interval: float) -> None:
        """``ping`` whenever ``interval`` passes without hearing from the peer; no answer
        within the response timeout drops the link (and the connector connects again)."""
        loop = asyncio.get_running_loop()
        while self.is_open:
            idle = loop.time() - self.last_heard
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            try:
                await self.ping()
            except (TimeoutError, LinkDown):
                self.abort()
                return
            self.last_heard = loop.time()

    async def leave(self, timeout: float) -> None:
        """Wait for outstanding requests (up to ``timeout``), then ``goodbye`` and close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._pending and self.is_open:
            self._drained = loop.create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), timeout)
        if self.bound:
            self.can_submit = False  # the goodbye goes out now: no submit after it
            with contextlib.suppress(TimeoutError, LinkDown):
                async with asyncio.timeout(max(0.1, deadline - loop.time())):
                    await self.goodbye()
        self.close()
