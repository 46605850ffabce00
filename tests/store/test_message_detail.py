"""Contract: message detail (segments, receipts, report pushes) and the inbound listing."""

from __future__ import annotations

from datetime import timedelta

from hongyan.core.inbound import NewInbound
from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.core.receipts import normalize_carrier_id
from hongyan.store.base import Store

from .factories import NOW, new_account, new_message, receipt

S = MessageState


async def test_detail_has_segments_receipts_and_pushes(store: Store) -> None:
    a = await store.create_account(new_account(report_url="http://r"))
    (mid,) = await store.admit(a.id, [new_message(a.id, segments=2)])
    await store.claim_due(NOW, 1, 30, "d1")
    await store.record_submits(NOW, successes=[SubmitSuccess(mid, "cmcc", ("c1", "c2"))])
    before = await store.get_message_detail(mid)
    assert before is not None and before.message.state is S.SUBMITTED
    assert [(s.seq, s.carrier_id, s.outcome, s.done_at) for s in before.segments] == [
        (0, normalize_carrier_id("c1"), None, None),
        (1, normalize_carrier_id("c2"), None, None),
    ]
    assert before.pushes == ()

    await store.record_receipts([receipt("c1"), receipt("c2", stat="UNDELIV", err="045")], NOW)
    detail = await store.get_message_detail(mid, account_id=a.id)
    assert detail is not None and detail.message.state is S.UNDELIVERABLE
    first, second = detail.segments
    assert (first.channel, first.stat, first.error_code) == ("cmcc", "DELIVRD", "000")
    assert (second.stat, second.error_code) == ("UNDELIV", "045")
    assert first.outcome is not None and first.outcome != second.outcome
    assert first.done_at == NOW + timedelta(minutes=1)
    (push,) = detail.pushes
    assert (push.kind, push.state, push.attempts, push.done_at) == ("report", "pending", 0, None)
    assert push.next_attempt_at == NOW and push.last_error is None

    (job,) = await store.claim_pushes(NOW, 10, 30)
    await store.finish_pushes(NOW, retry=[(job.id, NOW + timedelta(seconds=5), "HTTP 500")])
    later = await store.get_message_detail(mid)
    assert later is not None
    (push,) = later.pushes
    assert (push.attempts, push.last_error, push.next_attempt_at) == (
        1,
        "HTTP 500",
        NOW + timedelta(seconds=5),
    )
    await store.finish_pushes(NOW, delivered=[job.id])
    done = await store.get_message_detail(mid)
    assert done is not None and done.pushes[0].state == "delivered"
    assert done.pushes[0].next_attempt_at is None and done.pushes[0].done_at is not None


async def test_detail_is_none_for_missing_or_other_account(store: Store) -> None:
    a = await store.create_account(new_account("a"))
    b = await store.create_account(new_account("b", service_code="1070"))
    (mid,) = await store.admit(a.id, [new_message(a.id)])
    assert await store.get_message_detail(mid, account_id=b.id) is None
    assert await store.get_message_detail(mid + 1000) is None
    queued = await store.get_message_detail(mid, account_id=a.id)
    assert queued is not None and queued.message.id == mid
    assert queued.segments == () and queued.pushes == ()


async def test_find_inbound_pages_newest_first_without_marking_read(store: Store) -> None:
    a = await store.create_account(new_account("a", service_code="1069"))
    await store.create_account(new_account("b", service_code="1070"))
    mine = [NewInbound("cmcc", "8613900000001", "1069", f"m{i}", NOW) for i in range(5)]
    other = NewInbound("cmcc", "8613900000001", "1070", "not yours", NOW)
    await store.record_inbound([*mine[:3], other, *mine[3:]], NOW)
    page = await store.find_inbound(a.id, None, 3)
    assert [m.text for m in page] == ["m4", "m3", "m2"]
    rest = await store.find_inbound(a.id, page[-1].id, 3)
    assert [m.text for m in rest] == ["m1", "m0"]
    assert all(m.account_id == a.id for m in page + rest)
    assert len(await store.unread_inbound(a.id, 10)) == 5  # listing marked nothing read
