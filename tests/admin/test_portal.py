"""The partner portal over real HTTP: figures, search, detail, settings, keys, password, and
what one partner must never see or do to another."""

from __future__ import annotations

import hashlib
import html
from typing import Any

from tests.admin.conftest import FaceClient
from tests.api.harness import PASSWD_MD5, PASSWORD, Live, eventually
from tests.pipeline.harness import PushReceiver

from hongyan.core.accounts import Account, push_secret
from hongyan.core.admission import SendRequest
from hongyan.core.messages import MessageState
from hongyan.store.base import AccountChanges, MessageQuery

XSS = "<script>alert('x')</script>"


async def send(live: Live, account: Account, *numbers: str, **request: Any) -> list[int]:
    context = live.platform.context
    assert context is not None
    text = request.pop("text", "您的验证码是 123456")
    outcome = await context.sender.send(account, SendRequest(tuple(numbers), text, **request))
    assert outcome.refusal is None
    return list(outcome.ids)


async def delivered(live: Live, ids: list[int]) -> None:
    async def done() -> bool:
        found = [await live.store.get_message(i) for i in ids]
        return all(m is not None and m.state is MessageState.DELIVERED for m in found)

    await eventually(done, what="messages delivered")


async def signed_in(live: Live, face_client: Any, **overrides: Any) -> tuple[Account, FaceClient]:
    account = await live.account(**overrides)
    portal: FaceClient = face_client("/portal")
    assert (await portal.sign_in(account.name)).status_code == 303
    return account, portal


async def test_overview_counts_today(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client)
    empty = await portal.get("/")
    assert "最近 24 小时没有发送短信" in empty.text
    ids = await send(live, account, "8613800138000", "8613800138001")
    await delivered(live, ids)
    page = (await portal.get("/")).text
    assert '<div class="value" id="balance">98</div>' in page
    assert '<dd class="sent">2</dd>' in page and '<dd class="delivered">2</dd>' in page
    assert '<svg class="chart"' in page and "100%" in page


async def test_search_filters_and_pages(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client, balance=1000)
    numbers = [f"86138001380{i:02d}" for i in range(25)]
    await send(live, account, *numbers, client_ref="batch-7")
    await send(live, account, "8613912345678", client_ref="lonely")
    first = (await portal.get("/messages")).text
    assert first.count("<tr data-id=") == 20
    assert 'rel="next"' in first
    older_href = html.unescape(first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0])
    second = (await portal.get("/messages" + older_href)).text
    assert second.count("<tr data-id=") == 6 and "第 2 页" in second
    newer_href = html.unescape(second.split('rel="prev"')[0].rsplit('href="', 1)[1].split('"')[0])
    assert (await portal.get("/messages" + newer_href)).text.count("<tr data-id=") == 20
    by_number = (await portal.get("/messages", params={"number": "13912345678"})).text
    assert by_number.count("<tr data-id=") == 1 and "lonely" in by_number
    by_ref = (await portal.get("/messages", params={"ref": "batch-7", "size": "100"})).text
    assert by_ref.count("<tr data-id=") == 25
    nothing = (await portal.get("/messages", params={"state": "failed"})).text
    assert "没有符合条件的短信" in nothing
    bad = await portal.get("/messages", params={"number": "12", "from": "yesterday"})
    assert bad.status_code == 200
    assert "手机号码无法识别" in bad.text and "日期格式应为" in bad.text


async def test_detail_shows_segments_receipts_and_pushes(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client, report_url=live.push_url)
    (mid,) = await send(live, account, "8613800138000", text="鸿雁传书，" * 20)
    await delivered(live, [mid])

    async def pushed() -> bool:  # the receiver got it, and the notifier recorded its answer
        found = await live.store.get_message_detail(mid)
        return found is not None and [p.state for p in found.pushes] == ["delivered"]

    await eventually(pushed, what="the report push recorded")
    page = (await portal.get(f"/messages/{mid}")).text
    assert page.count("DELIVRD") >= 2  # the message's stat and each segment's receipt
    segments = page.split('id="segments"')[1].split("</table>")[0]
    assert segments.count("<tr>") == 3  # header + two segments
    pushes = page.split('id="pushes"')[1].split("</table>")[0]
    assert 'class="badge delivered"' in pushes


async def test_another_accounts_message_is_not_found(live: Live, face_client: Any) -> None:
    owner = await live.account()
    (theirs,) = await send(live, owner, "8613800138000", text="只给 owner 看")
    _, portal = await signed_in(live, face_client)
    response = await portal.get(f"/messages/{theirs}")
    missing = await portal.get("/messages/999999")
    assert response.status_code == missing.status_code == 404
    assert "只给 owner 看" not in response.text
    # the same page (but for the path in its links): nothing tells "theirs" from "none"
    assert response.text == missing.text.replace("/messages/999999", f"/messages/{theirs}")
    listing = (await portal.get("/messages", params={"account": str(owner.id)})).text
    assert "只给 owner 看" not in listing and "还没有短信记录" in listing


async def test_what_partners_typed_is_escaped(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client)
    (mid,) = await send(live, account, "8613800138000", text=XSS, client_ref=XSS)
    url = f"https://example.com/{XSS}"
    saved = await portal.post("/settings/urls", {"report_url": url, "inbound_url": ""})
    assert saved.status_code == 200
    for path in ("/messages", f"/messages/{mid}", "/settings"):
        page = (await portal.get(path)).text
        assert XSS not in page, path
        assert "&lt;script&gt;" in page, path


