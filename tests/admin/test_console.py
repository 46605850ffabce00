"""The operator console over real HTTP: operators sign in to their own realm, every form needs
its CSRF token, sign-ins are throttled, every action writes an audit entry with before/after,
and what partners typed is shown as text."""

from __future__ import annotations

from typing import Any

from tests.api.harness import PASSWORD, Live, password_hash

from hongyan.core.operators import Operator
from hongyan.store.base import AuditQuery, OperatorChanges


async def operator(live: Live, name: str = "alice") -> Operator:
    return await live.store.create_operator(name, password_hash())


async def signed_in(live: Live, face_client: Any, name: str = "alice") -> Any:
    await operator(live, name)
    console = face_client("/admin")
    response = await console.sign_in(name)
    assert response.status_code == 303 and response.headers["location"] == "/admin/accounts"
    await console.get("/accounts")  # the signed-in session's form token
    return console


async def test_operators_and_partners_are_separate_realms(live: Live, face_client: Any) -> None:
    account = await live.account()
    await operator(live)
    console = face_client("/admin")
    assert (await console.sign_in(account.name)).status_code == 401  # a partner is no operator
    portal = face_client("/portal")
    assert (await portal.sign_in(account.name)).status_code == 303
    console.http.cookies.update(portal.http.cookies)  # the partner's cookie opens nothing here
    assert (await console.get("/accounts")).status_code == 303
    assert (await console.sign_in("alice")).status_code == 303
    page = await console.get("/accounts")
    assert page.status_code == 200 and account.name in page.text


async def test_forms_without_the_csrf_token_are_refused(live: Live, face_client: Any) -> None:
    account = await live.account()
    console = await signed_in(live, face_client)
    for token in ("", "forged-token-forged-token"):
        refused = await console.post(
            f"/accounts/{account.name}/topup", {"csrf": token, "amount": "50", "note": "x"}
        )
        assert refused.status_code == 403
    assert await live.balance(account) == 100
    assert await live.store.find_audit(AuditQuery()) == []
    done = await console.post(f"/accounts/{account.name}/topup", {"amount": "50", "note": "x"})
    assert done.status_code == 303 and await live.balance(account) == 150


async def test_sign_in_is_throttled(live: Live, face_client: Any) -> None:
    await operator(live)
    console = face_client("/admin")
    for _ in range(5):
        assert (await console.sign_in("alice", "wrong password")).status_code == 401
    throttled = await console.sign_in("alice", PASSWORD)  # even the right password waits now
    assert throttled.status_code == 429
    assert "15" in throttled.text  # minutes to wait
    assert (await console.get("/accounts")).status_code == 303


async def test_portal_failures_do_not_lock_out_an_operator_of_the_same_name(
    live: Live, face_client: Any
) -> None:
    partner = await live.account()
    await operator(live, partner.name)
    portal = face_client("/portal")
    for _ in range(5):
        assert (await portal.sign_in(partner.name, "wrong password")).status_code == 401
    assert (await portal.sign_in(partner.name, PASSWORD)).status_code == 429
    assert (await face_client("/admin").sign_in(partner.name, PASSWORD)).status_code == 303


