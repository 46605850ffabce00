from __future__ import annotations

import pytest

from hongyan.core.numbers import national_cn, normalize


@pytest.mark.parametrize(
    ("raw", "national", "expected"),
    [
        ("13910060001", "CN", "8613910060001"),
        ("8613910060001", "CN", "8613910060001"),
        ("+8613910060001", "CN", "8613910060001"),
        ("008613910060001", "CN", "8613910060001"),
        ("+86 139-1006-0001", "CN", "8613910060001"),
        (" 13910060001 ", "CN", "8613910060001"),
        ("13910060001", None, None),  # HI8D: the country code is required
        ("8618611287980", None, "8618611287980"),
        ("447911123456", None, "447911123456"),
        ("+44 7911 123456", None, "447911123456"),
        ("0044 7911 123456", None, "447911123456"),
        ("+1 (650) 253-0000", None, "16502530000"),
        ("12345", "CN", None),
        ("1391006000", "CN", None),  # 10 digits
        ("10086", "CN", None),
        ("abc", "CN", None),
        ("", "CN", None),
        ("+", None, None),
        ("86139100600011234567", None, None),
        ("13910060001;DROP TABLE", "CN", None),
    ],
)
def test_normalize(raw: str, national: str | None, expected: str | None) -> None:
    assert normalize(raw, national=national) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("8613630697652", "13630697652"),
        ("447911123456", "447911123456"),
        ("8610123456", "8610123456"),  # a Beijing landline stays international
    ],
)
def test_national_cn(e164: str, expected: str) -> None:
    assert national_cn(e164) == expected


def _full_check(candidate: str) -> str | None:
    """What phonenumbers alone answers for ``+<digits>`` (the path before the fast path)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]


@pytest.mark.parametrize("prefix", [f"1{d:02d}" for d in range(100)] + ["1610", "1740", "1749"])
def test_fast_chinese_mobile_path_agrees_with_phonenumbers(prefix: str) -> None:
    # Every 86 + 1xx prefix, with suffixes spread over the rest of the 11 digits.
    import random

    rng = random.Random(prefix)
    for _ in range(40):
        national = prefix + "".join(rng.choice("0123456789") for _ in range(11 - len(prefix)))
        for raw in (f"86{national}", f"+86{national}"):
            assert normalize(raw) == _full_check(f"+86{national}"), raw
        # Without a country code (企信通), only 1[3-9]… is read as Chinese; else as +<digits>.
        expected = _full_check(f"+86{national}" if national[1] in "3456789" else f"+{national}")
        assert normalize(national, national="CN") == expected, national
