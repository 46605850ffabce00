"""What the SMPP connector takes and gives: messages out, results, receipts and inbound in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.protocols.smpp.constants import status_name
from hongyan.protocols.smpp.reassembly import Assembled


class BindMode(Enum):
    TRANSCEIVER = "transceiver"
    TRANSMITTER_RECEIVER = "transmitter+receiver"


# Statuses worth trying again later (possibly on another channel); anything else is final.
TEMPORARY_STATUSES = frozenset(
    {
        S.ESME_RTHROTTLED,
        S.ESME_RMSGQFUL,
        S.ESME_RSYSERR,
        S.ESME_RX_T_APPN,
        S.ESME_RINVBNDSTS,
        S.ESME_RSUBMITFAIL,
        S.ESME_RUNKNOWNERR,
    }
)
THROTTLING_STATUSES = frozenset({S.ESME_RTHROTTLED, S.ESME_RMSGQFUL})


def is_temporary(command_status: int) -> bool:
    return command_status in TEMPORARY_STATUSES


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    source_addr: str
    destination_addr: str
    text: str
    registered_delivery: bool = True
    data_coding: int | None = None  # None: GSM7 when the text allows, else UCS2
    expires_at: datetime | None = None  # not sent after this (aware) moment: validity over


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """``ok`` with one carrier id per segment, or why not and whether to try again."""

    ok: bool
    carrier_ids: tuple[str, ...] = ()
    command_status: int = 0
    temporary: bool = False
    reason: str = ""

    @classmethod
    def success(cls, carrier_ids: tuple[str, ...]) -> SubmitResult:
        return cls(True, carrier_ids)

    @classmethod
    def failure(cls, command_status: int, reason: str = "") -> SubmitResult:
        reason = reason or status_name(command_status)
        return cls(False, (), command_status, is_temporary(command_status), reason)

    @classmethod
    def expired(cls) -> SubmitResult:
        """Its validity ended while it waited in the queue: not sent (temporary, so the
        dispatcher's retry rule finds the validity over and ends it as expired)."""
        return cls(False, (), S.ESME_RUNKNOWNERR, True, "validity ended in the queue")

    @classmethod
    def link_failure(cls, reason: str) -> SubmitResult:
        """No answer (timeout, link down, no bind): temporary, status ESME_RUNKNOWNERR."""
        return cls(False, (), S.ESME_RUNKNOWNERR, True, reason)


@dataclass(frozen=True, slots=True)
class Receipt:
    carrier_id: str  # receipted_message_id TLV when present, else the text's id
    stat: str  # DELIVRD, UNDELIV, EXPIRED, REJECTD, …
    err: str
    done_at: datetime | None  # aware UTC
    source_addr: str  # the handset (the receipt's source)
    destination_addr: str


@dataclass(frozen=True, slots=True)
class Inbound:
    source_addr: str
    destination_addr: str
    text: str  # reassembled when it came in parts
    received_at: datetime  # aware UTC
    complete: bool = True  # False when parts were still missing at the reassembly timeout

    @classmethod
    def from_assembled(cls, assembled: Assembled, received_at: datetime) -> Inbound:
        """The message a reassembler gave back: whole, or incomplete at its timeout."""
        return cls(
            assembled.source_addr,
            assembled.destination_addr,
            assembled.text,
            received_at,
            assembled.complete,
        )


DeliverEvent = Receipt | Inbound


@dataclass(frozen=True, slots=True)
class ConnectorStats:
    binds_up: int
    window_in_use: int
    submitted: int  # submit_sm answered ESME_ROK
    errors: int  # submit_sm answered with an error, timed out or lost with the link
    throttles: int  # ESME_RTHROTTLED / ESME_RMSGQFUL answers
    receipts: int
    inbound: int
    reconnects: int