async def test_account_actions_write_audit_entries(live: Live, face_client: Any) -> None:
    console = await signed_in(live, face_client)
    created = await console.post(
        "/accounts",
        {
            "name": "acme",
            "password": "partner-pw",
            "password2": "partner-pw",
            "balance": "10",
            "service_code": "1069777",
            "report_url": "https://acme.example/r",
        },
    )
    assert created.headers["location"] == "/admin/accounts/acme?done=created"
    await console.get("/accounts/acme")
    topped = await console.post("/accounts/acme/topup", {"amount": "500", "note": "invoice 7"})
    assert topped.status_code == 303
    await console.post("/accounts/acme/state", {"active": "0"})
    await console.post("/accounts/acme/password", {"password": "new-pw-1", "password2": "new-pw-1"})
    edit = await console.post(
        "/accounts/acme/edit",
        {"service_code": "1069777", "short_name": "Acme", "report_url": "", "inbound_url": "",
         "allowed_networks": "10.0.0.0/8", "extensions": "", "max_recipients": "300",
         "long_max_chars": "500", "sends_per_second": "20", "allow_long": "on"},
    )  # fmt: skip
    assert edit.status_code == 303
    account = await live.store.get_account("acme")
    assert account is not None and not account.active and account.balance == 510
    assert account.limits.sends_per_second == 20 and account.report_url is None

    entries = await live.store.find_audit(AuditQuery(target="account:acme"))
    assert [(e.operator, e.action) for e in entries] == [
        ("alice", "account.update"),
        ("alice", "account.password"),
        ("alice", "account.stop"),
        ("alice", "account.topup"),
        ("alice", "account.create"),
    ]
    update, password, stop, topup, create = entries
    assert topup.before == {"balance": 10} and topup.after == {"balance": 510, "note": "invoice 7"}
    assert stop.before == {"active": True} and stop.after == {"active": False}
    assert password.before == {"password": "(changed)"} == password.after
    assert update.before is not None and update.after is not None
    assert update.before["report_url"] == "https://acme.example/r"
    assert update.after["allowed_networks"] == ["10.0.0.0/8"]
    assert create.before is None and create.after is not None and create.after["balance"] == 10

    audit_page = (await console.get("/audit?target=acme")).text
    assert "invoice 7" in audit_page and "partner-pw" not in audit_page
    assert "new-pw-1" not in audit_page and account.password_hash not in audit_page
    detail = (await console.get("/accounts/acme")).text
    assert "partner-pw" not in detail and account.password_hash not in detail


async def test_bad_input_gets_field_errors_not_changes(live: Live, face_client: Any) -> None:
    account = await live.account()
    console = await signed_in(live, face_client)
    bad = await console.post(
        "/accounts", {"name": "bad name!", "password": "abc", "password2": "abc"}
    )
    assert bad.status_code == 400 and "密码至少 5 个字符" in bad.text
    taken = await console.post(
        "/accounts", {"name": account.name, "password": "12345", "password2": "12345"}
    )
    assert taken.status_code == 400 and "该账号名已被使用" in taken.text
    await console.get(f"/accounts/{account.name}")
    overdraw = await console.post(
        f"/accounts/{account.name}/topup", {"amount": "-1000", "note": "take back"}
    )
    assert overdraw.status_code == 400 and await live.balance(account) == 100
    url = await console.post(f"/accounts/{account.name}/edit", {"report_url": "ftp://x"})
    assert url.status_code == 400 and "http://" in url.text
    assert await live.store.find_audit(AuditQuery()) == []


async def test_partner_text_is_escaped_everywhere(live: Live, face_client: Any) -> None:
    evil = '<script>alert("x")</script>'
    account = await live.account(short_name=evil, report_url="https://x.example/<b>")
    await live.store.add_banned_words([evil])
    console = await signed_in(live, face_client)
    for path in ("/accounts", f"/accounts/{account.name}", "/lists/words"):
        page = (await console.get(path)).text
        assert evil not in page and "&lt;script&gt;" in page, path
    page = (await console.get("/accounts?q=%3Cscript%3E")).text
    assert "<script>alert" not in page


