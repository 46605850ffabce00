"""The framework's pure pieces: throttle, pagination, charts, sessions, labels."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from starlette.requests import Request

from hongyan.admin.charts import Series, bar_chart, nice_ceiling, rate_chart
from hongyan.admin.labels import COMMON
from hongyan.admin.pagination import PageRequest
from hongyan.admin.portal.labels import PORTAL
from hongyan.admin.sessions import SessionCookie, new_session
from hongyan.admin.throttle import SignInThrottle

ADMIN = Path(__file__).resolve().parents[2] / "src" / "hongyan" / "admin"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_per_name_and_address_with_a_window() -> None:
    clock = Clock()
    throttle = SignInThrottle(max_per_address=3, max_per_name=2, window_seconds=60, monotonic=clock)
    throttle.failed("1.2.3.4", "Acme")
    assert throttle.wait_seconds("1.2.3.4", "acme") == 0
    clock.now += 10
    throttle.failed("5.6.7.8", "ACME")  # names compare without case
    assert throttle.wait_seconds("9.9.9.9", "acme") == 50  # the first failure leaves at 60 s
    assert throttle.wait_seconds("9.9.9.9", "other") == 0
    throttle.failed("1.2.3.4", "b")
    throttle.failed("1.2.3.4", "c")
    assert throttle.wait_seconds("1.2.3.4", "fresh-name") == 50  # three from this address
    clock.now += 51
    assert throttle.wait_seconds("1.2.3.4", "acme") == 0
    throttle.failed("1.2.3.4", "d")
    throttle.succeeded("d")
    assert throttle.wait_seconds("7.7.7.7", "d") == 0


def test_pagination_cursor_and_trail() -> None:
    first = PageRequest.from_query({})
    assert (first.before, first.trail, first.limit) == (None, (), 21)
    rows = list(range(100, 79, -1))  # 21 rows: one more than a page
    page = first.page(rows, key=lambda r: r)
    assert page.items == list(range(100, 80, -1)) and page.older and not page.newer
    assert page.older_href({"state": "queued", "before": "5"}) == "?state=queued&before=81&trail=0"
    second = PageRequest.from_query({"before": "81", "trail": "0"})
    page2 = second.page([80, 79], key=lambda r: r)
    assert not page2.older and page2.newer and page2.number == 2
    assert page2.newer_href({}) == "?"
    third = PageRequest.from_query({"before": "61", "trail": "0.81"})
    assert third.page([60], key=lambda r: r).newer_href({"q": "x"}) == "?q=x&before=81&trail=0"
    for junk in ({"before": "-4"}, {"before": "abc", "trail": "x.1e9"}, {"size": "0"}):
        request = PageRequest.from_query(junk)
        assert request.before is None and request.size == 20
    assert PageRequest.from_query({"size": "100000"}).size == 100


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 7, 11, 240, 1001)] == [
        1.0,
        0.5,
        1.0,
        10.0,
        20.0,
        250.0,
        2000.0,
    ]


def test_charts_escape_labels_and_draw_each_value() -> None:
    svg = bar_chart(["<b>", "01:00"], [Series("a<", [1, 2]), Series("b", [0, 3])], label='x"y')
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&lt;" in svg
    assert svg.count("<rect") == 3  # zero values draw nothing
    line = rate_chart(["1", "2", "3", "4"], [Series("rate", [0.5, None, 1.0, 0.25])])
    assert line.count("<circle") == 3
    assert line.count("<polyline") == 1  # the gap splits it; a lone point is no line
    assert "100%" in line


def _request(cookie: str | None = None, scheme: str = "http") -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    scope = {"type": "http", "headers": headers, "scheme": scheme, "path": "/", "query_string": b""}
    return Request(scope)


def test_sessions_are_bound_to_their_realm_and_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    portal = SessionCookie("portal", "hy_portal", "/portal", 3600, b"k" * 32)
    console = SessionCookie("console", "hy_console", "/admin", 3600, b"k" * 32)
    session = new_session(7, portal.fingerprint("$argon2id$..."))
    value = portal._serializer.dumps({"s": 7, "c": session.credential, "t": session.csrf})
    assert portal.read(_request(f"hy_portal={value}")) == session
    assert console.read(_request(f"hy_console={value}")) is None
    assert portal.fingerprint("a") != console.fingerprint("a") != portal.fingerprint("b")
    import time

    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    assert portal.read(_request(f"hy_portal={value}")) is None


_T_CALL = re.compile(r"""\bt\(\s*["']([a-z_0-9.]+)["']\s*[,)]""")


def _template_keys() -> set[str]:
    """Keys of ``t("…")`` calls with a literal key (built ones are checked where built)."""
    paths = [*(ADMIN / "templates").glob("*.html"), *(ADMIN / "templates/portal").glob("*.html")]
    return {key for path in paths for key in _T_CALL.findall(path.read_text())}


_KEY = re.compile(
    r"^(app|nav|signin|error|pager|action|common|figures|search|state|overview|messages|message"
    r"|inbound|settings|keys|password|portal|footer)\.[a-z_0-9]*[a-z0-9]$"
)


def _python_keys() -> set[str]:
    files = [*(ADMIN / "portal").glob("*.py")]
    files += [ADMIN / n for n in ("figures.py", "search.py", "signin.py", "views.py")]
    keys = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and _KEY.match(node.value) and not node.value.endswith(".html"):
                keys.add(node.value)
    return keys


def test_every_label_the_portal_uses_exists_in_both_languages() -> None:
    catalog = COMMON.merged(PORTAL.labels)
    used = _template_keys() | _python_keys()
    assert len(used) > 100
    missing = sorted(k for k in used if k not in catalog.labels)
    assert not missing
    for key, (zh, en) in catalog.labels.items():
        assert zh and en, key
        assert re.findall(r"\{\w+\}", zh) == re.findall(r"\{\w+\}", en), key


def test_catalogs_refuse_a_key_defined_twice() -> None:
    with pytest.raises(ValueError, match=r"nav\.overview"):
        COMMON.merged(PORTAL.labels).merged({"nav.overview": ("x", "y")})
