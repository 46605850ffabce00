"""How a text travels as SMS: its alphabet, how many segments it takes, and the segments.

GSM 03.38 text takes 160 septets in one SMS, 153 per segment when concatenated (the UDH takes
the rest), and an extension-table character costs two septets. Anything else goes as UCS2:
70 UTF-16 code units single, 67 per segment; a character outside the BMP is a surrogate pair,
two units, and is never split across segments (nor is a GSM escape pair).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum

from hongyan.protocols import gsm7


class Alphabet(Enum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


SINGLE_LIMIT = {Alphabet.GSM7: 160, Alphabet.UCS2: 70}
SEGMENT_LIMIT = {Alphabet.GSM7: 153, Alphabet.UCS2: 67}


@dataclass(frozen=True)
class TextInfo:
    alphabet: Alphabet
    units: int  # septets (GSM7) or UTF-16 code units (UCS2)
    segments: int
    characters: int  # code points, the 企信通 "字" count


def alphabet_of(text: str) -> Alphabet:
    return Alphabet.GSM7 if gsm7.is_gsm7(text) else Alphabet.UCS2


def _unit_cost(ch: str, alphabet: Alphabet) -> int:
    if alphabet is Alphabet.GSM7:
        return gsm7.septet_cost(ch)
    return 2 if ord(ch) > 0xFFFF else 1


@functools.lru_cache(maxsize=1024)
def analyze(text: str) -> TextInfo:
    # Cached: a request's recipients share one text, and partners resend templates; the
    # per-character walk was a tenth of a one-recipient send request's CPU.
    alphabet = alphabet_of(text)
    units = sum(_unit_cost(ch, alphabet) for ch in text)
    return TextInfo(alphabet, units, len(split(text, alphabet)), len(text))


def count_segments(text: str) -> int:
    return analyze(text).segments


def split(text: str, alphabet: Alphabet | None = None) -> list[str]:
    """The segment texts, in order; one segment (possibly empty) when it fits in a single SMS."""
    alphabet = alphabet or alphabet_of(text)
    costs = [_unit_cost(ch, alphabet) for ch in text]
    if sum(costs) <= SINGLE_LIMIT[alphabet]:
        return [text]
    limit = SEGMENT_LIMIT[alphabet]
    parts: list[str] = []
    start = used = 0
    for i, cost in enumerate(costs):
        if used + cost > limit:
            parts.append(text[start:i])
            start, used = i, 0
        used += cost
    parts.append(text[start:])
    return parts
