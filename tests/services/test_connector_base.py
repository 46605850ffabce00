"""The pieces both carrier connectors stand on, each on its own: the coalescing link, the
request link, the bind supervisor and the delivery intake.

No sockets: links get a transport that records what is written, and the loop is turned by
``asyncio.sleep(0)`` (callbacks queued before the yield run first), so nothing here waits on a
clock.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any

import pytest

from hongyan.protocols.cmpp import pdu as cp
from hongyan.protocols.cmpp.codec import encode as cmpp_encode
from hongyan.protocols.cmpp.constants import Result
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import encode
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.reassembly import Reassembler
from hongyan.services.connectors.bind_supervisor import BindSupervisor
from hongyan.services.connectors.cmpp_link import CmppLink
from hongyan.services.connectors.delivery_intake import DeliveryIntake
from hongyan.services.connectors.request_link import LinkDown
from hongyan.services.connectors.smpp_bind import EsmeLink
from hongyan.services.connectors.smpp_link import PduLink
from hongyan.services.connectors.smpp_types import Inbound, Receipt

RECEIPT = Receipt("id-1", "DELIVRD", "000", None, "8613800000000", "1069")


class Transport:
    """What a link writes, and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


async def turns(until: Callable[[], bool], most: int = 50) -> None:
    """Turn the loop until ``until()`` holds (a bounded number of turns, no clock)."""
    for _ in range(most):
        if until():
            return
        await asyncio.sleep(0)
    assert until()


def esme_link() -> tuple[EsmeLink, Transport]:
    link = EsmeLink(window=8, response_timeout=30.0, on_deliver=lambda link, pdu: None)
    transport = Transport()
    link.connection_made(transport)  # type: ignore[arg-type]
    return link, transport


# --- link -----------------------------------------------------------------------------------


async def test_pdus_sent_in_one_loop_turn_leave_as_one_write() -> None:
    link, transport = PduLink(), Transport()
    link.connection_made(transport)  # type: ignore[arg-type]
    first, second = p.EnquireLink(sequence_number=1), p.EnquireLink(sequence_number=2)
    link.send(first)
    link.send(second)
    assert transport.writes == []
    await asyncio.sleep(0)
    assert transport.writes == [encode(first) + encode(second)]


async def test_an_unknown_command_is_nacked_and_a_bad_length_closes_the_link() -> None:
    link, transport = PduLink(), Transport()
    link.connection_made(transport)  # type: ignore[arg-type]
    link.data_received(struct.pack(">IIII", 16, 0x00000999, 0, 7))
    await asyncio.sleep(0)
    nack = p.GenericNack(sequence_number=7, command_status=S.ESME_RINVCMDID)
    assert transport.writes == [encode(nack)]
    assert not transport.closing
    link.data_received(struct.pack(">IIII", 8, 0x00000015, 0, 8))
    assert transport.closing


async def test_a_cmpp_link_answers_a_bad_submit_and_only_logs_what_has_no_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    link, transport = CmppLink(), Transport()
    link.connection_made(transport)  # type: ignore[arg-type]
    link.data_received(struct.pack(">III", 15, cp.Submit.command_id, 9) + b"abc")
    link.data_received(struct.pack(">III", 15, cp.Terminate.command_id, 10) + b"abc")
    await asyncio.sleep(0)
    answer = cp.SubmitResp(sequence_id=9, result=Result.LENGTH_ERROR)
    assert transport.writes == [cmpp_encode(answer)]
    assert not transport.closing
    assert caplog.text.count("undecodable CMPP PDU") == 2


# --- request link ---------------------------------------------------------------------------


async def test_a_generic_nack_answers_a_request_as_its_response_with_the_nack_status() -> None:
    link, _ = esme_link()
    call = asyncio.ensure_future(link.call(p.EnquireLink(), p.EnquireLinkResp))
    await turns(lambda: link.in_flight == 1)
    (sequence,) = link.session.outstanding
    link.pdu_received(p.GenericNack(sequence_number=sequence, command_status=S.ESME_RSYSERR))
    answer = await call
    assert type(answer) is p.EnquireLinkResp
    assert (answer.sequence_number, answer.command_status) == (sequence, S.ESME_RSYSERR)


async def test_an_answer_of_another_kind_is_a_broken_link() -> None:
    link, _ = esme_link()
    call = asyncio.ensure_future(link.call(p.EnquireLink(), p.EnquireLinkResp))
    await turns(lambda: link.in_flight == 1)
    (sequence,) = link.session.outstanding
    link.pdu_received(p.UnbindResp(sequence_number=sequence))
    with pytest.raises(LinkDown):
        await call


async def test_losing_the_link_fails_each_outstanding_request_once() -> None:
    link, _ = esme_link()
    answers: list[tuple[str, object]] = []
    for number, what in enumerate(("a", "b", "c"), start=1):
        pdu = p.EnquireLink(sequence_number=number)
        link.send_request(pdu, lambda context, answer: answers.append((context, answer)), what)
    assert link.in_flight == 3
    link.connection_lost(None)
    assert [context for context, _ in answers] == ["a", "b", "c"]
    assert all(isinstance(answer, LinkDown) for _, answer in answers)
    assert link.in_flight == 0
    with pytest.raises(LinkDown):
        link.send_request(p.EnquireLink(sequence_number=4), lambda context, answer: None, "d")


