"""The back-office framework through the portal over real HTTP: sessions, CSRF, throttling,
language, security headers."""

from __future__ import annotations

from typing import Any

from tests.api.harness import PASSWORD, Live


async def test_sign_in_and_out(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    first = await portal.get("/")
    assert first.status_code == 303
    assert first.headers["location"] == "/portal/signin?next=%2Fportal%2F"
    response = await portal.sign_in(account.name)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/"
    home = await portal.get("/")
    assert home.status_code == 200
    assert account.name in home.text
    out = await portal.post("/signout")
    assert out.status_code == 303
    assert (await portal.get("/")).status_code == 303


async def test_session_cookie_flags(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    await portal.get("/signin")
    response = await portal.post("/signin", {"name": account.name, "password": PASSWORD})
    (cookie,) = response.headers.get_list("set-cookie")  # once, however the page was built
    assert cookie.startswith("hy_portal=")
    for flag in ("HttpOnly", "SameSite=lax", "Path=/portal"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http, secure_cookies = auto
    # behind a TLS proxy in [http] trusted_proxies (127.0.0.1 here), the cookie is Secure
    fresh = face_client("/portal")
    proxied = await fresh.http.get("/portal/signin", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in proxied.headers["set-cookie"]


async def test_unsafe_requests_need_the_sessions_token(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    await portal.sign_in(account.name)
    url = {"report_url": "https://evil.example/", "inbound_url": ""}
    for token in ("", "forged-token-forged-token", face_client("/portal").csrf):
        refused = await portal.post("/settings/urls", {**url, "csrf": token})
        assert refused.status_code == 403, token
        assert "表单已过期" in refused.text
    fresh = await live.store.get_account_by_id(account.id)
    assert fresh is not None and fresh.report_url is None
    by_header = await portal.http.post(
        "/portal/settings/urls", data=url, headers={"X-CSRF-Token": portal.csrf}
    )
    assert by_header.status_code == 200  # htmx sends the token as a header


async def test_sign_in_needs_a_token_too(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    response = await portal.http.post(
        "/portal/signin", data={"name": account.name, "password": PASSWORD}
    )
    assert response.status_code == 403  # no session cookie, no token: a cross-site login


async def test_sign_in_is_throttled_per_name(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    await portal.get("/signin")
    for _ in range(5):
        wrong = await portal.post("/signin", {"name": account.name, "password": "wrong!"})
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    blocked = await portal.post("/signin", {"name": account.name, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in blocked.text
    # the same count applies from any other browser
    other = face_client("/portal")
    assert (await other.sign_in(account.name)).status_code == 429


async def test_unknown_name_and_wrong_password_answer_alike(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    await portal.get("/signin")
    unknown = await portal.post("/signin", {"name": "nobody", "password": PASSWORD})
    wrong = await portal.post("/signin", {"name": account.name, "password": "nope"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text.replace("nobody", account.name) == wrong.text


async def test_language_switch_is_remembered(live: Live, face_client: Any) -> None:
    portal = face_client("/portal")
    assert "登录" in (await portal.get("/signin")).text
    english = await portal.get("/signin", params={"lang": "en"})
    assert "Sign in" in english.text and "登录" not in english.text.split("<main>")[1]
    assert "hy_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in (await portal.get("/signin")).text


async def test_security_headers_and_no_stack_traces(live: Live, face_client: Any) -> None:
    portal = face_client("/portal")
    page = await portal.get("/signin")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    missing = await portal.get("/no/such/page")
    assert missing.status_code == 404 and "页面不存在" in missing.text


async def test_a_forged_or_foreign_cookie_is_no_session(live: Live, face_client: Any) -> None:
    account = await live.account()
    portal = face_client("/portal")
    await portal.sign_in(account.name)
    value = portal.http.cookies["hy_portal"]
    forged = face_client("/portal")
    forged.http.cookies.set("hy_portal", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert (await forged.get("/")).status_code == 303
    # a portal session presented to the console's realm opens nothing there
    console = face_client("/admin")
    console.http.cookies.set("hy_console", value, path="/admin")
    assert (await console.get("/accounts")).status_code == 303