async def test_channel_pause_and_lists_are_audited(live: Live, face_client: Any) -> None:
    account = await live.account()
    console = await signed_in(live, face_client)
    await console.get("/channels")
    assert (await console.post("/channels/smsc/pause", {"paused": "1"})).status_code == 303
    assert await live.store.paused_channels() == {"smsc"}
    assert "channel-paused" in (await console.get("/channels?part=live")).text
    await console.post("/channels/smsc/pause", {"paused": "0"})
    assert await live.store.paused_channels() == set()
    assert (await console.post("/channels/nope/pause", {"paused": "1"})).status_code == 404

    await console.get("/lists/blacklist")
    await console.post("/lists/blacklist/add", {"numbers": "13800138000\n+8613900139000"})
    await console.post("/lists/blacklist/add", {"numbers": "13700137000", "account": account.name})
    bad = await console.post("/lists/blacklist/add", {"numbers": "12ab"})
    assert bad.status_code == 400 and "12ab" in bad.text
    await console.post("/lists/words/add", {"words": "发票\n代开"})
    await console.post("/lists/words/remove", {"words": "代开"})
    assert await live.store.list_blacklist(None) == [
        ("8613800138000", None),
        ("8613900139000", None),
    ]
    assert await live.store.list_banned_words() == ["发票"]
    entries = await live.store.find_audit(AuditQuery(operator="alice"))
    assert [(e.action, e.target) for e in entries] == [
        ("banned-words.remove", "banned-words"),
        ("banned-words.add", "banned-words"),
        ("blacklist.add", f"blacklist:{account.name}"),
        ("blacklist.add", "blacklist:global"),
        ("channel.resume", "channel:smsc"),
        ("channel.pause", "channel:smsc"),
    ]
    assert entries[-1].before == {"paused": False} and entries[-1].after == {"paused": True}


async def test_disabled_operator_is_signed_out(live: Live, face_client: Any) -> None:
    console = await signed_in(live, face_client)
    assert (await console.get("/audit")).status_code == 200
    await live.store.update_operator("alice", OperatorChanges(active=False))
    assert (await console.get("/audit")).status_code == 303
    assert (await console.sign_in("alice")).status_code == 403


async def test_message_search_and_detail(live: Live, face_client: Any) -> None:
    one, two = await live.account(), await live.account()
    for account, number in ((one, "13800000001"), (two, "13800000002")):
        await live.http.post(
            "/send/gsend.aspx",
            data={"name": account.name, "pwd": PASSWORD, "dst": number, "msg": "你好 <i>"},
        )
    console = await signed_in(live, face_client)
    everything = (await console.get("/messages")).text
    assert everything.count("data-message=") == 2 and "你好 &lt;i&gt;" in everything
    only_two = (await console.get(f"/messages?account={two.name}")).text
    assert only_two.count("data-message=") == 1 and "8613800000002" in only_two
    by_number = (await console.get("/messages?number=13800000001")).text
    assert by_number.count("data-message=") == 1 and "8613800000001" in by_number
    bad = (await console.get("/messages?number=abc&from=2024-13-01")).text
    assert bad.count("data-message=") == 2  # unreadable fields are left out, and said so
    assert "手机号码无法识别" in bad and "日期格式应为" in bad
    nobody = (await console.get("/messages?account=nobody")).text
    assert "data-message=" not in nobody and "没有这个账号" in nobody
    (message,) = await live.messages(one)
    detail = await console.get(f"/messages/{message.id}")
    assert detail.status_code == 200 and one.name in detail.text
    assert (await console.get("/messages/999999")).status_code == 404


def test_every_label_the_console_uses_exists_in_both_languages() -> None:
    import re
    from pathlib import Path

    from hongyan.admin.console import accounts, face, labels
    from hongyan.admin.labels import COMMON

    catalog = COMMON.merged(labels.CONSOLE.labels)
    root = Path(labels.__file__).parents[1]
    sources = [*root.joinpath("templates/console").glob("*.html"), root / "templates/base.html"]
    sources += root.joinpath("console").glob("*.py")
    used = {
        key
        for path in sources
        for key in re.findall(r"""\bt\(\s*["']([a-z_.-]+)["']""", path.read_text("utf-8"))
    }
    used |= {f"notice.{n}" for n in accounts.NOTICES | {"paused", "added", "removed"}}
    used |= {f"channels.status.{s}" for s in ("up", "partial", "down", "paused")}
    used |= {f"audit.action.{a}" for a in labels._ACTIONS} | {i.label for i in face.NAV}
    missing = sorted(k for k in used if k not in catalog.labels and not k.endswith("."))
    assert not missing
    assert all(zh and en for zh, en in catalog.labels.values())
