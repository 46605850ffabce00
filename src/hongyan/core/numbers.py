"""Phone numbers: what clients write, normalised to one canonical form (E.164 digits, no '+').

Chinese mobiles arrive with or without ``86``/``+86``/``0086``; international numbers arrive
with their country code, sometimes with ``+``, ``00``, spaces or dashes. Validation is
``phonenumbers``' metadata, so a number is accepted only if its country's plan allows it.
"""

from __future__ import annotations

import re

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"\+\d{6,15}")


# The fast path for the commonest number, a Chinese mobile: a full phonenumbers parse costs
# ~50 µs (a tenth of a one-recipient send request's CPU), and a bulk request has thousands.
# The patterns are the library's own CN metadata, so the answer is the one the full check
# gives (tests/core/test_numbers.py compares both over every mobile prefix).
def _cn_pattern(kind: str) -> re.Pattern[str]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    description = getattr(metadata, kind, None)
    if description is None or description.national_number_pattern is None:
        raise RuntimeError(f"phonenumbers ships no CN {kind} pattern")  # a broken install
    return re.compile(description.national_number_pattern)


_CN_GENERAL = _cn_pattern("general_desc")
_CN_MOBILE_METADATA = _cn_pattern("mobile")


def _clean(raw: str) -> str:
    number = _SEPARATORS.sub("", raw)
    if number.startswith("+"):
        return "+" + number[1:]
    if number.startswith("00"):
        return "+" + number[2:]
    return number


def _valid_e164(candidate: str) -> str | None:
    if not _E164.fullmatch(candidate):
        return None
    if _cn_mobile(candidate):
        return candidate[1:]
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]


def _cn_mobile(candidate: str) -> bool:
    """``+86`` and an 11-digit national number the CN metadata calls mobile."""
    national = candidate[3:]
    return (
        candidate.startswith("+86")
        and len(national) == 11
        and _CN_MOBILE_METADATA.fullmatch(national) is not None
        and _CN_GENERAL.fullmatch(national) is not None
    )


def normalize(raw: str, *, national: str | None = None) -> str | None:
    """Canonical E.164 digits for ``raw``, or ``None`` when it is not a valid number.

    ``national="CN"`` lets an 11-digit Chinese mobile stand without its country code (the
    企信通 dialect); without it every number must carry its country code (HI8D).
    """
    number = _clean(raw.strip())
    if not number:
        return None
    if number.startswith("+"):
        return _valid_e164(number)
    if not number.isdigit():
        return None
    if national == "CN" and _CN_MOBILE.match(number):
        return _valid_e164("+86" + number)
    return _valid_e164("+" + number)


def national_cn(e164: str) -> str:
    """The 11-digit national form of a Chinese mobile (``8613630697652`` → ``13630697652``).

    Other numbers are returned unchanged.
    """
    if e164.startswith("86") and _CN_MOBILE.match(e164[2:]):
        return e164[2:]
    return e164
