"""企信通 read boxes and account calls end to end, balance arithmetic, tenant isolation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.api import qxt_clients as clients
from tests.api.harness import PASSWD_MD5, PASSWORD, SYSTEM_ID, Live, eventually

from hongyan.core.accounts import Account
from hongyan.core.inbound import NewInbound
from hongyan.core.messages import FINAL_STATES, MessageState

SECOND = timedelta(seconds=1)
NO_INBOUND = "id=0&err=没有未读取的短信"
INBOUND = re.compile(r"id=(\d+)&err=成功&src=(\d+)&msg=(.*)&dst=(\d+)&time=(\d{12})")


async def call(live: Live, path: str, account: Account, pwd: str = PASSWORD, **extra: str) -> str:
    response = await live.http.get(path, params={"name": account.name, "pwd": pwd, **extra})
    assert response.status_code == 200
    return response.content.decode("utf-8" if "_utf8" in path else "gbk")


async def reply(live: Live, source: str, destination: str, text: str) -> None:
    """A handset replies through the SMSC; returns once the inbound push reached the partner."""
    before = sum(1 for r in live.receiver.received if "src" in r)
    live.smsc.inject_mo(source, destination, text, system_id=SYSTEM_ID)

    async def pushed() -> bool:
        return sum(1 for r in live.receiver.received if "src" in r) > before

    await eventually(pushed, what="inbound push")


async def test_readsms_one_oldest_unread_per_call(live: Live) -> None:
    account = await live.account(service_code="10690001", inbound_url=live.push_url)
    await reply(live, "8613630697652", "1069000101", "好的,收到")
    await reply(live, "13630697653", "10690001", "第二条")
    first = await call(live, "/send/readsms.aspx", account)
    match = INBOUND.fullmatch(first)
    assert match is not None, first
    assert match.group(2, 3, 4) == ("13630697652", "好的,收到", "1069000101")
    second = INBOUND.fullmatch(await call(live, "/send/readsmsv2.asp", account))
    assert second is not None and second.group(2, 3) == ("13630697653", "第二条")
    assert int(second.group(1)) > int(match.group(1))
    assert await call(live, "/send/readsms.asp", account) == NO_INBOUND


async def test_readxmlsms_returns_at_most_100_joined(live: Live) -> None:
    account = await live.account(service_code="10690002")
    now = datetime.now(UTC)
    await live.store.record_inbound(
        [
            NewInbound(
                "smsc", f"86139{i:08d}", "1069000299", f"回复{i}", now + timedelta(seconds=i)
            )
            for i in range(101)
        ],
        now,
    )
    batch = (await call(live, "/send/readxmlsms.aspx", account)).split("||||")
    assert len(batch) == 100
    assert [INBOUND.fullmatch(r).group(3) for r in batch[:2]] == ["回复0", "回复1"]  # type: ignore[union-attr]
    rest = await call(live, "/send/readxmlsms_utf8.aspx", account)
    assert INBOUND.fullmatch(rest) is not None and "回复100" in rest
    assert await call(live, "/send/readxmlsms.aspx", account) == NO_INBOUND


async def test_emoji_in_inbound_becomes_question_mark_on_gbk(live: Live) -> None:
    account = await live.account(service_code="10690003", inbound_url=live.push_url)
    await reply(live, "13630697652", "10690003", "好👍")
    await reply(live, "13630697652", "10690003", "好👍")
    gbk = INBOUND.fullmatch(await call(live, "/send/readsms.aspx", account))
    assert gbk is not None and gbk.group(3) == "好?"
    utf8 = INBOUND.fullmatch(await call(live, "/send/readsms_utf8.aspx", account))
    assert utf8 is not None and utf8.group(3) == "好👍"


async def test_unsubscribe_reply_blacklists_the_sender(live: Live) -> None:
    account = await live.account(service_code="10690004", inbound_url=live.push_url)
    await reply(live, "13630697652", "10690004", "TD")
    answer = await call(live, "/send/gsend.aspx", account, dst="13630697652", msg="hi")
    assert clients.java_split_parser(answer) == (0, 6009)


async def test_getfee_reports_balance_and_short_name(live: Live) -> None:
    account = await live.account(balance=300, short_name="鸿雁科技")
    assert (
        await call(live, "/send/getfee.aspx", account) == "id=300&err=成功&errid=0&short=鸿雁科技"
    )
    await call(live, "/send/gsend.aspx", account, dst="13910060001,13910060002", msg="x")
    assert (
        await call(live, "/send/getfeev2.asp", account) == "id=298&err=成功&errid=0&short=鸿雁科技"
    )
    wrong = await call(live, "/send/getfee.aspx", account, pwd="nope")
    assert wrong == "id=0&err=用户密码不正确&errid=6010&short="


async def test_cpwd_takes_effect_at_once(live: Live) -> None:
    account = await live.account()
    assert (await call(live, "/send/getfee.aspx", account)).startswith("id=100&")  # cached now
    short = await call(live, "/send/cpwd.aspx", account, newpwd="abcd")
    assert short == "err=企业密码必须大于4个字符&errid=6016"
    assert await call(live, "/send/cpwd.asp", account, newpwd="new-secret") == "err=成功&errid=0"
    old = await call(live, "/send/getfee.aspx", account)
    assert old == "id=0&err=用户密码不正确&errid=6010&short="
    hi8d = await live.http.post(
        "/servlet/gateway.php",
        data={"account": account.name, "passwd": PASSWD_MD5, "mb": "8613800000001", "content": "x"},
    )
    assert hi8d.json()["status"] == 0
    assert (await call(live, "/send/getfee.aspx", account, pwd="new-secret")).startswith("id=100&")


async def test_checkcontent_reports_the_first_banned_word(live: Live) -> None:
    account = await live.account()
    await live.store.add_banned_words(["赌博", "发票"])
    clean = await call(live, "/send/checkcontent.aspx", account, content="你好")
    assert clean == "err=成功&errid=0"
    aspx = await call(live, "/send/checkcontent.aspx", account, content="代开发票，赌博")
    assert aspx == "err=发票&errid=6015"
    asp = await call(live, "/send/checkcontentv2.asp", account, content="赌博发票")
    assert asp == "err=赌博&errid=6005"


async def test_balance_arithmetic_with_a_refund(live: Live) -> None:
    account = await live.account(report_url=live.push_url)
    live.smsc.fail_destinations("8613910069")
    answer = await call(
        live, "/send/longsend.aspx", account, dst="13910060001,13910069999", msg="长" * 100
    )
    assert clients.regex_parser(answer)[0] == 2
    assert await live.balance(account) == 100 - 4
    await call(live, "/send/gsend.aspx", account, dst="13910060001,123", msg="x")
    await live.wait_states(account, lambda ms: all(m.state in FINAL_STATES for m in ms))
    states = {m.recipient: m.state for m in await live.messages(account)}
    assert states["8613910069999"] is MessageState.FAILED
    assert await live.balance(account) == 100 - 2 - 1  # the refused message is refunded
    messages = await live.messages(account)
    charged = sum(m.price for m in messages if m.state is not MessageState.FAILED)
    assert await live.balance(account) + charged == 100
    await live.wait_pushes(3)
    failed = [r for r in live.receiver.received if r["mb"] == "8613910069999"]
    assert failed and failed[0]["status"] == 0 and failed[0]["sms"] != "0"


async def test_tenant_isolation(live: Live) -> None:
    owner = await live.account(service_code="10690005", balance=50, inbound_url=live.push_url)
    other = await live.account(service_code="106900051", balance=70, inbound_url=live.push_url)
    await reply(live, "13630697652", "1069000599", "给A的")
    await call(live, "/send/gsend.aspx", owner, dst="13910060001", msg="x")
    await live.wait_states(owner, lambda ms: ms[0].state is MessageState.DELIVERED)
    assert await call(live, "/send/readsms.aspx", other) == NO_INBOUND
    assert await call(live, "/send/readxmlsms.aspx", other) == NO_INBOUND
    assert (await call(live, "/send/readreport.aspx", other)).startswith("id=0&")
    assert (await call(live, "/send/getfee.aspx", other)).startswith("id=70&")
    impostor = await live.http.get(
        "/send/getfee.aspx", params={"name": owner.name, "pwd": "x" + PASSWORD}
    )
    assert impostor.content.decode("gbk").startswith("id=0&")
    assert INBOUND.fullmatch(await call(live, "/send/readsms.aspx", owner)) is not None
    assert (await call(live, "/send/readreport.aspx", owner)).startswith("id=")
    assert (await call(live, "/send/getfee.aspx", owner)).startswith("id=49&")
