"""What the carriers answered, on SQLite: submit results and delivery receipts.

Each verb has two halves: a plan built in the caller's thread with everything that needs no
database (times as text, carrier ids normalised, their readings, JSON parameters), and a
function the writer runs inside the transaction with a handful of set-based statements. The
transaction holds the write lock every process shares; see ``sqlite_queue`` for why the
time inside it matters.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hongyan.core.messages import (
    MessageState,
    SubmitFinal,
    SubmitRetry,
    SubmitSuccess,
    can_transition,
)
from hongyan.core.receipts import ReceiptRecord, carrier_id_candidates, normalize_carrier_id
from hongyan.store import rows
from hongyan.store.base import ReceiptResult
from hongyan.store.rows import Finish, iso
from hongyan.store.sqlite_queue import (
    IDS,
    as_json,
    by_values,
    finish,
    ids_param,
    one_json,
    states,
)

S = MessageState


@dataclass(frozen=True)
class SubmitPlan:
    now: datetime
    successes: list[tuple[int, str]]  # (message id, channel)
    segments: list[tuple[int, int, str, str]]  # (message id, seq, channel, carrier id)
    retries: list[tuple[int, str, str]]  # (message id, retry at, error)
    finals: list[Finish]
    # the successes and their segments flat, as the statements bind them
    successes_params: list[object]
    segments_params: list[object]


def plan_submits(
    now: datetime,
    successes: Sequence[SubmitSuccess],
    retries: Sequence[SubmitRetry],
    finals: Sequence[SubmitFinal],
) -> SubmitPlan:
    sent = [(s.message_id, s.channel) for s in successes]
    segments = [
        (s.message_id, seq, s.channel, normalize_carrier_id(cid))
        for s in successes
        for seq, cid in enumerate(s.carrier_ids)
    ]
    stat = rows.OWN_STATS
    return SubmitPlan(
        now=now,
        successes=sent,
        segments=segments,
        retries=[(r.message_id, iso(r.retry_at), r.error) for r in retries],
        finals=[
            Finish(
                f.message_id, f.state, stat.get(f.state, f.state.value.upper()), f.error_code, now
            )
            for f in finals
        ],
        successes_params=_flat(sent),
        segments_params=_segment_params(segments, iso(now)),
    )


def _flat(tuples: Sequence[tuple[object, ...]]) -> list[object]:
    return [v for t in tuples for v in t]


def _segment_params(segments: Sequence[tuple[int, int, str, str]], stamp: str) -> list[object]:
    """Segments as the insert binds them: each with its submit time."""
    return [v for g in segments for v in (*g, stamp)]


def record_submits(conn: sqlite3.Connection, plan: SubmitPlan) -> list[int]:
    asked = [s[0] for s in plan.successes] + [r[0] for r in plan.retries]
    current = states(conn, asked) if asked else {}

    def allowed(message_id: int, target: MessageState) -> bool:
        return message_id in current and can_transition(current[message_id], target)

    ok = {s[0] for s in plan.successes if allowed(s[0], S.SUBMITTED)}
    again = [r for r in plan.retries if allowed(r[0], S.QUEUED)]
    segments, sent, parts = plan.segments, plan.successes_params, plan.segments_params
    if ok:
        if len(ok) < len(plan.successes):  # rare: the plan's parameters are for everyone
            segments = [g for g in segments if g[0] in ok]
            sent = _flat([s for s in plan.successes if s[0] in ok])
            parts = _segment_params(segments, iso(plan.now))
        by_values(
            conn,
            "UPDATE messages SET state = 'submitted', channel = v.column2, claim_until = NULL,"
            " claim_owner = NULL FROM (VALUES {values}) AS v WHERE messages.id = v.column1",
            2,
            sent,
        )
        by_values(
            conn,
            "INSERT INTO segments (message_id, seq, channel, carrier_id, submitted_at)"
            " SELECT * FROM (VALUES {values}) WHERE column1 IS NOT NULL",
            5,
            parts,
        )
    if again:
        by_values(
            conn,
            "UPDATE messages SET state = 'queued', due_at = v.column2, attempts = attempts + 1,"
            " last_error = v.column3, claim_until = NULL, claim_owner = NULL"
            " FROM (VALUES {values}) AS v WHERE messages.id = v.column1",
            3,
            _flat(again),
        )
    finished = set(finish(conn, plan.finals, plan.now))
    if ok:
        _apply_pending(conn, [(channel, cid) for _, _, channel, cid in segments], plan.now)
    refused = set(asked) - ok - {r[0] for r in again}
    refused |= {f.message_id for f in plan.finals} - finished
    return sorted(refused)


@dataclass(frozen=True)
class ReceiptPlan:
    now: datetime
    # (channel, readings of the carrier id, outcome, stat, error code, done at)
    receipts: list[tuple[str, tuple[str, ...], str | None, str, str, str]]
    keys: str  # every (channel, reading) as JSON


def plan_receipts(receipts: Sequence[ReceiptRecord], now: datetime) -> ReceiptPlan:
    planned = []
    for r in receipts:
        outcome = r.outcome
        planned.append(
            (
                *(r.channel, carrier_id_candidates(r.carrier_id)),
                *(outcome.value if outcome else None, r.stat, r.error_code, iso(r.done_at)),
            )
        )
    keys = {(p[0], reading) for p in planned for reading in p[1]}
    return ReceiptPlan(now, planned, as_json(sorted(keys)))


# A known segment: [message id, seq, channel, carrier id, outcome, stat, error code, done at,
# the message's segment rows, its state, account id, price]
_KNOWN = (
    "SELECT json_group_array(json_array(s.message_id, s.seq, s.channel, s.carrier_id,"
    " s.outcome, s.stat, s.error_code, s.done_at,"
    " (SELECT count(*) FROM segments x WHERE x.message_id = s.message_id),"
    " m.state, m.account_id, m.price)) FROM segments s"
    " JOIN json_each(?) j ON s.channel = j.value ->> 0 AND s.carrier_id = j.value ->> 1"
    " JOIN messages m ON m.id = s.message_id"
)


def _known_segments(conn: sqlite3.Connection, keys: str) -> dict[tuple[str, str], list[Any]]:
    """(channel, carrier id) → known segment (``_KNOWN``); an undecided segment of the newest
    message wins."""
    found = one_json(conn, _KNOWN, (keys,))
    found.sort(key=lambda r: (r[4] is None, r[0]))
    return {(r[2], r[3]): r for r in found}


def record_receipts(conn: sqlite3.Connection, plan: ReceiptPlan) -> ReceiptResult:
    known = _known_segments(conn, plan.keys)
    updates: dict[tuple[int, int], tuple[Any, ...]] = {}
    segments: dict[int, list[Any]] = {}  # message id → its known segment
    pending = []
    matched = 0
    stamp = iso(plan.now)
    for channel, readings, outcome, stat, error_code, done_at in plan.receipts:
        segment = next((known[k] for c in readings if (k := (channel, c)) in known), None)
        if segment is None:
            pending.append((channel, readings[0], stat, error_code, done_at, stamp))
            continue
        matched += 1  # a second receipt for one segment counts, but changes nothing
        key = (segment[0], segment[1])
        updates.setdefault(key, (*key, outcome, stat, error_code, done_at))
        segments[segment[0]] = segment
    by_values(
        conn,
        "UPDATE segments SET outcome = v.column3, stat = v.column4, error_code = v.column5,"
        " done_at = v.column6 FROM (VALUES {values}) AS v"
        " WHERE segments.message_id = v.column1 AND segments.seq = v.column2"
        " AND segments.outcome IS NULL",
        6,
        _flat(list(updates.values())),
    )
    by_values(
        conn,
        "INSERT INTO pending_receipts (channel, carrier_id, stat, error_code, done_at,"
        " received_at) SELECT * FROM (VALUES {values}) WHERE column1 IS NOT NULL",
        6,
        _flat(pending),
    )
    finished = finish(conn, _decide(conn, segments, updates), plan.now, _states_of(segments))
    return ReceiptResult(matched=matched, pending=len(pending), finished=tuple(finished))


def _decide(
    conn: sqlite3.Connection,
    segments: dict[int, list[Any]],
    updates: dict[tuple[int, int], tuple[Any, ...]],
) -> list[Finish]:
    """The final states the receipts decide. A message of one segment row is decided from what
    the known-segment query and the update gave, without reading its segments again."""
    ends: list[Finish] = []
    several: set[int] = set()
    for mid, known in segments.items():
        if known[8] != 1:
            several.add(mid)
            continue
        stored = known[4] is not None  # decided before: the update left it as it was
        values = known[4:8] if stored else updates[(mid, known[1])][2:]
        end = rows.receipt_finish(mid, [dict(zip(_SEGMENT[2:], values, strict=True))])
        if end is not None:
            ends.append(end)
    if several:
        ends += _decided(conn, several)
    return sorted(ends, key=lambda e: e.message_id)


def _states_of(segments: dict[int, list[Any]]) -> dict[int, tuple[MessageState, int, int]]:
    return {mid: (MessageState(k[9]), k[10], k[11]) for mid, k in segments.items()}


_SEGMENT = ("message_id", "seq", "outcome", "stat", "error_code", "done_at")


def _decided(conn: sqlite3.Connection, message_ids: set[int]) -> list[Finish]:
    found = one_json(
        conn,
        "SELECT json_group_array(json_array(message_id, seq, outcome, stat, error_code,"
        f" done_at)) FROM segments WHERE message_id IN {IDS}",
        (ids_param(sorted(message_ids)),),
    )
    found.sort(key=lambda r: (r[0], r[1]))
    by_message: dict[int, list[dict[str, Any]]] = {}
    for row in found:
        by_message.setdefault(row[0], []).append(dict(zip(_SEGMENT, row, strict=True)))
    ends = (rows.receipt_finish(mid, segs) for mid, segs in by_message.items())
    return [e for e in ends if e is not None]


def _apply_pending(conn: sqlite3.Connection, keys: list[tuple[str, str]], now: datetime) -> None:
    """Receipts that came before their submit_sm_resp: apply them now the id is known."""
    if not keys or conn.execute("SELECT 1 FROM pending_receipts LIMIT 1").fetchone() is None:
        return  # the usual case: no receipt is waiting, so no readings of the ids to compute
    wanted = {(ch, c) for ch, cid in keys for c in carrier_id_candidates(cid)}
    found = conn.execute(
        "DELETE FROM pending_receipts WHERE id IN (SELECT p.id FROM pending_receipts p"
        " JOIN json_each(?) j ON p.channel = j.value ->> 0 AND p.carrier_id = j.value ->> 1)"
        " RETURNING *",
        (json.dumps(sorted(wanted)),),
    ).fetchall()
    found.sort(key=lambda r: r["id"])
    receipts = [
        ReceiptRecord(
            r["channel"], r["carrier_id"], r["stat"], r["error_code"], rows.utc(r["done_at"])
        )
        for r in found
    ]
    if receipts:
        record_receipts(conn, plan_receipts(receipts, now))


def purge_pending_receipts(conn: sqlite3.Connection, before: datetime) -> int:
    return conn.execute(
        "DELETE FROM pending_receipts WHERE received_at < ?", (iso(before),)
    ).rowcount
