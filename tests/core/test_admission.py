from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hongyan.core.accounts import Account, Limits
from hongyan.core.admission import SendRequest, admit, first_banned_word
from hongyan.core.errors import Refusal

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACCOUNT = Account(
    id=7,
    name="acme",
    password_hash="x",
    active=True,
    balance=100,
    service_code="1069000",
    short_name="鸿雁科技",
    limits=Limits(max_recipients=3, long_max_chars=200),
)


def cn(*recipients: str, text: str = "你好", **kw: object) -> SendRequest:
    return SendRequest(recipients=recipients, text=text, national="CN", dialect="qxt", **kw)  # type: ignore[arg-type]


def test_accepts_and_prices_each_recipient() -> None:
    result = admit(ACCOUNT, cn("13910060001", "8613911020005", text="你" * 71), now=NOW)
    assert result.refusal is None
    assert [m.recipient for m in result.messages] == ["8613910060001", "8613911020005"]
    assert [m.recipient_input for m in result.messages] == ["13910060001", "8613911020005"]
    assert {m.segments for m in result.messages} == {2}
    assert result.price == 4
    assert {m.source_addr for m in result.messages} == {"1069000"}
    assert result.messages[0].due_at == NOW
    assert result.messages[0].expires_at == NOW + timedelta(hours=48)


def test_per_recipient_refusals_keep_order() -> None:
    blacklist = {"8613911020005"}
    result = admit(
        ACCOUNT,
        cn("13910060001", "123", "13911020005"),
        now=NOW,
        is_blacklisted=blacklist.__contains__,
    )
    assert [(d.input, d.refusal) for d in result.decisions] == [
        ("13910060001", None),
        ("123", Refusal.INVALID_NUMBER),
        ("13911020005", Refusal.BLACKLISTED),
    ]
    assert len(result.messages) == 1
    assert [d.input for d in result.refused] == ["123", "13911020005"]


@pytest.mark.parametrize(
    ("account", "request_", "refusal"),
    [
        (replace(ACCOUNT, active=False), cn("13910060001"), Refusal.ACCOUNT_STOPPED),
        (ACCOUNT, cn(), Refusal.NO_RECIPIENTS),
        (
            ACCOUNT,
            cn("13910060001", "13910060002", "13910060003", "13910060004"),
            Refusal.TOO_MANY_RECIPIENTS,
        ),
        (ACCOUNT, cn("13910060001", text="  "), Refusal.EMPTY_CONTENT),
        (ACCOUNT, cn("13910060001", text="你" * 71, max_chars=70), Refusal.CONTENT_TOO_LONG),
        (ACCOUNT, cn("13910060001", text="你" * 71, allow_long=False), Refusal.CONTENT_TOO_LONG),
        (ACCOUNT, cn("13910060001", text="你" * 201), Refusal.CONTENT_TOO_LONG),
        (ACCOUNT, cn("13910060001", extension="12a"), Refusal.BAD_EXTENSION),
        (ACCOUNT, cn("13910060001", extension="1" * 14), Refusal.EXTENSION_TOO_LONG),
        (
            replace(ACCOUNT, registered_extensions=("01", "02")),
            cn("13910060001", extension="03"),
            Refusal.EXTENSION_NOT_REGISTERED,
        ),
    ],
)
def test_request_refusals(account: Account, request_: SendRequest, refusal: Refusal) -> None:
    result = admit(account, request_, now=NOW)
    assert result.refusal is refusal
    assert result.messages == ()
    assert all(d.refusal is refusal for d in result.decisions)
    assert [d.input for d in result.decisions] == list(request_.recipients)


def test_banned_word_reports_the_word() -> None:
    result = admit(ACCOUNT, cn("13910060001", text="买发票找我"), now=NOW, banned_words=["发票"])
    assert (result.refusal, result.detail) == (Refusal.BANNED_WORD, "发票")


def test_extension_and_schedule() -> None:
    later = NOW + timedelta(hours=3)
    result = admit(
        replace(ACCOUNT, registered_extensions=("01",)),
        cn("13910060001", extension="01", send_at=later),
        now=NOW,
    )
    assert result.messages[0].source_addr == "106900001"
    assert result.messages[0].due_at == later


def test_past_schedule_means_now() -> None:
    result = admit(ACCOUNT, cn("13910060001", send_at=NOW - timedelta(days=1)), now=NOW)
    assert result.messages[0].due_at == NOW


def test_explicit_sender_wins() -> None:
    request = SendRequest(recipients=("8618611287980",), text="hi", sender="HONGYAN")
    assert admit(ACCOUNT, request, now=NOW).messages[0].source_addr == "HONGYAN"


@pytest.mark.parametrize(
    ("text", "words", "found"),
    [
        ("clean text", ["spam"], None),
        ("Buy SPAM now", ["spam"], "spam"),
        ("代开发票和赌博", ["赌博", "发票"], "发票"),  # earliest in the text wins
        ("赌博机", ["赌博", "赌博机"], "赌博机"),  # longest on a tie
    ],
)
def test_first_banned_word(text: str, words: list[str], found: str | None) -> None:
    assert first_banned_word(text, words) == found


@pytest.mark.parametrize(
    ("own", "default", "lasts"),
    [
        (None, None, timedelta(hours=48)),
        (None, timedelta(hours=2), timedelta(hours=2)),
        (timedelta(hours=5), timedelta(hours=2), timedelta(hours=5)),
        (timedelta(0), timedelta(hours=2), timedelta(hours=48)),  # zero is "not set", as always
    ],
)
def test_a_request_s_own_validity_wins_over_the_platform_s(
    own: timedelta | None, default: timedelta | None, lasts: timedelta
) -> None:
    result = admit(ACCOUNT, cn("13910060001", validity=own), now=NOW, validity=default)
    assert result.messages[0].expires_at == NOW + lasts