async def test_an_unbind_from_the_smsc_is_answered_and_ends_submitting() -> None:
    link, transport = esme_link()
    bind = asyncio.ensure_future(link.bind(p.BindTransceiver(system_id="esme", password="pw")))
    await turns(lambda: link.in_flight == 1)
    (sequence,) = link.session.outstanding
    link.pdu_received(p.BindTransceiverResp(sequence_number=sequence))
    assert await bind == S.ESME_ROK
    assert link.can_submit and link.bound
    link.pdu_received(p.Unbind(sequence_number=40))
    assert not link.can_submit
    assert transport.closing
    assert transport.writes[-1].endswith(encode(p.UnbindResp(sequence_number=40)))


async def test_leave_waits_for_the_answers_then_unbinds() -> None:
    link, transport = esme_link()
    bind = asyncio.ensure_future(link.bind(p.BindTransceiver(system_id="esme", password="pw")))
    await turns(lambda: link.in_flight == 1)
    link.pdu_received(p.BindTransceiverResp(sequence_number=next(iter(link.session.outstanding))))
    await bind
    answers: list[object] = []
    submit = p.SubmitSm(sequence_number=link.session.next_sequence(), destination_addr="86138")
    link.send_request(submit, lambda context, answer: answers.append(answer), None)
    leaving = asyncio.ensure_future(link.leave(timeout=30.0))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(transport.writes) == 2  # the bind, then the submit_sm: no unbind yet
    link.pdu_received(p.SubmitSmResp(sequence_number=submit.sequence_number, message_id="m1"))
    unbind = p.Unbind(sequence_number=submit.sequence_number + 1)
    await turns(lambda: encode(unbind) in b"".join(transport.writes))
    assert not link.can_submit
    link.pdu_received(p.UnbindResp(sequence_number=unbind.sequence_number))
    await leaving
    assert transport.closing
    assert [type(answer) for answer in answers] == [p.SubmitSmResp]


# --- bind supervisor ------------------------------------------------------------------------


class OneShotLink:
    """A bound link that is already gone when the supervisor looks at it."""

    can_submit = True

    def __init__(self) -> None:
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed.set_result(None)

    async def keep_alive(self, interval: float) -> None:
        await asyncio.Event().wait()


async def test_reconnects_back_off_to_the_cap_and_start_again_after_a_bind() -> None:
    outcomes: list[OneShotLink | None] = [None, None, None, None, OneShotLink()]
    delays: list[float] = []
    lost: list[str] = []
    enough = asyncio.get_running_loop().create_future()

    async def connect(role: str) -> OneShotLink | None:
        return outcomes.pop(0) if outcomes else None

    async def sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 6:
            supervisor.stopping = True
            enough.set_result(None)

    supervisor: BindSupervisor[Any] = BindSupervisor(
        connect=connect,
        lost=lost.append,
        keep_alive_interval=30.0,
        reconnect_delay=1.0,
        reconnect_max_delay=5.0,
        sleep=sleep,
    )
    supervisor.start(["trx"])
    await supervisor.up(timeout=30.0)
    await enough
    await supervisor.close()
    assert delays == [1.0, 2.0, 4.0, 5.0, 1.0, 2.0]
    assert lost == ["trx"]
    assert supervisor.reconnects == 1
    assert supervisor.links == []


# --- delivery intake ------------------------------------------------------------------------


def intake(
    answers: list[tuple[str, bool]],
    *,
    on_receipt: Any = None,
    on_deliver: Any = None,
    as_inbound: Any = None,
) -> DeliveryIntake[str, str]:
    async def ignore(event: object) -> None:
        pass

    return DeliveryIntake(
        name="test",
        on_deliver=on_deliver or ignore,
        on_receipt=on_receipt,
        reassembler=Reassembler(),
        as_inbound=as_inbound or (lambda pdu, reassembler, *, now, received_at: None),
        answer=lambda link, pdu, ok: answers.append((pdu, ok)),
        redeliver="asking for it again",
    )


async def test_a_receipt_is_answered_once_when_done_is_called() -> None:
    answers: list[tuple[str, bool]] = []
    dones: list[Callable[[BaseException | None], None]] = []
    receipts = intake(answers, on_receipt=lambda receipt, done: dones.append(done))
    receipts.receipt("link", "first", RECEIPT)
    receipts.receipt("link", "second", RECEIPT)
    assert answers == []
    waiting = asyncio.ensure_future(receipts.receipts_answered(timeout=30.0))
    dones[0](None)
    dones[0](None)
    await asyncio.sleep(0)
    assert answers == [("first", True)]
    assert not waiting.done()
    dones[1](RuntimeError("not committed"))
    await waiting
    assert answers == [("first", True), ("second", False)]
    assert receipts.receipts == 1


async def test_a_failing_on_receipt_asks_for_the_receipt_again() -> None:
    answers: list[tuple[str, bool]] = []

    def broken(receipt: Receipt, done: object) -> None:
        raise RuntimeError("bug")

    receipts = intake(answers, on_receipt=broken)
    receipts.receipt("link", "report", RECEIPT)
    assert answers == [("report", False)]
    assert receipts.receipts == 0


async def test_inbound_parts_are_answered_and_a_failing_on_deliver_asks_again() -> None:
    answers: list[tuple[str, bool]] = []
    whole = Inbound("8613800000000", "1069", "hello", received_at=None)  # type: ignore[arg-type]

    def as_inbound(pdu: str, reassembler: object, *, now: float, received_at: object) -> Any:
        return whole if pdu.startswith("last") else None

    async def on_deliver(event: object) -> None:
        raise RuntimeError("store down")

    inbound = intake(answers, on_deliver=on_deliver, as_inbound=as_inbound)
    inbound.inbound_part("link", "part 1")
    inbound.inbound_part("link", "last part")
    await turns(lambda: len(answers) == 2)
    await inbound.handled(timeout=30.0)
    assert sorted(answers) == [("last part", False), ("part 1", True)]
    assert inbound.inbound == 0
