"""What the CMPP connector adds to the connector types it shares with SMPP (``smpp_types``:
``OutboundMessage``, ``SubmitResult``, ``Receipt``, ``Inbound``, ``ConnectorStats``): how a
Result is classified, and the ISMG's time zone."""

from __future__ import annotations

from datetime import timedelta, timezone

from hongyan.protocols.cmpp.constants import Result, result_name
from hongyan.services.connectors.smpp_types import SubmitResult

# ISMG clocks (CMPP_CONNECT Timestamp, report times) are China Standard Time, no DST.
CHINA = timezone(timedelta(hours=8), "CST")

# Results worth trying again later (possibly on another channel); anything else is final.
# Flow control is first retried on the same connection after a pause, as SMPP throttling.
TEMPORARY_RESULTS = frozenset({Result.DUPLICATE_SEQUENCE, Result.FLOW_CONTROL})
THROTTLING_RESULTS = frozenset({Result.FLOW_CONTROL})


def is_temporary(result: int) -> bool:
    return result in TEMPORARY_RESULTS


def submit_failure(result: int, reason: str = "") -> SubmitResult:
    """A CMPP_SUBMIT_RESP with Result ``result`` (not 0) as the connector's answer."""
    reason = reason or f"CMPP_SUBMIT_RESP Result {result} ({result_name(result)})"
    return SubmitResult(False, (), result, is_temporary(result), reason)
