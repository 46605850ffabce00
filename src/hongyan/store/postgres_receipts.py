"""Delivery receipts on PostgreSQL: matched to segments by every reading of the carrier id.

A receipt racing the submit_sm_resp that names its carrier id is never left pending. Submits
hold a transaction-scoped advisory lock per channel in *shared* mode (they never wait for each
other) and look for pending receipts only after taking it. A receipt that matches no segment
takes the same lock *exclusively* before it looks again and stores itself as pending, so it
waits for the submits in flight to commit, and a submit that starts meanwhile waits for the
pending row. Receipts that find their segment take no lock at all: with the usual receipt
delay they are nearly all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hongyan.core.receipts import ReceiptRecord, carrier_id_candidates
from hongyan.store import rows
from hongyan.store.base import ReceiptResult
from hongyan.store.postgres_finish import finish
from hongyan.store.rows import Finish

Connection = Any  # asyncpg.Connection (untyped library)


async def lock_channels(con: Connection, channels: set[str], *, shared: bool) -> None:
    """The receipt/submit lock of each channel, in name order (one lock order everywhere)."""
    if channels:
        kind = "_shared" if shared else ""
        await con.execute(
            f"SELECT count(pg_advisory_xact_lock{kind}(hashtext('hongyan.receipts:' || c)))"
            " FROM (SELECT c FROM unnest($1::text[]) AS c ORDER BY c) AS ordered",
            sorted(channels),
        )


async def record_receipts(
    con: Connection, receipts: Sequence[ReceiptRecord], now: datetime
) -> ReceiptResult:
    return await apply_receipts(con, receipts, now, lock=True)


async def apply_receipts(
    con: Connection, receipts: Sequence[ReceiptRecord], now: datetime, *, lock: bool = False
) -> ReceiptResult:
    """``lock``: take the channel lock before storing a receipt as pending (see the module
    docstring). Receipts applied by ``record_submits`` match the segments it just wrote."""
    readings = [carrier_id_candidates(r.carrier_id) for r in receipts]
    known = await _segments_named(con, receipts, readings)
    unmatched = [
        (r, cs)
        for r, cs in zip(receipts, readings, strict=True)
        if rows.pick_segment(cs, r.channel, known) is None
    ]
    if unmatched and lock:  # wait for the submits in flight, then look again
        await lock_channels(con, {r.channel for r, _ in unmatched}, shared=False)
        again = await _segments_named(con, [r for r, _ in unmatched], [cs for _, cs in unmatched])
        known.update(again)
    updates: list[tuple[Any, ...]] = []
    pending: list[tuple[Any, ...]] = []
    for receipt, candidates in zip(receipts, readings, strict=True):
        segment = rows.pick_segment(candidates, receipt.channel, known)
        fields = (receipt.stat, receipt.error_code, receipt.done_at)
        if segment is None:
            pending.append((receipt.channel, candidates[0], *fields))
        else:
            outcome = receipt.outcome.value if receipt.outcome else None
            updates.append((segment["message_id"], segment["seq"], outcome, *fields))
    message_ids = sorted({u[0] for u in updates})
    locked = await con.fetch(
        _RECEIPTS,
        *([u[i] for u in updates] for i in range(6)),
        *([p[i] for p in pending] for i in range(5)),
        now,
        message_ids,
    )
    finished = await finish(con, await _decided(con, message_ids), now, locked)
    return ReceiptResult(matched=len(updates), pending=len(pending), finished=tuple(finished))


# Segment outcomes, receipts left pending, and the messages concerned locked (in id order,
# so that a concurrent receipt for another segment of the same message has committed before
# ``_decided`` reads the segments): one statement.
_RECEIPTS = (
    "WITH outcomes AS (UPDATE segments s SET outcome = u.outcome, stat = u.stat,"
    "  error_code = u.error_code, done_at = u.done_at FROM unnest($1::bigint[], $2::int[],"
    "  $3::text[], $4::text[], $5::text[], $6::timestamptz[])"
    "  AS u(message_id, seq, outcome, stat, error_code, done_at)"
    "  WHERE s.message_id = u.message_id AND s.seq = u.seq AND s.outcome IS NULL),"
    " early AS (INSERT INTO pending_receipts (channel, carrier_id, stat, error_code, done_at,"
    "  received_at) SELECT *, $12 FROM unnest($7::text[], $8::text[], $9::text[], $10::text[],"
    "  $11::timestamptz[]))"
    " SELECT id, state, account_id, price FROM messages WHERE id = ANY($13::bigint[])"
    " ORDER BY id FOR NO KEY UPDATE"
)


def pending_receipt(row: Any) -> ReceiptRecord:
    return ReceiptRecord(
        row["channel"], row["carrier_id"], row["stat"], row["error_code"], row["done_at"]
    )


async def _segments_named(
    con: Connection, receipts: Sequence[ReceiptRecord], readings: Sequence[tuple[str, ...]]
) -> dict[tuple[str, str], Any]:
    """The segments any reading of the receipts' carrier ids names, by (channel, carrier id)."""
    keys = sorted({(r.channel, c) for r, cs in zip(receipts, readings, strict=True) for c in cs})
    found = await con.fetch(
        "SELECT s.message_id, s.seq, s.channel, s.carrier_id, s.outcome FROM segments s"
        " JOIN unnest($1::text[], $2::text[]) AS u(channel, carrier_id)"
        " ON s.channel = u.channel AND s.carrier_id = u.carrier_id",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found.sort(key=lambda r: (r["outcome"] is None, r["message_id"]))
    return {(r["channel"], r["carrier_id"]): r for r in found}


async def _decided(con: Connection, message_ids: list[int]) -> list[Finish]:
    """The final states the segments decide, read after the messages were locked."""
    if not message_ids:
        return []
    found = await con.fetch(
        "SELECT * FROM segments WHERE message_id = ANY($1::bigint[]) ORDER BY message_id, seq",
        message_ids,
    )
    by_message: dict[int, list[Any]] = {}
    for row in found:
        by_message.setdefault(row["message_id"], []).append(row)
    ends = (rows.receipt_finish(mid, segs) for mid, segs in by_message.items())
    return [e for e in ends if e is not None]


async def purge_pending_receipts(con: Connection, before: datetime) -> int:
    status = await con.execute("DELETE FROM pending_receipts WHERE received_at < $1", before)
    return int(status.split()[-1])