async def test_push_urls_are_validated_and_saved(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client)
    bad = await portal.post("/settings/urls", {"report_url": "ftp://x", "inbound_url": ""})
    assert bad.status_code == 400 and "http:// 或 https://" in bad.text
    assert 'value="ftp://x"' in bad.text  # what was typed stays in the box
    good = await portal.post(
        "/settings/urls",
        {"report_url": "https://partner.example/r", "inbound_url": "http://partner.example/i"},
    )
    assert good.status_code == 200 and "推送地址已保存" in good.text
    fresh = await live.store.get_account_by_id(account.id)
    assert fresh is not None
    assert (fresh.report_url, fresh.inbound_url) == (
        "https://partner.example/r",
        "http://partner.example/i",
    )
    await portal.post("/settings/urls", {"report_url": "", "inbound_url": ""})
    cleared = await live.store.get_account_by_id(account.id)
    assert cleared is not None and cleared.report_url is None


async def test_test_push_shows_the_partners_answer(
    live: Live, face_client: Any, partner: PushReceiver
) -> None:
    _, portal = await signed_in(live, face_client)
    partner.statuses.append(500)
    answer = await portal.post(
        "/settings/test-push",
        {"kind": "report", "report_url": partner.url("hook")},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "HTTP 500" in answer.text and "boom" in answer.text
    (push,) = partner.received("hook", answered=500)
    assert push.headers["x-hongyan-test"] == "1"
    refused = await portal.post(
        "/settings/test-push", {"kind": "inbound", "inbound_url": "javascript:alert(1)"}
    )
    assert "http:// 或 https://" in refused.text
    assert len(partner.pushes) == 1


async def test_push_secret_reveal_and_rotate(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client)
    key = live.platform.context.authenticator._key  # type: ignore[union-attr]
    settings_page = (await portal.get("/settings")).text
    assert push_secret(key, account.id, 1) not in settings_page
    revealed = await portal.post("/settings/secret")
    assert push_secret(key, account.id, 1) in revealed.text
    rotated = await portal.post("/settings/secret/rotate")
    assert push_secret(key, account.id, 2) in rotated.text
    fresh = await live.store.get_account_by_id(account.id)
    assert fresh is not None and fresh.push_secret_version == 2


async def test_api_keys_shown_once_and_revoked(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client)
    assert "还没有 API 密钥" in (await portal.get("/keys")).text
    created = await portal.post("/keys", {"label": "订单系统"})
    secret = created.text.split('id="new-key">')[1].split("<")[0]
    assert secret.startswith("hy_")
    listing = (await portal.get("/keys")).text
    assert secret not in listing and "订单系统" in listing
    (key,) = await live.store.list_api_keys(account.id)
    assert secret.startswith(f"hy_{key.prefix}_")
    assert (await portal.post("/keys", {"label": "  "})).status_code == 400
    _, other_portal = await signed_in(live, face_client)
    assert (await other_portal.post(f"/keys/{key.id}/revoke")).status_code == 404
    assert (await live.store.list_api_keys(account.id))[0].revoked_at is None
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await portal.http.get("/api/v1/balance", headers=bearer)).status_code == 200
    revoked = await portal.post(f"/keys/{key.id}/revoke")
    assert revoked.status_code == 200 and "密钥已吊销" in revoked.text
    assert (await live.store.list_api_keys(account.id))[0].revoked_at is not None
    assert (await portal.http.get("/api/v1/balance", headers=bearer)).status_code == 401


async def test_password_change_ends_other_sessions_and_the_old_password(
    live: Live, face_client: Any
) -> None:
    account, here = await signed_in(live, face_client)
    elsewhere: FaceClient = face_client("/portal")
    await elsewhere.sign_in(account.name)
    wrong = await here.post(
        "/password", {"old": "nope", "new": "new-pass-1", "again": "new-pass-1"}
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    short = await here.post("/password", {"old": PASSWORD, "new": "abc", "again": "abc"})
    assert short.status_code == 400 and "至少 5 个字符" in short.text
    changed = await here.post(
        "/password", {"old": PASSWORD, "new": "new-pass-1", "again": "new-pass-1"}
    )
    assert changed.status_code == 200 and "密码已修改" in changed.text
    assert (await here.get("/")).status_code == 200  # this browser stays signed in
    assert (await elsewhere.get("/")).status_code == 303  # the other one is out
    gateway = "/servlet/gateway.php"
    old = await live.http.post(
        gateway,
        data={"account": account.name, "passwd": PASSWD_MD5, "mb": "8613800138000", "content": "x"},
    )
    assert old.json()["status"] != 1
    new_md5 = hashlib.md5(b"new-pass-1").hexdigest()
    new = await live.http.post(
        gateway,
        data={"account": account.name, "passwd": new_md5, "mb": "8613800138000", "content": "x"},
    )
    assert new.json()["status"] == 1


async def test_disabled_account_is_signed_out_and_refused(live: Live, face_client: Any) -> None:
    account, portal = await signed_in(live, face_client)
    await live.store.update_account(account.name, AccountChanges(active=False))
    assert (await portal.get("/")).status_code == 303
    again = await portal.sign_in(account.name)
    assert again.status_code == 403 and "该账号已停用" in again.text
    assert await live.store.find_messages(MessageQuery(account_id=account.id)) == []
