"""The connector's submit queue never loses a message: one answer each, whatever the link does.

Against the simulator over TCP. To have submit_sm *in flight* when a link drops, the SMSC side
stops reading (``pause_reading``): the connector's PDUs sit unread in the socket, its window
stays full and later segments wait in the queue; aborting that connection then loses them
unseen, so the SMSC never took them (no duplicate can come of it).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.connector_harness import Sink

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.body import body_text
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.services.connectors.smpp_client import SmppConnector
from hongyan.services.connectors.smpp_types import OutboundMessage, SubmitResult
from hongyan.simulator import SmscSimulator
from hongyan.simulator.connection import SmscConnection

from .test_connector import connector_for

LONG = "x" * 300  # two segments


class Answers:
    """Every ``done`` call per message key, in the order they came."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[SubmitResult]] = defaultdict(list)
        self.changed = asyncio.Event()

    def done_for(self, key: str) -> Callable[[SubmitResult], None]:
        def done(result: SubmitResult) -> None:
            self.by_key[key].append(result)
            self.changed.set()

        return done

    async def wait_for(self, count: int, timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.by_key) < count:
                self.changed.clear()
                await self.changed.wait()

    def once(self, keys: list[str]) -> dict[str, SubmitResult]:
        assert {key: len(self.by_key[key]) for key in keys} == dict.fromkeys(keys, 1)
        return {key: results[0] for key, results in self.by_key.items()}


class RecordingSmsc(SmscSimulator):
    """Keeps (destination, text) of each submit_sm it took; refuses what ``refuse`` says."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.accepted: list[tuple[str, str]] = []
        self.refuse: Callable[[p.SubmitSm], S | None] = lambda pdu: None

    def submit(self, conn: SmscConnection, pdu: p.SubmitSm) -> p.SubmitSmResp:
        status = self.refuse(pdu)
        if status is not None:
            self.stats.submit_sm += 1
            return p.SubmitSmResp(sequence_number=pdu.sequence_number, command_status=status)
        resp = super().submit(conn, pdu)
        if resp.command_status == S.ESME_ROK:
            _, text = body_text(pdu.esm_class, pdu.data_coding, pdu.short_message)
            self.accepted.append((pdu.destination_addr, text))
        return resp


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition still false"
        await asyncio.sleep(0.005)


async def idle(esme: SmppConnector) -> None:
    await until(lambda: esme.stats().window_in_use == 0)


def msg(to: str, text: str = "hello") -> OutboundMessage:
    return OutboundMessage(source_addr="hongyan", destination_addr=to, text=text)


def stall(smsc: SmscSimulator) -> list[SmscConnection]:
    """The SMSC stops reading on every connection: whatever is sent now stays unanswered."""
    conns = list(smsc.connections)
    for conn in conns:
        assert conn.transport is not None
        conn.transport.pause_reading()
    return conns


async def test_link_lost_with_a_full_window_and_a_queue_answers_each_message_once() -> None:
    """Answered messages succeed; the window in flight and the queue behind it fail as
    temporary at once (no other link; the rebind is seconds away), nothing waits for it."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=4, reconnect_delay=10.0)
        await esme.start()
        answers = Answers()
        early = [f"86100{i}" for i in range(3)]
        for to in early:
            esme.submit_nowait(msg(to, LONG), answers.done_for(to))
        await answers.wait_for(len(early))
        stall(smsc)
        late = [f"86200{i}" for i in range(10)]
        for i, to in enumerate(late):
            esme.submit_nowait(msg(to, LONG if i % 3 == 0 else "hello"), answers.done_for(to))
        await until(lambda: esme.stats().window_in_use == 4)
        assert esme.queued > 0

        assert smsc.drop_connections() == 1
        await answers.wait_for(len(early) + len(late), timeout=1.0)
        results = answers.once(early + late)
        assert all(results[to].ok and len(results[to].carrier_ids) == 2 for to in early)
        assert {(r.ok, r.temporary) for to, r in results.items() if to in late} == {(False, True)}
        assert esme.queued == 0 and esme.stats().window_in_use == 0
        assert {to for to, _ in smsc.accepted} == set(early)
        await esme.stop()
        assert answers.once(early + late)  # and no second answer since


async def test_the_queue_survives_losing_one_of_two_links() -> None:
    """What the lost link had in flight fails as temporary; the queue goes to the other link."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=3, binds=2, reconnect_delay=10.0)
        await esme.start()
        await smsc.wait_until(lambda: smsc.stats.binds_active == 2)
        await until(lambda: esme.stats().binds_up == 2)
        lost, kept = stall(smsc)
        answers = Answers()
        keys = [f"86300{i:02}" for i in range(12)]
        for to in keys:
            esme.submit_nowait(msg(to), answers.done_for(to))
        await until(lambda: esme.stats().window_in_use == 6)
        assert esme.queued == 6

        lost.abort()
        assert kept.transport is not None
        kept.transport.resume_reading()
        await answers.wait_for(len(keys))
        results = answers.once(keys)
        failed = {to for to, r in results.items() if not r.ok}
        assert len(failed) == 3 and all(results[to].temporary for to in failed)
        assert {to for to, _ in smsc.accepted} == set(keys) - failed
        assert len(smsc.accepted) == len(keys) - 3  # each taken once
        await esme.stop()


async def test_stop_sends_the_queue_and_answers_every_message() -> None:
    """Queued behind a small window and the tps pacing: all of it goes out before the unbind."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=2, tps=400)
        await esme.start()
        answers = Answers()
        keys = [f"86400{i:02}" for i in range(40)]
        for i, to in enumerate(keys):
            esme.submit_nowait(msg(to, LONG if i % 4 == 0 else "bye"), answers.done_for(to))
        await esme.stop()
        assert {r.ok for r in answers.once(keys).values()} == {True}
        assert len(smsc.accepted) == 40 + 10


