"""Delivery receipts as the store records them, and how carrier ids are matched.

SMSCs are inconsistent: submit_sm_resp may carry ``0A1B`` while the receipt says ``2587``
(the same id in decimal), or ``00001234`` against ``1234``. Ids are stored normalised and a
receipt is looked up by every reading of its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from hongyan.core.messages import MessageState


class SegmentOutcome(Enum):
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    EXPIRED = "expired"


# SMPP receipt stat → outcome; anything unlisted (UNKNOWN, ACCEPTD, ENROUTE) is not final.
STAT_OUTCOMES: dict[str, SegmentOutcome] = {
    "DELIVRD": SegmentOutcome.DELIVERED,
    "UNDELIV": SegmentOutcome.UNDELIVERABLE,
    "REJECTD": SegmentOutcome.UNDELIVERABLE,
    "DELETED": SegmentOutcome.UNDELIVERABLE,
    "EXPIRED": SegmentOutcome.EXPIRED,
}

OUTCOME_STATES = {
    SegmentOutcome.DELIVERED: MessageState.DELIVERED,
    SegmentOutcome.UNDELIVERABLE: MessageState.UNDELIVERABLE,
    SegmentOutcome.EXPIRED: MessageState.EXPIRED,
}


def normalize_carrier_id(raw: str) -> str:
    cleaned = raw.strip().lower().lstrip("0")
    return cleaned or "0"


def carrier_id_candidates(raw: str) -> tuple[str, ...]:
    """Every normalised id ``raw`` may stand for: the exact one first, then hex/decimal twins."""
    base = normalize_carrier_id(raw)
    candidates = [base]
    if base.isdigit():
        candidates.append(normalize_carrier_id(format(int(base), "x")))
    if all(c in "0123456789abcdef" for c in base):
        candidates.append(str(int(base, 16)))
    return tuple(dict.fromkeys(candidates))


@dataclass(frozen=True)
class ReceiptRecord:
    channel: str
    carrier_id: str  # as received; the store normalises
    stat: str  # DELIVRD, UNDELIV, EXPIRED, …
    error_code: str  # carrier's err, "000" style kept as text
    done_at: datetime

    @property
    def outcome(self) -> SegmentOutcome | None:
        return STAT_OUTCOMES.get(self.stat.upper())


def message_outcome(segment_outcomes: list[SegmentOutcome | None]) -> MessageState | None:
    """A message's final state from its segments': any failure finishes it, all delivered do."""
    for outcome in segment_outcomes:
        if outcome is not None and outcome is not SegmentOutcome.DELIVERED:
            return OUTCOME_STATES[outcome]
    if segment_outcomes and all(o is SegmentOutcome.DELIVERED for o in segment_outcomes):
        return MessageState.DELIVERED
    return None


# What a pull report says for a message that ended without a carrier's receipt.
_STATE_STATS = {
    MessageState.DELIVERED: "DELIVRD",
    MessageState.UNDELIVERABLE: "UNDELIV",
    MessageState.EXPIRED: "EXPIRED",
    MessageState.FAILED: "UNDELIV",
    MessageState.CANCELLED: "DELETED",
    MessageState.REJECTED: "REJECTD",
}


def report_stat(state: MessageState, stat: str | None) -> str:
    """The SMPP-style stat to report: the carrier's own when it sent one, else one for ``state``."""
    if stat and stat.upper() in STAT_OUTCOMES:
        return stat.upper()
    return _STATE_STATS.get(state, "UNKNOWN")
