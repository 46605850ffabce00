from __future__ import annotations

import pytest

from hongyan.core.segments import Alphabet, analyze, split

EMOJI = "\U0001f600"  # outside the BMP: two UCS2 units


@pytest.mark.parametrize(
    ("text", "alphabet", "units", "segments"),
    [
        ("", Alphabet.GSM7, 0, 1),
        ("hello", Alphabet.GSM7, 5, 1),
        ("a" * 160, Alphabet.GSM7, 160, 1),
        ("a" * 161, Alphabet.GSM7, 161, 2),
        ("a" * 306, Alphabet.GSM7, 306, 2),
        ("a" * 307, Alphabet.GSM7, 307, 3),
        ("€" * 80, Alphabet.GSM7, 160, 1),  # extension table: two septets each
        ("€" * 81, Alphabet.GSM7, 162, 2),
        ("{}[]~^|\\", Alphabet.GSM7, 16, 1),
        ("你" * 70, Alphabet.UCS2, 70, 1),
        ("你" * 71, Alphabet.UCS2, 71, 2),
        ("你" * 134, Alphabet.UCS2, 134, 2),
        ("你" * 135, Alphabet.UCS2, 135, 3),
        ("a" * 69 + "é", Alphabet.GSM7, 70, 1),  # é is in the basic table
        ("a" * 70 + "ê", Alphabet.UCS2, 71, 2),  # ê is not
        (EMOJI * 35, Alphabet.UCS2, 70, 1),
        (EMOJI * 36, Alphabet.UCS2, 72, 2),
    ],
)
def test_analyze(text: str, alphabet: Alphabet, units: int, segments: int) -> None:
    info = analyze(text)
    assert (info.alphabet, info.units, info.segments) == (alphabet, units, segments)
    assert len(split(text)) == segments
    assert "".join(split(text)) == text


def test_surrogate_pair_never_split() -> None:
    text = "x" * 66 + EMOJI + "y" * 10  # the emoji would straddle units 67/68
    parts = split(text)
    assert parts[0] == "x" * 66
    assert parts[1].startswith(EMOJI)


def test_gsm_escape_never_split() -> None:
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text)
    assert parts[0] == "a" * 152
    assert parts[1].startswith("€")


def test_character_count_is_code_points() -> None:
    assert analyze("你好，world").characters == 8
