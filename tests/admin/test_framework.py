"""The back-office framework through the portal over real HTTP: sessions, CSRF, throttling,
language, security headers."""

from __future__ import annotations

from typing import Any

from tests.api.harness import Live


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
