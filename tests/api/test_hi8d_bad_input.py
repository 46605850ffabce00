"""HI8D bad input end to end: every malformed request is a JSON refusal with a reason, HTTP 200,
and nothing is charged or sent."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.api.harness import PASSWD_MD5, Live

from hongyan.core.accounts import Account

GATEWAY = "/servlet/gateway.php"
FORM = "application/x-www-form-urlencoded"


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert body["status"] == 0, body
    assert isinstance(body["msg"], str) and body["msg"]
    assert isinstance(body["code"], int)
    return body


def good(account: Account) -> dict[str, str]:
    return {"account": account.name, "passwd": PASSWD_MD5, "mb": "8613800000001", "content": "hi"}


async def assert_untouched(live: Live, account: Account) -> None:
    assert await live.balance(account) == 100
    assert await live.messages(account) == []
    assert live.smsc.submitted == []


@pytest.mark.parametrize("field", ["account", "passwd", "mb", "content"])
async def test_missing_or_empty_parameters(live: Live, field: str) -> None:
    account = await live.account()
    missing = {k: v for k, v in good(account).items() if k != field}
    codes = {refusal(await live.http.post(GATEWAY, data=missing))["code"]}
    empty = {**good(account), field: ""}
    codes.add(refusal(await live.http.post(GATEWAY, data=empty))["code"])
    blank = {**good(account), field: "  "}
    codes.add(refusal(await live.http.post(GATEWAY, json=blank))["code"])
    expected = {"account": 2001, "passwd": 2001, "mb": 4001, "content": 3001}[field]
    assert codes == {expected}
    await assert_untouched(live, account)


async def test_no_parameters_at_all(live: Live) -> None:
    assert refusal(await live.http.post(GATEWAY))["code"] == 2001
    assert refusal(await live.http.get(GATEWAY))["code"] == 2001


async def test_undecodable_bytes(live: Live) -> None:
    account = await live.account()
    base = f"account={account.name}&passwd={PASSWD_MD5}&mb=8613800000001&content=".encode()
    # Valid in none of the charsets tried (declared, UTF-8, GB18030).
    for junk in (b"%FF%FE%FD", b"%C4", b"\xff\xfe\x80abc", b"ok%80"):
        response = await live.http.post(
            GATEWAY, content=base + junk, headers={"content-type": FORM}
        )
        assert refusal(response)["code"] == 2002
    bad_json = b'{"account": "' + account.name.encode() + b'", "content": "\xff\xfe"}'
    response = await live.http.post(
        GATEWAY, content=bad_json, headers={"content-type": "application/json"}
    )
    assert refusal(response)["code"] in (2001, 2002)
    await assert_untouched(live, account)


async def test_ten_megabyte_body(live: Live) -> None:
    account = await live.account()
    body = f"account={account.name}&passwd={PASSWD_MD5}&mb=8613800000001&content=".encode()
    body += b"A" * (10 * 1024 * 1024)
    response = await live.http.post(GATEWAY, content=body, headers={"content-type": FORM})
    assert refusal(response)["code"] == 2003
    await assert_untouched(live, account)


async def test_hundred_thousand_recipients(live: Live) -> None:
    account = await live.account()
    numbers = ",".join(str(8613800000000 + i) for i in range(100_000))
    response = await live.http.post(GATEWAY, data={**good(account), "mb": numbers})
    assert refusal(response)["code"] == 4002
    await assert_untouched(live, account)


async def test_json_that_is_not_an_object(live: Live) -> None:
    account = await live.account()
    for document in ([good(account)], "text", 42, None, {"account": {"nested": 1}}):
        response = await live.http.post(
            GATEWAY, content=json.dumps(document), headers={"content-type": "application/json"}
        )
        assert refusal(response)["code"] == 2002, document
    response = await live.http.post(
        GATEWAY, content=b'{"account": ', headers={"content-type": "application/json"}
    )
    assert refusal(response)["code"] == 2002
    await assert_untouched(live, account)


@pytest.mark.parametrize("field", ["account", "passwd", "mb", "content", "sender"])
async def test_nul_bytes_in_every_field(live: Live, field: str) -> None:
    account = await live.account()
    fields = {**good(account), "sender": "10690"}
    fields[field] += "\x00"
    refusal(await live.http.post(GATEWAY, data=fields))
    refusal(await live.http.post(GATEWAY, json=fields))
    await assert_untouched(live, account)


INJECTIONS = (
    "' OR '1'='1",
    "1; DROP TABLE messages; --",
    '"); DELETE FROM accounts; --',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
)


@pytest.mark.parametrize("field", ["account", "passwd", "mb", "sender"])
async def test_sql_and_html_in_every_field(live: Live, field: str) -> None:
    account = await live.account()
    for attack in INJECTIONS:
        fields = {**good(account), field: attack}
        refusal(await live.http.post(GATEWAY, data=fields))
    await assert_untouched(live, account)
    assert (await live.store.get_account(account.name)) is not None


async def test_sql_and_html_content_is_just_text(live: Live) -> None:
    """Content is free text: an injection attempt there is sent verbatim, harming nothing."""
    account = await live.account()
    text = " | ".join(INJECTIONS)
    response = await live.http.post(GATEWAY, data={**good(account), "content": text})
    assert response.json()["status"] == 1
    await live.wait_submitted(1)
    assert live.smsc.text_to("8613800000001") == text
    assert await live.balance(account) == 99
