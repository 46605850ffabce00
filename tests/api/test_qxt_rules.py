"""企信通 send rules end to end: length, long messages, schedules, extensions, refusals, caps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.api import qxt_clients as clients
from tests.api.harness import PASSWORD, Live

from hongyan.core.accounts import Account, Limits
from hongyan.core.messages import MessageState
from hongyan.protocols.legacy.qxt import CHINA_TZ

LONG = "鸿雁传书，" * 30  # 150 characters: three UCS2 segments


async def send(live: Live, path: str, account: Account, dst: str, msg: str, **extra: str) -> str:
    query = {"name": account.name, "pwd": PASSWORD, "dst": dst, "msg": msg, **extra}
    response = await live.http.post(path, data=query)
    assert response.status_code == 200
    return response.content.decode("gbk")


def refused(faile: str, errid: int, err: str) -> str:
    return f"num=0&success=&faile={faile}&err={err}&errid={errid}"


async def assert_nothing_charged(live: Live, account: Account, balance: int = 100) -> None:
    assert await live.balance(account) == balance
    assert await live.messages(account) == []


async def test_g70send_caps_at_70_characters(live: Live) -> None:
    account = await live.account()
    seventy = "字" * 70
    ok = await send(live, "/send/g70send.aspx", account, "13910060001", seventy)
    assert clients.regex_parser(ok)[0] == 1
    too_long = seventy + "a"
    aspx = await send(live, "/send/g70send.aspx", account, "13910060001,13910060002", too_long)
    assert aspx == refused("13910060001,13910060002", 6011, "短信内容超过了最大长度限制")
    asp = await send(live, "/send/g70send.asp", account, "13910060001", too_long)
    assert asp == refused("13910060001", 6015, "短信内容超过了最大长度限制")
    await live.wait_submitted(1)
    assert live.smsc.text_to("8613910060001") == seventy
    assert await live.balance(account) == 99


async def test_longsend_and_gsend_ccdx_are_concatenated_and_billed_per_segment(
    live: Live,
) -> None:
    account = await live.account()
    answers = [
        await send(live, "/send/longsend.aspx", account, "13910060001,13910060002", LONG),
        await send(live, "/send/gsend.asp", account, "13910060003", LONG, txt="ccdx"),
    ]
    assert [clients.regex_parser(a)[0] for a in answers] == [2, 1]
    await live.wait_submitted(9)
    for number in ("8613910060001", "8613910060002", "8613910060003"):
        assert len(live.smsc.to(number)) == 3
        assert live.smsc.text_to(number) == LONG
    assert await live.balance(account) == 100 - 9
    assert [m.price for m in await live.messages(account)] == [3, 3, 3]


async def test_gsend_long_text_needs_an_account_that_allows_it(live: Live) -> None:
    short_only = await live.account(allow_long=False)
    answer = await send(live, "/send/gsend.aspx", short_only, "13910060001", LONG)
    assert answer == refused("13910060001", 6011, "短信内容超过了最大长度限制")
    await assert_nothing_charged(live, short_only)
    ccdx = await send(live, "/send/gsend.aspx", short_only, "13910060001", LONG, txt="ccdx")
    assert clients.regex_parser(ccdx)[0] == 1
    over = await send(live, "/send/longsend.aspx", short_only, "13910060001", "长" * 501)
    assert over == refused("13910060001", 6011, "短信内容超过了最大长度限制")


def cst(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M")


async def test_time_schedules_future_sends_and_sends_past_ones_now(live: Live) -> None:
    account = await live.account()
    later = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    future = await send(live, "/send/gsend.aspx", account, "13910060001", "明天", time=cst(later))
    past = await send(live, "/send/gsend.aspx", account, "13910060002", "现在", time="200610102000")
    assert clients.regex_parser(future)[0] == clients.regex_parser(past)[0] == 1
    await live.wait_submitted(1)
    scheduled, now_sent = await live.messages(account)
    assert scheduled.due_at == later and scheduled.state is MessageState.QUEUED
    assert now_sent.recipient == "8613910060002"
    assert live.smsc.to("8613910060001") == []
    assert await live.balance(account) == 98  # charged when accepted


async def test_invalid_time_is_refused(live: Live) -> None:
    account = await live.account()
    aspx = await send(live, "/send/gsend.aspx", account, "13910060001", "x", time="2016-13-45")
    assert aspx == refused("13910060001", 6024, "定时时间不正确")
    asp = await send(live, "/send/gsend.asp", account, "13910060001", "x", time="tomorrow")
    assert clients.java_split_parser(asp) == (0, 6007)
    await assert_nothing_charged(live, account)


async def test_sender_extension_is_appended_to_the_service_code(live: Live) -> None:
    account = await live.account(service_code="0888008")
    answer = await send(live, "/send/gsend.aspx", account, "13910060001", "ext", sender="00")
    assert clients.regex_parser(answer)[0] == 1
    await live.wait_submitted(1)
    assert live.smsc.to("8613910060001")[0].source_addr == "088800800"
    letters = await send(live, "/send/gsend.aspx", account, "13910060002", "x", sender="12a")
    assert clients.java_split_parser(letters) == (0, 6021)
    too_long = await send(live, "/send/gsend.aspx", account, "13910060002", "x", sender="1" * 14)
    assert too_long == refused("13910060002", 6025, "扩展号码太长(总长度超过20位)")
    assert await live.balance(account) == 99


async def test_unregistered_extension_is_refused(live: Live) -> None:
    account = await live.account(registered_extensions=("01", "02"))
    answer = await send(live, "/send/gsend.aspx", account, "13910060001", "x", sender="03")
    assert answer == refused("13910060001", 6021, "扩展号码未备案")
    ok = await send(live, "/send/gsend.aspx", account, "13910060001", "x", sender="02")
    assert clients.regex_parser(ok)[0] == 1


async def test_invalid_and_blacklisted_numbers_are_refused_per_number(live: Live) -> None:
    account = await live.account()
    await live.store.add_blacklist(["8613910060009"], None)  # global list
    answer = await send(
        live, "/send/gsend.aspx", account, "13910060001,abc,13910060009,+86 139 1006 0002", "x"
    )
    assert answer == (
        "num=2&success=13910060001,+86 139 1006 0002&faile=abc,13910060009&err=发送成功&errid=0"
    )
    only_invalid = await send(live, "/send/gsend.aspx", account, "123,456", "x")
    assert only_invalid == refused("123,456", 6008, "无效的手机号码")
    only_black = await send(live, "/send/gsend.aspx", account, "13910060009", "x")
    assert only_black == refused("13910060009", 6009, "手机号码是黑名单")
    assert await live.balance(account) == 98


async def test_request_level_refusals_list_every_number(live: Live) -> None:
    account = await live.account()
    await live.store.add_banned_words(["违禁词"])
    dst = "13910060001,13910060002"
    empty = await send(live, "/send/gsend.aspx", account, dst, "  ")
    assert empty == refused(dst, 6014, "发送短信内容不能为空")
    banned = await send(live, "/send/gsend.aspx", account, dst, "这是违禁词")
    assert banned == refused(dst, 6015, "发送内容中含非法字符")
    unknown = await live.http.get(
        "/send/gsend.asp", params={"name": "nobody", "pwd": "x", "dst": dst, "msg": "x"}
    )
    assert unknown.content.decode("gbk") == refused(dst, 6001, "该企业用户无效")
    await assert_nothing_charged(live, account)


async def test_recipient_cap(live: Live) -> None:
    account = await live.account(balance=1000)
    numbers = ",".join(str(13900000000 + i) for i in range(301))
    answer = await send(live, "/send/gsend.aspx", account, numbers, "x")
    assert answer == refused(numbers, 6023, "发送手机号码超过太长,已超过300个号码")
    small = await live.account(limits=Limits(max_recipients=2))
    three = "13910060001,13910060002,13910060003"
    assert clients.java_split_parser(await send(live, "/send/gsend.aspx", small, three, "x")) == (
        0,
        6023,
    )
    three_hundred = ",".join(str(13900000000 + i) for i in range(300))
    ok = await send(live, "/send/gsend.aspx", account, three_hundred, "x")
    assert clients.regex_parser(ok)[0] == 300
    assert await live.balance(account) == 700


async def test_insufficient_balance_refuses_everything(live: Live) -> None:
    account = await live.account(balance=5)
    dst = "13910060001,13910060002"
    answer = await send(live, "/send/longsend.aspx", account, dst, LONG)
    assert answer == refused(dst, 6013, "该企业用户余额不足")
    await assert_nothing_charged(live, account, balance=5)


async def test_sequeid_is_echoed_in_readreport(live: Live) -> None:
    account = await live.account()
    await send(live, "/send/gsend.aspx", account, "13910060001", "seq", sequeid="abc-42")
    await live.wait_states(account, lambda ms: ms[0].state is MessageState.DELIVERED)
    (message,) = await live.messages(account)
    response = await live.http.get(
        "/send/readreport.aspx", params={"name": account.name, "pwd": PASSWORD}
    )
    report = response.content.decode("gbk")
    pattern = rf"id={message.id}&dst=13910060001&stat=DELIVRD&errid=0&time=\d{{12}}&sequeid=abc-42"
    assert re.fullmatch(pattern, report), report
    again = await live.http.get(
        "/send/readreportv2.asp", params={"name": account.name, "pwd": PASSWORD}
    )
    assert again.content.decode("gbk") == "id=0&err=没有未读取的状态报告"


async def test_nul_bytes_are_refused(live: Live) -> None:
    account = await live.account()
    err = "提交异常,请联系服务商解决"
    for field in ("name", "pwd", "dst", "msg", "sequeid"):
        query = {"name": account.name, "pwd": PASSWORD, "dst": "13910060001", "msg": "x"}
        query[field] = query.get(field, "") + "\x00"
        response = await live.http.post("/send/gsend.aspx", data=query)
        faile = query["dst"]  # echoed as written, NUL and all
        assert response.content.decode("gbk") == refused(faile, 6080, err)
    await assert_nothing_charged(live, account)
