"""POST/GET /api/v1/messages and cancel: per-recipient answers, field errors as problems (never
a 500), whole-request refusals, detail, filters, stable pagination, cancel with refund."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

import pytest

from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.core.receipts import ReceiptRecord
from hongyan.store.base import AccountChanges, MessageQuery

from .conftest import Rest, Tenant, pointers, problem

NUMBER = "+8613800138000"


async def send(rest: Rest, tenant: Tenant, **body: Any) -> Any:
    payload = {"to": [NUMBER], "text": "hello", **body}
    return await rest.http.post("/api/v1/messages", json=payload, headers=tenant.auth)


async def test_send_answers_per_recipient_and_charges(rest: Rest) -> None:
    tenant = await rest.tenant()
    at = (rest.clock.now() + timedelta(days=30)).replace(microsecond=0)
    china = timezone(timedelta(hours=8))
    answer = await send(
        rest,
        tenant,
        to=["+86 138-0013-8000", "12", "447911123456"],
        text="验证码 123456 " * 8,
        send_at=at.astimezone(china).isoformat(),
        client_ref="order-1",
        validity=3600,
        sender_extension="77",
    )
    assert answer.status_code == 201 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    first, bad, third = body["messages"]
    assert first["to"] == "+86 138-0013-8000" and first["number"] == "8613800138000"
    assert (first["state"], first["segments"], first["refusal"]) == ("queued", 2, None)
    assert bad == {
        "to": "12",
        "number": None,
        "id": None,
        "state": "refused",
        "segments": None,
        "refusal": {"code": "invalid_number", "detail": bad["refusal"]["detail"]},
    }
    assert third["number"] == "447911123456" and third["id"] > first["id"]
    assert (body["accepted"], body["refused"], body["price"]) == (2, 1, 4)
    assert await rest.balance(tenant) == 96
    stored = await rest.store.get_message(first["id"], tenant.account.id)
    assert stored is not None and stored.dialect == "rest" and stored.client_ref == "order-1"
    assert stored.due_at == at and stored.expires_at == at + timedelta(hours=1)
    assert stored.source_addr == tenant.account.service_code + "77"


async def test_detail_shows_receipts_per_segment(rest: Rest) -> None:
    tenant = await rest.tenant()
    await rest.store.update_account(tenant.account.name, AccountChanges(report_url="http://r"))
    (sent,) = (await send(rest, tenant, text="x" * 200)).json()["messages"]
    now = rest.clock.now()
    await rest.store.claim_due(now, 10, 30, "test")
    await rest.store.record_submits(
        now, successes=[SubmitSuccess(sent["id"], "smsc", ("a1", "a2"))]
    )
    receipts = [ReceiptRecord("smsc", c, "DELIVRD", "000", now) for c in ("a1", "a2")]
    await rest.store.record_receipts(receipts, now)
    detail = (await rest.http.get(f"/api/v1/messages/{sent['id']}", headers=tenant.auth)).json()
    assert detail["state"] == "delivered" and detail["stat"] == "DELIVRD"
    assert [(r["segment"], r["stat"]) for r in detail["receipts"]] == [
        (1, "DELIVRD"),
        (2, "DELIVRD"),
    ]
    assert "channel" not in detail["receipts"][0]
    assert [(p["state"], p["attempts"]) for p in detail["pushes"]] == [("pending", 0)]


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


BAD_BODIES: list[tuple[str, bytes, str, int, str, str | None]] = [
    # (case, body, content type, status, problem slug, pointer)
    ("not json", b"{to:", "application/json", 400, "malformed-request", None),
    (
        "not utf-8",
        '{"to": ["1"], "text": "é"}'.encode("latin-1"),
        "application/json",
        400,
        "malformed-request",
        None,
    ),
    ("array", b"[]", "application/json", 400, "malformed-request", None),
    ("deep nesting", _deep(100_000), "application/json", 400, "malformed-request", None),
    (
        "huge integer",
        b'{"to": ["1"], "text": "x", "validity": 1' + b"0" * 5000 + b"}",
        "application/json",
        400,
        "malformed-request",
        None,
    ),
    (
        "form",
        b"to=1&text=x",
        "application/x-www-form-urlencoded",
        415,
        "unsupported-media-type",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "media", "status", "slug", "pointer"),
    BAD_BODIES,
    ids=[b[0] for b in BAD_BODIES],
)
async def test_unreadable_bodies(
    rest: Rest, case: str, body: bytes, media: str, status: int, slug: str, pointer: str | None
) -> None:
    tenant = await rest.tenant()
    headers = {**tenant.auth, "content-type": media}
    answer = await rest.http.post("/api/v1/messages", content=body, headers=headers)
    problem(answer, status, slug)


BAD_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", {"to": [NUMBER], "text": "x", "colour": "red"}, "#/colour"),
    ("missing to", {"text": "x"}, "#/to"),
    ("missing text", {"to": [NUMBER]}, "#/text"),
    ("to not a list", {"to": NUMBER, "text": "x"}, "#/to"),
    ("to empty", {"to": [], "text": "x"}, "#/to"),
    ("number not a string", {"to": [NUMBER, 8613800138000], "text": "x"}, "#/to/1"),
    ("number too long", {"to": ["1" * 33], "text": "x"}, "#/to/0"),
    ("text not a string", {"to": [NUMBER], "text": 5}, "#/text"),
    ("NUL in text", {"to": [NUMBER], "text": "a\u0000b"}, "#/text"),
    ("lone surrogate", {"to": [NUMBER], "text": "a\ud800b"}, "#/text"),
    ("NUL in number", {"to": ["86138\u0000"], "text": "x"}, "#/to/0"),
    ("naive send_at", {"to": [NUMBER], "text": "x", "send_at": "2031-01-02T03:04:05"}, "#/send_at"),
    ("date only", {"to": [NUMBER], "text": "x", "send_at": "2031-01-02"}, "#/send_at"),
    ("no such day", {"to": [NUMBER], "text": "x", "send_at": "2031-02-30T00:00:00Z"}, "#/send_at"),
    ("year 9999", {"to": [NUMBER], "text": "x", "send_at": "9999-12-31T23:59:59Z"}, "#/send_at"),
    ("validity bool", {"to": [NUMBER], "text": "x", "validity": True}, "#/validity"),
    ("validity float", {"to": [NUMBER], "text": "x", "validity": 600.5}, "#/validity"),
    ("validity small", {"to": [NUMBER], "text": "x", "validity": 5}, "#/validity"),
    ("client_ref long", {"to": [NUMBER], "text": "x", "client_ref": "r" * 65}, "#/client_ref"),
    (
        "extension number",
        {"to": [NUMBER], "text": "x", "sender_extension": 12},
        "#/sender_extension",
    ),
]


@pytest.mark.parametrize(("case", "body", "pointer"), BAD_FIELDS, ids=[b[0] for b in BAD_FIELDS])
async def test_field_errors_name_the_field(
    rest: Rest, case: str, body: dict[str, Any], pointer: str
) -> None:
    tenant = await rest.tenant()
    raw = json.dumps(body).encode()  # lone surrogates travel as \ud800 escapes
    headers = {**tenant.auth, "content-type": "application/json"}
    answer = await rest.http.post("/api/v1/messages", content=raw, headers=headers)
    assert pointer in pointers(problem(answer, 422, "invalid-request"))
    assert await rest.store.find_messages(MessageQuery(account_id=tenant.account.id)) == []


async def test_body_over_the_account_limit_is_413(rest: Rest) -> None:
    tenant = await rest.tenant()
    limits = tenant.account.limits.__class__(max_body_bytes=1000)
    await rest.store.update_account(tenant.account.name, AccountChanges(limits=limits))
    rest.clock.advance(1.1)  # the key cache re-reads the account
    answer = await send(rest, tenant, text="x" * 2000)
    problem(answer, 413, "body-too-large")


@pytest.mark.parametrize(
    ("changes", "body", "status", "slug", "pointer", "code"),
    [
        ({}, {"text": "   "}, 422, "refused", "#/text", "empty_content"),
        ({}, {"text": "x" * 501}, 422, "refused", "#/text", "content_too_long"),
        ({}, {"sender_extension": "12a"}, 422, "refused", "#/sender_extension", "bad_extension"),
        ({}, {"to": ["1", "2"]}, 422, "no-recipient-accepted", "#/to/1", "invalid_number"),
        ({"balance": 0}, {}, 402, "insufficient-balance", None, None),
    ],
)
async def test_whole_request_refusals(
    rest: Rest,
    changes: dict[str, Any],
    body: dict[str, Any],
    status: int,
    slug: str,
    pointer: str | None,
    code: str | None,
) -> None:
    tenant = await rest.tenant(**changes)
    answer = await send(rest, tenant, **body)
    found = problem(answer, status, slug)
    if pointer is not None:
        assert pointer in pointers(found)
        assert code in [e.get("code") for e in found["errors"]]
    assert await rest.store.find_messages(MessageQuery(account_id=tenant.account.id)) == []


async def test_banned_word_names_the_word(rest: Rest) -> None:
    tenant = await rest.tenant()
    await rest.store.add_banned_words(["赌博"])
    found = problem(await send(rest, tenant, text="网上赌博"), 422, "refused")
    assert "赌博" in found["detail"] and found["errors"][0]["code"] == "banned_word"


async def test_send_rate_is_429_with_retry_after(rest: Rest) -> None:
    limits = (await rest.tenant()).account.limits.__class__(sends_per_second=1)
    tenant = await rest.tenant(limits=limits)
    assert (await send(rest, tenant)).status_code == 201
    limited = await send(rest, tenant)
    problem(limited, 429, "rate-limited")
    assert limited.headers["retry-after"] == "1"
    rest.clock.advance(1)
    assert (await send(rest, tenant)).status_code == 201


@pytest.mark.parametrize("path", ["999999", "0", "-1", "abc", "99999999999999999999999", "1.5"])
async def test_unknown_message_ids_are_404(rest_both: Rest, path: str) -> None:
    tenant = await rest_both.tenant()
    answer = await rest_both.http.get(f"/api/v1/messages/{path}", headers=tenant.auth)
    problem(answer, 404, "not-found")
    cancel = await rest_both.http.post(f"/api/v1/messages/{path}/cancel", headers=tenant.auth)
    problem(cancel, 404, "not-found")


async def test_list_filters(rest: Rest) -> None:
    tenant = await rest.tenant()
    await send(rest, tenant, client_ref="a")
    (later,) = (await send(rest, tenant, client_ref="b")).json()["messages"]
    created = (await rest.http.get(f"/api/v1/messages/{later['id']}", headers=tenant.auth)).json()
    await rest.http.post(f"/api/v1/messages/{later['id']}/cancel", headers=tenant.auth)

    async def ids(**params: str) -> list[str | None]:
        answer = await rest.http.get("/api/v1/messages", params=params, headers=tenant.auth)
        assert answer.status_code == 200, answer.text
        return [m["client_ref"] for m in answer.json()["data"]]

    assert await ids() == ["b", "a"]
    assert await ids(client_ref="a") == ["a"]
    assert await ids(state="cancelled") == ["b"]
    assert await ids(state="queued") == ["a"]
    stamp = created["created_at"]  # since is inclusive, until exclusive
    assert await ids(since=stamp) == ["b"]
    assert await ids(until=stamp) == ["a"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"state": "lost"}, "state"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-01-01T00:00:00"}, "until"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "aTox"}, "cursor"),  # "i:1": an inbound cursor
        ({"cursor": "bTotNQ"}, "cursor"),  # "m:-5"
        ({"client_ref": "x" * 65}, "client_ref"),
    ],
)
async def test_bad_query_parameters_are_400(rest: Rest, params: dict[str, str], name: str) -> None:
    tenant = await rest.tenant()
    answer = await rest.http.get("/api/v1/messages", params=params, headers=tenant.auth)
    assert pointers(problem(answer, 400, "invalid-parameter")) == [name]


async def test_pagination_is_stable_while_messages_are_added(rest_both: Rest) -> None:
    rest = rest_both
    tenant = await rest.tenant(balance=1000)
    first = await send(rest, tenant, to=[NUMBER] * 25)
    original = sorted((m["id"] for m in first.json()["messages"]), reverse=True)
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params = {"limit": "10", **({"cursor": cursor} if cursor else {})}
        page = (await rest.http.get("/api/v1/messages", params=params, headers=tenant.auth)).json()
        seen += [m["id"] for m in page["data"]]
        await send(rest, tenant, to=[NUMBER] * 3)  # newer messages arrive between pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == original
    newest = (await rest.http.get("/api/v1/messages?limit=100", headers=tenant.auth)).json()
    assert len(newest["data"]) == 25 + 3 * 3 and newest["next_cursor"] is None


async def test_cancel_a_scheduled_message_refunds_it(rest_both: Rest) -> None:
    rest = rest_both
    tenant = await rest.tenant()
    later = (rest.clock.now() + timedelta(hours=2)).isoformat()
    (sent,) = (await send(rest, tenant, text="y" * 200, send_at=later)).json()["messages"]
    assert await rest.balance(tenant) == 98
    assert await rest.store.claim_due(rest.clock.now(), 10, 30, "d") == []  # not due yet
    answer = await rest.http.post(f"/api/v1/messages/{sent['id']}/cancel", headers=tenant.auth)
    assert answer.status_code == 200
    assert answer.json()["state"] == "cancelled" and answer.json()["stat"] == "CANCELLED"
    assert await rest.balance(tenant) == 100
    again = await rest.http.post(f"/api/v1/messages/{sent['id']}/cancel", headers=tenant.auth)
    assert "cancelled" in problem(again, 409, "conflict")["detail"]
    assert await rest.balance(tenant) == 100
    rest.clock.advance(3 * 3600)
    assert await rest.store.claim_due(rest.clock.now(), 10, 30, "d") == []  # never sent


async def test_a_submitted_message_cannot_be_cancelled(rest: Rest) -> None:
    tenant = await rest.tenant()
    (sent,) = (await send(rest, tenant)).json()["messages"]
    now = rest.clock.now()
    await rest.store.claim_due(now, 10, 30, "d")
    await rest.store.record_submits(now, successes=[SubmitSuccess(sent["id"], "smsc", ("c1",))])
    answer = await rest.http.post(f"/api/v1/messages/{sent['id']}/cancel", headers=tenant.auth)
    assert "submitted" in problem(answer, 409, "conflict")["detail"]
    stored = await rest.store.get_message(sent["id"])
    assert stored is not None and stored.state is MessageState.SUBMITTED
    assert await rest.balance(tenant) == 99


async def test_unknown_paths_and_methods_are_problems(rest: Rest) -> None:
    tenant = await rest.tenant()
    problem(await rest.http.get("/api/v1/nope", headers=tenant.auth), 404, "not-found")
    wrong = await rest.http.delete("/api/v1/messages", headers=tenant.auth)
    problem(wrong, 405, "method-not-allowed")
    assert "POST" in wrong.headers["allow"]