async def test_stop_with_a_queue_it_cannot_send_in_time_fails_the_rest_once() -> None:
    """An SMSC that stops answering: stop() gives up after its timeouts, and every message
    still queued or in flight is answered as temporary."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=2, stop_timeout=0.2)
        await esme.start()
        answers = Answers()
        first = "8650000"
        esme.submit_nowait(msg(first), answers.done_for(first))
        await answers.wait_for(1)
        stall(smsc)
        keys = [f"86500{i:02}" for i in range(1, 9)]
        for to in keys:
            esme.submit_nowait(msg(to, LONG), answers.done_for(to))
        await until(lambda: esme.stats().window_in_use == 2)
        async with asyncio.timeout(2.0):
            await esme.stop()
        results = answers.once([first, *keys])
        assert results[first].ok
        assert {(results[to].ok, results[to].temporary) for to in keys} == {(False, True)}
        assert esme.queued == 0


async def test_stop_fails_what_the_tps_limit_kept_queued() -> None:
    """Nothing in flight, the rest waiting for tps tokens: stop() answers it as temporary."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), tps=20, stop_timeout=0.1)
        await esme.start()
        answers = Answers()
        keys = [f"86550{i:02}" for i in range(30)]
        for to in keys:
            esme.submit_nowait(msg(to), answers.done_for(to))
        async with asyncio.timeout(2.0):
            await esme.stop()
        results = answers.once(keys)
        sent = {to for to, r in results.items() if r.ok}
        assert 0 < len(sent) < len(keys)
        assert {to for to, _ in smsc.accepted} == sent
        assert {(r.ok, r.temporary, r.reason) for to, r in results.items() if to not in sent} == {
            (False, True, "connector stopped")
        }


async def test_a_message_whose_second_segment_is_refused_fails_once() -> None:
    """Its other segments are answered (or skipped while queued); one failure is reported."""

    def second_part(pdu: p.SubmitSm) -> S | None:
        is_part = pdu.esm_class & 0x40
        return S.ESME_RINVDSTADR if is_part and pdu.short_message[5] == 2 else None

    async with RecordingSmsc() as smsc:
        smsc.refuse = second_part
        for window, sent in ((1, 2), (8, 3)):  # the third part queued, or already in flight
            esme = connector_for(smsc, Sink(), window=window)
            await esme.start()
            before = smsc.stats.submit_sm
            answers = Answers()
            esme.submit_nowait(msg("8660001", "y" * 400), answers.done_for("three parts"))
            await answers.wait_for(1)
            await idle(esme)
            [result] = answers.once(["three parts"]).values()
            assert (result.ok, result.temporary, result.command_status) == (
                False,
                False,
                S.ESME_RINVDSTADR,
            )
            assert smsc.stats.submit_sm - before == sent
            await esme.stop()
            assert len(answers.by_key["three parts"]) == 1


async def test_throttled_segments_go_out_again_in_the_order_they_were_sent() -> None:
    """A whole window throttled goes back ahead of the queue in its order: on one link the
    SMSC takes the messages in the order they were queued, and carrier ids stay in part
    order."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=4)
        await esme.start()
        smsc.throttle(count=4)
        answers = Answers()
        keys = [f"86700{i:02}" for i in range(8)]
        for i, to in enumerate(keys):
            esme.submit_nowait(msg(to, LONG if i == 1 else "order"), answers.done_for(to))
        await answers.wait_for(len(keys))
        results = answers.once(keys)
        assert {r.ok for r in results.values()} == {True}
        assert smsc.stats.throttled == 4 and esme.stats().throttles == 4
        destinations = [to for to, _ in smsc.accepted]
        assert destinations == [keys[0], keys[1], keys[1], *keys[2:]]
        parts = [text for to, text in smsc.accepted if to == keys[1]]
        assert "".join(parts) == LONG
        ids = results[keys[1]].carrier_ids
        assert int(ids[0], 16) < int(ids[1], 16)  # the simulator's ids grow as it takes parts
        await esme.stop()


async def test_a_message_whose_validity_ended_in_the_queue_is_not_sent() -> None:
    """Checked when its first segment's turn comes: the SMSC never sees it, and the answer is
    temporary (the dispatcher's retry rule then finds the validity over: expired). One with
    time left, or none set, goes out."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink())
        await esme.start()
        answers = Answers()
        past = datetime.now(UTC) - timedelta(seconds=1)
        later = datetime.now(UTC) + timedelta(hours=1)
        esme.submit_nowait(replace(msg("86400001", LONG), expires_at=past), answers.done_for("a"))
        esme.submit_nowait(replace(msg("86400002"), expires_at=later), answers.done_for("b"))
        esme.submit_nowait(msg("86400003"), answers.done_for("c"))
        await answers.wait_for(3)

        results = answers.once(["a", "b", "c"])
        assert (results["a"].ok, results["a"].temporary) == (False, True)
        assert results["a"].reason == "validity ended in the queue"
        assert results["b"].ok and results["c"].ok
        assert sorted(to for to, _ in smsc.accepted) == ["86400002", "86400003"]
        await esme.stop()
