"""The dispatcher sends only on channels it serves (bind lease held, not paused): a message
claimed for a channel that stopped serving goes back to the queue without using an attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hongyan.core.messages import ClaimedMessage, MessageState, NewMessage
from hongyan.core.routing import Route, Router
from hongyan.services.dispatcher import ChannelResult, Dispatcher
from hongyan.store.base import NewAccount
from hongyan.store.sqlite import SqliteStore

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


class Carrier:
    name = "cmcc"
    available = True

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def submit(self, message: ClaimedMessage) -> ChannelResult:
        self.sent.append(message.id)
        return ChannelResult((f"c{message.id}",))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(str(tmp_path / "d.db"), clock=lambda: NOW)
    await opened.open()
    await opened.upgrade()
    yield opened
    await opened.close()


async def queue(store: SqliteStore, *recipients: str) -> list[int]:
    account = await store.create_account(NewAccount("acme", "x", balance=10))
    return await store.admit(
        account.id,
        [
            NewMessage(account.id, r, r, "1069", "hi", 1, 1, NOW, NOW + timedelta(hours=1))
            for r in recipients
        ],
    )


class Leases:
    """What the bind leases say, answer after answer (the last one repeats)."""

    def __init__(self, *answers: frozenset[str]) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self) -> frozenset[str]:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def dispatcher(store: SqliteStore, carrier: Carrier, leases: Leases) -> Dispatcher:
    return Dispatcher(
        store=store,
        channels={"cmcc": carrier},
        router=Router([Route("86", ("cmcc",))]),
        owner="d1",
        clock=lambda: NOW,
        serving=leases,
        poll_seconds=0.01,
    )


async def run_until(d: Dispatcher, done: Callable[[], bool]) -> None:
    """Run the dispatcher until ``done``; stopping writes back every result it holds."""
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    for _ in range(500):
        if done():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert done()


async def test_claimed_then_paused_goes_back_without_an_attempt(store: SqliteStore) -> None:
    (message_id,) = await queue(store, "8613800000001")
    carrier = Carrier()
    # served when claimed, no longer when about to be submitted, then never again
    leases = Leases(frozenset({"cmcc"}), frozenset())
    await run_until(dispatcher(store, carrier, leases), lambda: leases.asked >= 3)
    message = await store.get_message(message_id)
    assert message is not None and carrier.sent == []
    assert (message.state, message.attempts, message.due_at) == (MessageState.QUEUED, 0, NOW)


async def test_nothing_is_claimed_for_channels_not_served(store: SqliteStore) -> None:
    ids = await queue(store, "8613800000001", "1555000")  # the second has no route
    carrier = Carrier()
    leases = Leases(frozenset())
    await run_until(dispatcher(store, carrier, leases), lambda: leases.asked >= 3)
    held, unrouted = [await store.get_message(i) for i in ids]
    assert held is not None and unrouted is not None
    assert (held.state, held.attempts) == (MessageState.QUEUED, 0)
    assert unrouted.state is MessageState.FAILED  # claimable by anyone: no route
    d = dispatcher(store, carrier, Leases(frozenset({"cmcc"})))
    await run_until(d, lambda: bool(carrier.sent))
    assert carrier.sent == ids[:1]
