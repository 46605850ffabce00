"""Admission: a plain send request and an account in, one decision per recipient out.

Every dialect (HI8D, 企信通, REST) turns its request into a ``SendRequest``; this module
decides, with no I/O: request-level refusals first (stopped account, empty or banned content,
bad extension, too many recipients), then each recipient (invalid, blacklisted). A number
listed twice is sent twice, as the client asked: dialects answer one id per listed recipient.
Charging happens in the store, atomically with the insert, so a balance that cannot cover
every accepted recipient refuses the whole request there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from hongyan.core import numbers, segments
from hongyan.core.accounts import Account
from hongyan.core.errors import Refusal
from hongyan.core.messages import NewMessage

DEFAULT_VALIDITY = timedelta(hours=48)
MAX_SOURCE_DIGITS = 20


@dataclass(frozen=True)
class SendRequest:
    recipients: tuple[str, ...]  # exactly as the client wrote them
    text: str
    extension: str = ""  # 企信通 ``sender``: digits appended to the service code
    sender: str | None = None  # HI8D / REST explicit sender id (replaces the service code)
    send_at: datetime | None = None  # aware; None or past = now
    client_ref: str | None = None
    max_chars: int | None = None  # the dialect's own cap (g70send: 70)
    allow_long: bool = True  # may go as a concatenated message
    national: str | None = None  # "CN": 11-digit mobiles may omit 86
    validity: timedelta | None = None
    dialect: str = "rest"


@dataclass(frozen=True)
class RecipientDecision:
    input: str
    recipient: str | None  # canonical E.164 digits when it parsed
    refusal: Refusal | None  # None = accepted


@dataclass(frozen=True)
class Admission:
    refusal: Refusal | None  # the whole request refused
    detail: str  # e.g. the banned word found
    decisions: tuple[RecipientDecision, ...]
    messages: tuple[NewMessage, ...]  # one per accepted decision, in order

    @property
    def price(self) -> int:
        return sum(m.price for m in self.messages)

    @property
    def accepted(self) -> tuple[RecipientDecision, ...]:
        return tuple(d for d in self.decisions if d.refusal is None)

    @property
    def refused(self) -> tuple[RecipientDecision, ...]:
        return tuple(d for d in self.decisions if d.refusal is not None)


def refuse(request: SendRequest, refusal: Refusal, detail: str = "") -> Admission:
    """The whole request refused: every recipient listed as refused, nothing to store."""
    decisions = tuple(RecipientDecision(r, None, refusal) for r in request.recipients)
    return Admission(refusal, detail, decisions, ())


def first_banned_word(text: str, words: Collection[str]) -> str | None:
    """The banned word that occurs earliest in ``text`` (longest on a tie), case-insensitive."""
    folded = text.casefold()
    best: tuple[int, int, str] | None = None
    for word in words:
        if not word:
            continue
        at = folded.find(word.casefold())
        if at >= 0 and (best is None or (at, -len(word)) < (best[0], best[1])):
            best = (at, -len(word), word)
    return best[2] if best else None


def normalize_all(request: SendRequest) -> list[str | None]:
    return [numbers.normalize(r, national=request.national) for r in request.recipients]


def _source_addr(account: Account, request: SendRequest) -> tuple[str, Refusal | None]:
    if request.sender is not None and request.sender != "":
        return request.sender, None
    extension = request.extension.strip()
    if extension and not extension.isdigit():
        return "", Refusal.BAD_EXTENSION
    source = account.service_code + extension
    if len(source) > MAX_SOURCE_DIGITS:
        return "", Refusal.EXTENSION_TOO_LONG
    if (
        extension
        and account.registered_extensions
        and extension not in account.registered_extensions
    ):
        return "", Refusal.EXTENSION_NOT_REGISTERED
    return source, None


def _content_refusal(
    account: Account, request: SendRequest, banned_words: Collection[str]
) -> tuple[Refusal, str] | None:
    text = request.text
    if not text.strip():
        return Refusal.EMPTY_CONTENT, ""
    info = segments.analyze(text)
    if request.max_chars is not None and info.characters > request.max_chars:
        return Refusal.CONTENT_TOO_LONG, ""
    if info.segments > 1 and not request.allow_long:
        return Refusal.CONTENT_TOO_LONG, ""
    if info.characters > account.limits.long_max_chars:
        return Refusal.CONTENT_TOO_LONG, ""
    word = first_banned_word(text, banned_words)
    if word is not None:
        return Refusal.BANNED_WORD, word
    return None


def admit(
    account: Account,
    request: SendRequest,
    *,
    now: datetime,
    banned_words: Collection[str] = (),
    is_blacklisted: Callable[[str], bool] = lambda number: False,
    normalized: Sequence[str | None] | None = None,
    validity: timedelta | None = None,
) -> Admission:
    """Decide every recipient of ``request``. ``normalized`` may pass ``normalize_all``'s result;
    ``validity`` stands in for ``request.validity`` when that is ``None``."""
    if not account.active:
        return refuse(request, Refusal.ACCOUNT_STOPPED)
    if not request.recipients:
        return refuse(request, Refusal.NO_RECIPIENTS)
    if len(request.recipients) > account.limits.max_recipients:
        return refuse(request, Refusal.TOO_MANY_RECIPIENTS)
    content = _content_refusal(account, request, banned_words)
    if content is not None:
        return refuse(request, *content)
    source, source_refusal = _source_addr(account, request)
    if source_refusal is not None:
        return refuse(request, source_refusal)

    parts = segments.count_segments(request.text)
    due = max(request.send_at or now, now)
    if request.validity is not None:
        validity = request.validity
    expires = due + (validity or DEFAULT_VALIDITY)
    targets = normalized if normalized is not None else normalize_all(request)
    decisions: list[RecipientDecision] = []
    messages: list[NewMessage] = []
    for raw, number in zip(request.recipients, targets, strict=True):
        refusal: Refusal | None = None
        if number is None:
            refusal = Refusal.INVALID_NUMBER
        elif is_blacklisted(number):
            refusal = Refusal.BLACKLISTED
        decisions.append(RecipientDecision(raw, number, refusal))
        if refusal is not None or number is None:
            continue
        messages.append(
            NewMessage(
                account_id=account.id,
                recipient=number,
                recipient_input=raw,
                source_addr=source,
                text=request.text,
                segments=parts,
                price=parts,
                due_at=due,
                expires_at=expires,
                client_ref=request.client_ref,
                dialect=request.dialect,
            )
        )
    return Admission(None, "", tuple(decisions), tuple(messages))
