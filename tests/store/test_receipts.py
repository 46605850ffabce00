"""Contract: receipts matched by every reading of the carrier id, per segment, early receipts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.store.base import Store

from .factories import NOW, new_account, new_message, receipt

S = MessageState


async def submitted(store: Store, *carrier_ids: str, report_url: str | None = None) -> int:
    account = await store.get_account("acme")
    if account is None:
        account = await store.create_account(new_account(report_url=report_url))
    (mid,) = await store.admit(account.id, [new_message(account.id, segments=len(carrier_ids))])
    await store.claim_due(NOW, 1, 30, "d1")
    await store.record_submits(NOW, successes=[SubmitSuccess(mid, "cmcc", carrier_ids)])
    return mid


@pytest.mark.parametrize(
    ("submitted_as", "received_as"),
    [("0A1B", "2587"), ("2587", "a1b"), ("00001234", "1234"), ("abc", "ABC"), ("42", "42")],
)
async def test_receipt_matches_any_reading(
    store: Store, submitted_as: str, received_as: str
) -> None:
    mid = await submitted(store, submitted_as)
    result = await store.record_receipts([receipt(received_as)], NOW)
    assert (result.matched, result.pending, result.finished) == (1, 0, (mid,))
    message = await store.get_message(mid)
    assert message is not None and message.state is S.DELIVERED
    assert message.stat == "DELIVRD" and message.error_code == "000"
    assert message.done_at == NOW + timedelta(minutes=1)


async def test_receipt_on_other_channel_does_not_match(store: Store) -> None:
    mid = await submitted(store, "77")
    result = await store.record_receipts([receipt("77", channel="unicom")], NOW)
    assert (result.matched, result.pending) == (0, 1)
    assert (await store.get_message(mid)).state is S.SUBMITTED  # type: ignore[union-attr]


async def test_multi_segment_needs_every_segment_delivered(store: Store) -> None:
    mid = await submitted(store, "100", "101", "102")
    result = await store.record_receipts([receipt("100"), receipt("102")], NOW)
    assert result.matched == 2 and result.finished == ()
    assert (await store.get_message(mid)).state is S.SUBMITTED  # type: ignore[union-attr]
    result = await store.record_receipts([receipt("101", "ENROUTE")], NOW)
    assert result.finished == ()
    result = await store.record_receipts([receipt("101")], NOW)
    assert result.finished == (mid,)
    assert (await store.get_message(mid)).state is S.DELIVERED  # type: ignore[union-attr]


async def test_one_failed_segment_fails_the_message(store: Store) -> None:
    mid = await submitted(store, "200", "201")
    result = await store.record_receipts(
        [receipt("200"), receipt("201", "UNDELIV", err="012")], NOW
    )
    assert result.finished == (mid,)
    message = await store.get_message(mid)
    assert message is not None and message.state is S.UNDELIVERABLE
    assert (message.stat, message.error_code) == ("UNDELIV", "012")
    account = await store.get_account("acme")
    assert account is not None and account.balance == 98  # delivered to the carrier: no refund
    late = await store.record_receipts([receipt("200", "DELIVRD")], NOW)
    assert late.finished == ()


async def test_expired_receipt(store: Store) -> None:
    mid = await submitted(store, "300")
    await store.record_receipts([receipt("300", "EXPIRED")], NOW)
    assert (await store.get_message(mid)).state is S.EXPIRED  # type: ignore[union-attr]
    account = await store.get_account("acme")
    assert account is not None and account.balance == 99  # expired after submission: kept


async def test_receipt_before_submit_is_kept_and_applied(store: Store) -> None:
    early = await store.record_receipts([receipt("2587")], NOW)
    assert (early.matched, early.pending) == (0, 1)
    mid = await submitted(store, "0A1B")
    message = await store.get_message(mid)
    assert message is not None and message.state is S.DELIVERED
    again = await store.record_receipts([receipt("ffff")], NOW)
    assert again.pending == 1
    assert await store.purge_pending_receipts(NOW - timedelta(seconds=1)) == 0
    assert await store.purge_pending_receipts(NOW + timedelta(seconds=1)) == 1


async def test_final_message_gets_report_and_push(store: Store) -> None:
    mid = await submitted(store, "400", report_url="http://partner/report")
    await store.record_receipts([receipt("400")], NOW)
    account = await store.get_account("acme")
    assert account is not None
    reports = await store.unread_reports(account.id, 10)
    assert [(r.message_id, r.state, r.stat) for r in reports] == [(mid, S.DELIVERED, "DELIVRD")]
    assert await store.unread_reports(account.id, 10) == []
    jobs = await store.claim_pushes(NOW, 10, 30)
    assert [(j.ref_id, j.url, j.state, j.stat) for j in jobs] == [
        (mid, "http://partner/report", "delivered", "DELIVRD")
    ]
