"""Contract: operators, the audit log, account changes audited in their own transaction,
receipt latencies per channel."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest

from hongyan.core.accounts import Limits
from hongyan.core.errors import Conflict, InsufficientBalance, NotFound
from hongyan.core.messages import SubmitSuccess
from hongyan.core.operators import HIDDEN, AuditAction, NewAuditEntry
from hongyan.store.base import AccountChanges, AuditQuery, OperatorChanges, Store

from .factories import NOW, new_account, new_message, receipt


def act(action: str, target: str = "account:acme", operator: str = "alice") -> AuditAction:
    return AuditAction(operator, action, target)


async def test_operators_are_unique_and_change(store: Store) -> None:
    created = await store.create_operator("alice", "hash-1")
    assert (created.name, created.active, created.password_hash) == ("alice", True, "hash-1")
    with pytest.raises(Conflict):
        await store.create_operator("alice", "hash-2")
    await store.create_operator("bob", "hash-3")
    assert [o.name for o in await store.list_operators()] == ["alice", "bob"]

    changed = await store.update_operator("alice", OperatorChanges(active=False))
    assert not changed.active and changed.password_hash == "hash-1"
    changed = await store.update_operator("alice", OperatorChanges(password_hash="hash-4"))
    assert changed.password_hash == "hash-4" and not changed.active
    assert await store.get_operator("alice") == changed
    assert await store.get_operator_by_id(changed.id) == changed
    assert await store.get_operator_by_id(changed.id + 100) is None
    assert await store.get_operator("nobody") is None
    with pytest.raises(NotFound):
        await store.update_operator("nobody", OperatorChanges(active=True))


async def test_operators_are_not_accounts(store: Store) -> None:
    await store.create_operator("alice", "hash-1")
    assert await store.get_account("alice") is None
    await store.create_account(new_account("alice"))  # same name in the other realm is fine
    assert (await store.get_operator("alice")) is not None


async def test_audit_entries_round_trip_and_filter(store: Store) -> None:
    first = await store.record_audit(
        NewAuditEntry(
            "alice", "channel.pause", "channel:mobile", {"paused": False}, {"paused": True}
        )
    )
    assert first.before == {"paused": False} and first.after == {"paused": True}
    await store.record_audit(
        NewAuditEntry("bob", "banned-words.add", "banned-words", None, {"words": ["发票", "<b>"]})
    )
    await store.record_audit(NewAuditEntry("alice", "account.create", "account:acme", None, {}))
    newest_first = await store.find_audit(AuditQuery())
    assert [e.action for e in newest_first] == [
        "account.create",
        "banned-words.add",
        "channel.pause",
    ]
    assert newest_first[1].after == {"words": ["发票", "<b>"]}
    assert [e.target for e in await store.find_audit(AuditQuery(operator="alice"))] == [
        "account:acme",
        "channel:mobile",
    ]
    assert [e.id for e in await store.find_audit(AuditQuery(target="mobile"))] == [first.id]
    page = await store.find_audit(AuditQuery(limit=1))
    rest = await store.find_audit(AuditQuery(before_id=page[0].id, limit=5))
    assert [e.id for e in page + rest] == [e.id for e in newest_first]
    assert await store.find_audit(AuditQuery(operator="carol")) == []


async def test_audited_account_changes_record_only_what_changed(store: Store) -> None:
    created = await store.create_account_audited(
        new_account(report_url="https://p.example/r", password_hash="secret-hash-1"),
        act("account.create"),
    )
    changed = await store.update_account_audited(
        "acme",
        AccountChanges(
            limits=Limits(sends_per_second=20), report_url="", password_hash="secret-hash-2"
        ),
        act("account.update"),
    )
    assert changed.limits.sends_per_second == 20 and changed.report_url is None
    update, create = await store.find_audit(AuditQuery(target="account:acme"))
    assert create.before is None and create.after is not None
    assert create.after["balance"] == created.balance == 100
    assert create.after["password"] == HIDDEN
    assert update.before == {
        "limits": dataclasses.asdict(Limits()),
        "report_url": "https://p.example/r",
        "password": HIDDEN,
    }
    assert update.after is not None and update.after["limits"]["sends_per_second"] == 20
    assert update.after["report_url"] is None and update.after["password"] == HIDDEN
    assert "secret-hash" not in json.dumps([update.before, update.after, create.after])


async def test_audited_top_up_in_one_transaction(store: Store) -> None:
    await store.create_account(new_account())
    account = await store.adjust_balance_audited("acme", 50, "invoice 7", act("account.topup"))
    assert account.balance == 150
    (entry,) = await store.find_audit(AuditQuery())
    assert (entry.operator, entry.action, entry.target) == (
        "alice",
        "account.topup",
        "account:acme",
    )
    assert entry.before == {"balance": 100}
    assert entry.after == {"balance": 150, "note": "invoice 7"}
    with pytest.raises(InsufficientBalance):
        await store.adjust_balance_audited("acme", -1000, "too much", act("account.topup"))
    with pytest.raises(NotFound):
        await store.update_account_audited("ghost", AccountChanges(active=False), act("x"))
    with pytest.raises(Conflict):
        await store.create_account_audited(new_account(), act("account.create"))
    assert len(await store.find_audit(AuditQuery())) == 1  # refused changes left no entry
    assert (await store.get_account("acme")).balance == 150  # type: ignore[union-attr]


async def test_receipt_latencies_per_channel(store: Store) -> None:
    account = await store.create_account(new_account())
    ids = await store.admit(account.id, [new_message(account.id) for _ in range(3)])
    await store.claim_due(NOW, 3, 30, "d1")
    await store.record_submits(
        NOW,
        successes=[
            SubmitSuccess(ids[0], "cmcc", ("a1",)),
            SubmitSuccess(ids[1], "cmcc", ("a2",)),
            SubmitSuccess(ids[2], "unicom", ("b1",)),
        ],
    )
    await store.record_receipts(
        [receipt("a1"), receipt("b1", channel="unicom")], NOW + timedelta(seconds=3)
    )
    await store.record_receipts([receipt("a2", "UNDELIV")], NOW + timedelta(seconds=7.5))
    found = await store.receipt_latencies(NOW - timedelta(hours=1), scan=1000)
    assert found.keys() == {"cmcc", "unicom"}
    assert found["cmcc"] == pytest.approx([3.0, 7.5], abs=0.01)
    assert found["unicom"] == pytest.approx([3.0], abs=0.01)
    assert await store.receipt_latencies(NOW + timedelta(seconds=5), scan=1000) == {
        "cmcc": pytest.approx([7.5], abs=0.01)
    }
    assert await store.receipt_latencies(NOW - timedelta(hours=1), scan=0) == {}
