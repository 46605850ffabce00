"""Contract: a dispatcher renews its claims on messages still with a channel."""

from __future__ import annotations

from datetime import timedelta

from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.store.base import Store

from .factories import NOW, new_account, new_message

S = MessageState


async def test_a_renewed_claim_is_not_claimed_again_until_the_new_lease_runs_out(
    store: Store,
) -> None:
    a = await store.create_account(new_account())
    kept, lapsing = await store.admit(a.id, [new_message(a.id), new_message(a.id)])
    assert len(await store.claim_due(NOW, 10, 30, "d1")) == 2

    assert await store.renew_claims([kept], "d1", NOW + timedelta(seconds=20), 30) == 1
    again = await store.claim_due(NOW + timedelta(seconds=31), 10, 30, "d2")
    assert [c.id for c in again] == [lapsing]  # kept is leased until 50 s
    assert await store.claim_due(NOW + timedelta(seconds=49), 10, 30, "d2") == []
    assert [c.id for c in await store.claim_due(NOW + timedelta(seconds=51), 10, 30, "d2")] == [
        kept
    ]
    message = await store.get_message(kept)
    assert message is not None and (message.state, message.attempts) == (S.SUBMITTING, 0)


async def test_only_the_owners_claims_still_being_submitted_are_renewed(store: Store) -> None:
    a = await store.create_account(new_account())
    taken, mine, sent = await store.admit(a.id, [new_message(a.id) for _ in range(3)])
    assert len(await store.claim_due(NOW, 10, 30, "d1")) == 3
    await store.record_submits(NOW, successes=[SubmitSuccess(sent, "cmcc", ("c1",))])
    later = NOW + timedelta(seconds=40)  # d1's leases ran out (a stalled process)
    assert [c.id for c in await store.claim_due(later, 1, 30, "d2")] == [taken]

    # taken is d2's now and sent is no claim any more; mine lapsed, but nobody took it
    assert await store.renew_claims([taken, mine, sent], "d1", later, 30) == 1
    assert await store.renew_claims([], "d1", later, 30) == 0
    assert await store.claim_due(later + timedelta(seconds=29), 10, 30, "d3") == []
    message = await store.get_message(taken)
    assert message is not None and message.state is S.SUBMITTING
    message = await store.get_message(sent)
    assert message is not None and message.state is S.SUBMITTED
