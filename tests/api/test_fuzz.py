"""Random parameter values through the live HTTP server: never an internal error, never a charge
without a stored message, and balance + the price of every stored, unrefunded message conserved.

Each example comes from its own client address (X-Forwarded-For through the trusted loopback
proxy), so wrong passwords do not trip the per-address failure throttle for later examples.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from tests.api import qxt_clients as clients
from tests.api.harness import PASSWD_MD5, PASSWORD, Live

from hongyan.core.accounts import Account
from hongyan.core.messages import MessageState

FUZZ_ACCOUNT = "acct1"  # the first account a live platform creates
REFUNDED = (MessageState.FAILED, MessageState.CANCELLED)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_addresses = (f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in itertools.count(1))

junk = st.text(max_size=40) | st.binary(max_size=20).map(lambda b: b.decode("latin-1"))
texts = st.sampled_from(["你好", "hello", "验证码：123456【鸿雁】", "长" * 150])
texts |= st.text(max_size=200)
numbers = st.sampled_from(["8613800000001", "13800000002", "+86 138 0000 0003", "0086", "12"])
number_lists = st.lists(numbers, min_size=1, max_size=6).map(",".join)


def fields(valid: dict[str, st.SearchStrategy[str | None]]) -> st.SearchStrategy[dict[str, Any]]:
    """Every field from its ``valid`` strategy except up to two, which are junk or absent."""
    names = sorted(valid)
    broken = st.sets(st.sampled_from(names), max_size=2)
    junk_values = st.fixed_dictionaries({n: st.none() | junk for n in names})
    return st.tuples(st.fixed_dictionaries(valid), junk_values, broken).map(
        lambda t: {n: t[1][n] if n in t[2] else t[0][n] for n in names}
    )


class Ledger:
    """What the answers claim was accepted, to compare with what the store holds."""

    def __init__(self, live: Live, account: Account) -> None:
        self.live, self.account, self.accepted = live, account, 0

    async def check(self) -> None:
        messages = await self.live.messages(self.account)
        assert len(messages) == self.accepted
        charged = sum(m.price for m in messages if m.state not in REFUNDED)
        assert await self.live.balance(self.account) + charged == 10_000


def encode(params: dict[str, str | None], shape: str) -> dict[str, Any]:
    present = {k: v for k, v in params.items() if v is not None}
    if shape == "json":
        return {"content": json.dumps(present).encode()}
    if shape == "multipart":
        return {
            "files": {k: (None, v.encode("utf-8", "surrogatepass")) for k, v in present.items()}
        }
    if shape == "gbk":
        return {
            "content": clients.join(present, _gbk).encode(),
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        }
    return {"data": present}


def _gbk(value: str) -> str:
    try:
        return clients.java_urlencoder(value, "gbk")
    except UnicodeEncodeError:
        return clients.java_urlencoder(value, "utf-8")


async def post(live: Live, path: str, request: dict[str, Any]) -> httpx.Response:
    headers = {**request.pop("headers", {}), "x-forwarded-for": next(_addresses)}
    response = await live.http.post(path, headers=headers, **request)
    assert response.status_code == 200
    return response


@pytest.fixture
def no_errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR, logger="hongyan")
    return caplog


@pytest.fixture
async def ledger(live: Live) -> AsyncIterator[Ledger]:
    """One account shared by every example of a test (hypothesis reuses function fixtures)."""
    account = await live.account(balance=10_000)
    assert account.name == FUZZ_ACCOUNT
    ledger = Ledger(live, account)
    yield ledger
    assert ledger.accepted > 0, "no example reached the charging path"


HI8D_VALID: dict[str, st.SearchStrategy[str | None]] = {
    "account": st.just(FUZZ_ACCOUNT),
    "passwd": st.sampled_from([PASSWD_MD5, PASSWD_MD5.lower()]),
    "mb": number_lists,
    "content": texts,
    "sender": st.sampled_from([None, "10690", "Hongyan", "+8610690"]),
}


@FUZZ
@given(params=fields(HI8D_VALID), shape=st.sampled_from(["form", "json", "multipart", "gbk"]))
async def test_hi8d_fuzz(
    ledger: Ledger, no_errors: pytest.LogCaptureFixture, params: dict[str, Any], shape: str
) -> None:
    request = encode(params, shape)
    response = await post(ledger.live, "/servlet/gateway.php", request)
    body = json.loads(response.content)
    assert body.get("code") != 9001, body
    if body["status"] != 0:
        ledger.accepted += len(body["guid"].split(","))
    event(f"status={body['status']} code={body.get('code')}")
    await ledger.check()
    assert not no_errors.records


QXT_NAMES = ("gsend", "g70send", "longsend", "gsendv2_utf8", "getfee", "readsms", "cpwd")
QXT_PATHS = [f"/send/{n}.{ed}" for n in (*QXT_NAMES, "checkcontent") for ed in ("asp", "aspx")]


QXT_VALID: dict[str, st.SearchStrategy[str | None]] = {
    "name": st.just(FUZZ_ACCOUNT),
    "pwd": st.just(PASSWORD),
    "dst": number_lists,
    "msg": texts,
    "time": st.sampled_from([None, "", "200610102000", "2016-11-20 12:30"]),
    "sender": st.sampled_from([None, "", "01", "12345"]),
    "sequeid": st.sampled_from([None, "42", "abc&def"]),
    "txt": st.sampled_from([None, "ccdx"]),
    "content": st.sampled_from([None, "你好"]),
}


@FUZZ
@given(
    path=st.sampled_from(QXT_PATHS),
    params=fields(QXT_VALID),
    shape=st.sampled_from(["form", "gbk", "query"]),
)
async def test_qxt_fuzz(
    ledger: Ledger,
    no_errors: pytest.LogCaptureFixture,
    path: str,
    params: dict[str, Any],
    shape: str,
) -> None:
    if shape == "query":
        present = {k: v for k, v in params.items() if v is not None}
        headers = {"x-forwarded-for": next(_addresses)}
        response = await ledger.live.http.get(path, params=present, headers=headers)
        assert response.status_code == 200
    else:
        response = await post(ledger.live, path, encode(params, shape))
    answer = response.content.decode("utf-8" if "_utf8" in path else "gbk")
    if "send" in path.rpartition("/")[2]:
        parts = answer.split("&")
        assert [p.partition("=")[0] for p in parts] == ["num", "success", "faile", "err", "errid"]
        num, errid = clients.java_split_parser(answer)
        assert (num == 0) != (errid == 0), answer
        ledger.accepted += num
        event(f"num={min(num, 1)} errid={errid}")
    await ledger.check()
    assert not no_errors.records
