"""HI8D ``/servlet/gateway.php`` end to end: HTTP in, SMPP out at the simulator, pushes back."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tests.api.harness import PASSWD_MD5, Live, eventually

from hongyan.core.accounts import Account
from hongyan.core.messages import MessageState
from hongyan.store.base import AccountChanges

GATEWAY = "/servlet/gateway.php"
LONG_TEXT = "鸿雁传书，" * 30  # 150 UCS2 characters: three segments of 67


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert isinstance(body, dict)
    return body


def fields(account: Account, **extra: str) -> dict[str, str]:
    return {"account": account.name, "passwd": PASSWD_MD5, **extra}


async def test_two_recipients_long_text_reach_smsc_and_report_back(live: Live) -> None:
    account = await live.account(report_url=live.push_url)
    response = await live.http.post(
        GATEWAY,
        data=fields(account, mb="8618611287980,8613910060001", content=LONG_TEXT),
    )
    body = answer(response)
    assert body["status"] == 1 and body["msg"] == "发送成功"
    guids = body["guid"].split(",")
    assert len(guids) == 2 and all(g.isdigit() for g in guids) and len(set(guids)) == 2
    assert body["mb"] == "8618611287980,8613910060001"

    await live.wait_submitted(6)
    for number in ("8618611287980", "8613910060001"):
        pdus = live.smsc.to(number)
        assert len(pdus) == 3
        assert all(pdu.data_coding == 8 and pdu.esm_class & 0x40 for pdu in pdus)
        assert live.smsc.text_to(number) == LONG_TEXT
    assert await live.balance(account) == 100 - 6

    await live.wait_pushes(2)
    for guid, number in zip(guids, ("8618611287980", "8613910060001"), strict=True):
        (push,) = live.receiver.for_guid(guid)
        assert push["status"] == 1 and push["sms"] == "0" and push["mb"] == number
        assert push["stat"] == "DELIVRD"


async def test_mixed_valid_and_invalid_recipients(live: Live) -> None:
    account = await live.account()
    body = answer(
        await live.http.post(
            GATEWAY, data=fields(account, mb="8613800000001,12345,+86 138 0000 0002", content="hi")
        )
    )
    assert body["status"] == 1
    assert len(body["guid"].split(",")) == 2
    assert body["failed"] == "12345"
    await live.wait_submitted(2)
    assert {s.destination_addr for s in live.smsc.submitted} == {"8613800000001", "8613800000002"}
    assert await live.balance(account) == 98


async def test_php_curl_multipart_post(live: Live) -> None:
    account = await live.account()
    boundary = "------------------------d74496d66958873e"
    parts = [("account", account.name), ("passwd", PASSWD_MD5), ("mb", "8618611287980")]
    parts.append(("content", "这是一条短信\r\n第二行"))
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in parts
    ]
    payload = ("".join(chunks) + f"--{boundary}--\r\n").encode()
    response = await live.http.post(
        GATEWAY,
        content=payload,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    body = answer(response)
    assert body["status"] == 1 and body["guid"].isdigit()
    await live.wait_submitted(1)
    assert live.smsc.text_to("8618611287980") == "这是一条短信\r\n第二行"


async def test_json_post_and_get(live: Live) -> None:
    account = await live.account()
    body = answer(
        await live.http.post(GATEWAY, json=fields(account, mb="8613800000001", content="JSON 你好"))
    )
    assert body["status"] == 1 and body["guid"].isdigit()
    got = answer(
        await live.http.get(GATEWAY, params=fields(account, mb="8613800000002", content="GET"))
    )
    assert got["status"] == 1 and got["guid"].isdigit() and got["guid"] != body["guid"]
    await live.wait_submitted(2)
    assert live.smsc.text_to("8613800000001") == "JSON 你好"


async def test_lower_case_md5_is_accepted(live: Live) -> None:
    account = await live.account()
    data = fields(account, mb="8613800000001", content="x")
    data["passwd"] = PASSWD_MD5.lower()
    assert answer(await live.http.post(GATEWAY, data=data))["status"] == 1


async def test_wrong_password_is_refused_and_nothing_charged(live: Live) -> None:
    account = await live.account()
    data = fields(account, mb="8613800000001", content="x")
    data["passwd"] = "0" * 32
    body = answer(await live.http.post(GATEWAY, data=data))
    assert body == {"status": 0, "msg": "用户名或者密码错误", "code": 1001}
    unknown = {**data, "account": "nobody", "passwd": PASSWD_MD5}
    assert answer(await live.http.post(GATEWAY, data=unknown))["code"] == 1001
    assert await live.balance(account) == 100 and await live.messages(account) == []


async def test_stopped_account_and_disallowed_ip(live: Live) -> None:
    stopped = await live.account()
    await live.store.update_account(stopped.name, AccountChanges(active=False))
    elsewhere = await live.account(allowed_networks=("10.0.0.0/8",))
    for account, code in ((stopped, 1002), (elsewhere, 1003)):
        data = fields(account, mb="8613800000001", content="x")
        body = answer(await live.http.post(GATEWAY, data=data))
        assert body["status"] == 0 and body["code"] == code and body["msg"]
        assert await live.balance(account) == 100
        assert await live.messages(account) == []


async def test_insufficient_balance_refuses_the_whole_request(live: Live) -> None:
    account = await live.account(balance=5)
    data = fields(account, mb="8613800000001,8613800000002", content=LONG_TEXT)  # 6 segments
    body = answer(await live.http.post(GATEWAY, data=data))
    assert body["status"] == 0 and body["code"] == 5001
    assert await live.balance(account) == 5 and await live.messages(account) == []
    assert live.smsc.submitted == []


async def test_report_url_down_then_up(live: Live) -> None:
    account = await live.account(report_url=live.push_url)
    live.receiver.up = False
    body = answer(
        await live.http.post(GATEWAY, data=fields(account, mb="8613800000001", content="r"))
    )
    guid = body["guid"]

    async def refused_once() -> bool:
        return live.receiver.refused >= 1

    await eventually(refused_once, what="first push attempt")
    live.receiver.up = True
    await live.wait_pushes(1, timeout=15)  # the retry comes after the first backoff (5 s)
    (push,) = live.receiver.for_guid(guid)
    assert push["status"] == 1 and push["mb"] == "8613800000001"
    (message,) = await live.messages(account)
    assert message.state is MessageState.DELIVERED


async def test_allowed_network_behind_a_trusted_proxy(live: Live) -> None:
    account = await live.account(allowed_networks=("10.0.0.0/8",))
    data = fields(account, mb="8613800000001", content="x")
    inside = await live.http.post(GATEWAY, data=data, headers={"x-forwarded-for": "10.1.2.3"})
    assert answer(inside)["status"] == 1
    outside = await live.http.post(GATEWAY, data=data, headers={"x-forwarded-for": "192.0.2.9"})
    assert answer(outside)["code"] == 1003
    assert await live.balance(account) == 99
