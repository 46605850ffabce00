"""企信通 requests shaped like the deployed clients, checked at the SMSC and with their parsers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import httpx
from tests.api import qxt_clients as clients
from tests.api.harness import PASSWORD, Live

from hongyan.core.accounts import Account

TEXT = "验证码：123456，请勿泄露【鸿雁科技】 a+b=c & 100%"
FORM = "application/x-www-form-urlencoded"


def gbk(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=gbk"
    return response.content.decode("gbk")


def params(account: Account, dst: str, msg: str = TEXT) -> dict[str, str]:
    return {"name": account.name, "pwd": PASSWORD, "dst": dst, "msg": msg}


def assert_sent(answer: str, number: str) -> None:
    assert answer == f"num=1&success={number}&faile=&err=发送成功&errid=0"
    assert clients.java_split_parser(answer) == (1, 0)
    assert clients.regex_parser(answer) == (1, [number], [], "发送成功", 0)
    assert clients.prefix_parser(answer)


async def sent_text(live: Live, number: str, count: int) -> str:
    await live.wait_submitted(count)
    return live.smsc.text_to("86" + number)


async def test_java_urlencoder_gbk_in_get_query(live: Live) -> None:
    account = await live.account()
    query = clients.join(params(account, "13910060001"), clients.java_urlencoder)
    answer = gbk(await live.http.get(f"/send/gsend.asp?{query}"))
    assert_sent(answer, "13910060001")
    assert await sent_text(live, "13910060001", 1) == TEXT


async def test_java_httpurlconnection_gbk_form_without_charset(live: Live) -> None:
    account = await live.account()
    body = clients.join(params(account, "13910060002"), clients.java_urlencoder).encode()
    answer = gbk(
        await live.http.post("/send/gsend.aspx", content=body, headers={"content-type": FORM})
    )
    assert_sent(answer, "13910060002")
    # Some of them skip the encoder and write the GBK bytes themselves.
    raw = f"name={account.name}&pwd={PASSWORD}&dst=13910060003&msg=你好，世界".encode("gbk")
    answer = gbk(
        await live.http.post("/send/gsend.aspx", content=raw, headers={"content-type": FORM})
    )
    assert_sent(answer, "13910060003")
    assert await sent_text(live, "13910060002", 2) == TEXT
    assert live.smsc.text_to("8613910060003") == "你好，世界"


async def test_php_iconv_urlencode(live: Live) -> None:
    account = await live.account()
    query = clients.join(params(account, "13910060004"), clients.php_urlencode_iconv)
    answer = gbk(await live.http.get(f"/send/gsendv2.asp?{query}"))
    assert_sent(answer, "13910060004")
    assert await sent_text(live, "13910060004", 1) == TEXT


async def test_python_requests_utf8(live: Live) -> None:
    account = await live.account()
    answer = gbk(await live.http.post("/send/g70send.aspx", data=params(account, "13910060005")))
    assert_sent(answer, "13910060005")
    got = await live.http.get("/send/g70send_utf8.aspx", params=params(account, "13910060006"))
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
    assert_sent(got.content.decode("utf-8"), "13910060006")
    assert await sent_text(live, "13910060005", 2) == TEXT
    assert live.smsc.text_to("8613910060006") == TEXT


async def test_csharp_httputility_gb2312(live: Live) -> None:
    account = await live.account()
    query = clients.join(params(account, "13910060007"), clients.csharp_httputility)
    assert "%d1%e9" in query  # lower-case hex, as .NET writes it
    answer = gbk(await live.http.get(f"/send/gsend.aspx?{query}"))
    assert_sent(answer, "13910060007")
    assert await sent_text(live, "13910060007", 1) == TEXT


async def test_parsers_read_a_partial_and_a_refused_send(live: Live) -> None:
    account = await live.account()
    await live.store.add_blacklist(["8613910060009"], account.id)
    query = params(account, "13910060008,1391006,13910060009", "hello")
    answer = gbk(await live.http.get("/send/gsend.aspx", params=query))
    assert answer == "num=1&success=13910060008&faile=1391006,13910060009&err=发送成功&errid=0"
    assert clients.regex_parser(answer)[:3] == (1, ["13910060008"], ["1391006", "13910060009"])
    refused = gbk(
        await live.http.get("/send/gsend.aspx", params={**query, "pwd": "wrong-password"})
    )
    assert refused == (
        "num=0&success=&faile=13910060008,1391006,13910060009&err=用户密码不正确&errid=6010"
    )
    assert clients.java_split_parser(refused) == (0, 6010)
    assert not clients.prefix_parser(refused)
    assert clients.regex_parser(refused)[2] == ["13910060008", "1391006", "13910060009"]


SEND_NAMES = ("gsend", "gsendv2", "g70send", "longsend")


async def test_every_send_endpoint_every_shape(live: Live) -> None:
    """.asp and .aspx, _utf8 twins, GET and POST, parameters in query, body or split."""
    account = await live.account(balance=1000)
    shapes = [
        (f"/send/{name}{twin}.{edition}", charset, method, shape)
        for name in SEND_NAMES
        for edition in ("asp", "aspx")
        for twin, charset in (("", "gbk"), ("_utf8", "utf-8"))
        for method in ("GET", "POST")
        for shape in ("query", "body", "both")
    ]
    answers = await asyncio.gather(
        *(
            _send_shaped(
                live.http, path, method, shape, params(account, number, f"{shape} 你好"), cs
            )
            for (path, cs, method, shape), number in zip(shapes, _numbers(), strict=False)
        )
    )
    for answer, number in zip(answers, _numbers(), strict=False):
        assert_sent(answer, number)
    sent = len(shapes)
    await live.wait_submitted(sent)
    assert live.smsc.text_to("8613900000001") == "query 你好"
    assert await live.balance(account) == 1000 - sent


async def _send_shaped(
    http: httpx.AsyncClient, path: str, method: str, shape: str, p: dict[str, str], charset: str
) -> str:
    encoded = clients.join(p, clients.java_urlencoder if charset == "gbk" else _utf8)
    if shape == "query":
        response = await http.request(method, f"{path}?{encoded}")
    elif shape == "body":  # a body on GET too: some Java clients send one
        response = await http.request(
            method, path, content=encoded.encode(), headers={"content-type": FORM}
        )
    else:
        first = clients.join({"name": p["name"], "pwd": p["pwd"]}, clients.java_urlencoder)
        rest = clients.join({"dst": p["dst"], "msg": p["msg"]}, _utf8)
        response = await http.request(
            method, f"{path}?{first}", content=rest.encode(), headers={"content-type": FORM}
        )
    assert response.status_code == 200, (path, method, shape)
    return response.content.decode(charset)


def _numbers() -> Iterator[str]:
    return (str(n) for n in itertools.count(13900000001))


def _utf8(value: str) -> str:
    return clients.java_urlencoder(value, "UTF-8")
