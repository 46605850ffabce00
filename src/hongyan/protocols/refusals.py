"""Why the platform refuses a request or one recipient of it: one vocabulary for every layer.

It lives with the wire codecs because each dialect maps these reasons to its own codes (HI8D
``code``, 企信通 ``errid`` per edition, REST problem types); ``hongyan.core.errors`` re-exports it.
"""

from __future__ import annotations

from enum import Enum


class Refusal(Enum):
    """A reason a request, or one recipient of it, is refused. Values are stable identifiers."""

    UNKNOWN_ACCOUNT = "unknown_account"
    BAD_PASSWORD = "bad_password"
    ACCOUNT_STOPPED = "account_stopped"
    IP_NOT_ALLOWED = "ip_not_allowed"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    MISSING_PARAMETER = "missing_parameter"
    BAD_REQUEST = "bad_request"
    BODY_TOO_LARGE = "body_too_large"
    EMPTY_CONTENT = "empty_content"
    CONTENT_TOO_LONG = "content_too_long"
    BANNED_WORD = "banned_word"
    NO_RECIPIENTS = "no_recipients"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    INVALID_NUMBER = "invalid_number"
    BLACKLISTED = "blacklisted"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    BAD_SCHEDULE = "bad_schedule"
    EXTENSION_NOT_REGISTERED = "extension_not_registered"
    EXTENSION_TOO_LONG = "extension_too_long"
    BAD_EXTENSION = "bad_extension"
    BAD_SENDER = "bad_sender"
    PASSWORD_TOO_SHORT = "password_too_short"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"
