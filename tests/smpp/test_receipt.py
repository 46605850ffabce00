"""Delivery receipt text: the canonical form and the variants carriers send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hongyan.protocols.smpp.receipt import (
    DeliveryReceipt,
    format_date,
    format_receipt,
    parse_date,
    parse_receipt,
    receipt_id,
)

CANONICAL = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2401011230 done date:2401011231 "
    "stat:DELIVRD err:000 text:Hello world"
)


def test_canonical_round_trip() -> None:
    receipt = parse_receipt(CANONICAL)
    assert receipt == DeliveryReceipt(
        message_id="0123456789",
        stat="DELIVRD",
        err="000",
        sub="001",
        dlvrd="001",
        submit_date="2401011230",
        done_date="2401011231",
        text="Hello world",
    )
    assert format_receipt(receipt) == CANONICAL


@pytest.mark.parametrize(
    ("text", "message_id", "stat", "err", "done"),
    [
        (
            "id:1A2B3C sub:001 dlvrd:000 submit date:2401011230 done date:2401011231"
            " stat:UNDELIV err:034 text:",
            "1A2B3C",
            "UNDELIV",
            "034",
            "2401011231",
        ),
        (
            "ID:42 SUB:001 DLVRD:001 SUBMIT DATE:2401011230 DONE DATE:2401011231"
            " STAT:delivrd ERR:0 TEXT:x",
            "42",
            "DELIVRD",
            "0",
            "2401011231",
        ),
        ("id: 42  sub: 1  stat : EXPIRED   err : 001", "42", "EXPIRED", "001", ""),
        (
            "id:42 submit_date:240101123000 done_date:240101123100 stat:DELIVRD",
            "42",
            "DELIVRD",
            "",
            "240101123100",
        ),
        ("stat:REJECTD err:11 id:99", "99", "REJECTD", "11", ""),
        ("id:7 stat:DELIVRD text:id:8 stat:UNDELIV", "7", "DELIVRD", "", ""),
    ],
    ids=[
        "hex-id-lower",
        "upper-case-keys",
        "extra-spaces-missing-dates",
        "underscored-dates-seconds",
        "reordered",
        "text-looks-like-receipt",
    ],
)
def test_variants(text: str, message_id: str, stat: str, err: str, done: str) -> None:
    receipt = parse_receipt(text)
    assert receipt is not None
    assert (receipt.message_id, receipt.stat, receipt.err, receipt.done_date) == (
        message_id,
        stat,
        err,
        done,
    )


def test_ordinary_text_is_not_a_receipt() -> None:
    assert parse_receipt("see you at 10:30") is None


def test_tlv_id_preferred() -> None:
    receipt = parse_receipt("id:2587 stat:DELIVRD")
    assert receipt is not None
    assert receipt_id(receipt, "0A1B") == "0A1B"
    assert receipt_id(receipt, None) == "2587"


def test_dates() -> None:
    moment = datetime(2024, 1, 1, 12, 30, tzinfo=UTC)
    assert format_date(moment) == "2401011230"
    assert parse_date("2401011230") == moment
    assert parse_date("240101123005") == moment.replace(second=5)
    assert parse_date("24013") is None
    assert parse_date("2413011230") is None


_VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(
    values=st.lists(_VALUE, min_size=7, max_size=7),
    dates=st.lists(st.text(alphabet="0123456789 ", max_size=13), min_size=2, max_size=2),
    text=st.text(max_size=30),
)
def test_the_canonical_fast_path_reads_as_the_tolerant_parser(
    values: list[str], dates: list[str], text: str
) -> None:
    from hongyan.protocols.smpp import receipt as r

    message_id, sub, dlvrd, stat, err, _, _ = values
    for candidate in (
        f"id:{message_id} sub:{sub} dlvrd:{dlvrd} submit date:{dates[0]} done date:{dates[1]}"
        f" stat:{stat} err:{err} text:{text}",
        format_receipt(DeliveryReceipt(message_id, stat, err, sub, dlvrd, *dates, text)),
    ):
        assert r.parse_receipt(candidate) == r._parse_tolerant(candidate), candidate


@given(st.text(alphabet="0123456789", min_size=10, max_size=12))
def test_parse_date_reads_as_strptime(digits: str) -> None:
    fmt = {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S"}.get(len(digits))
    try:
        expected = datetime.strptime(digits, fmt).replace(tzinfo=UTC) if fmt else None
    except ValueError:
        expected = None
    assert parse_date(digits) == expected
