"""Row shapes of the REST API's tables (API keys, idempotency keys) and of a message's detail,
shared by the SQLite and PostgreSQL mixins."""

from __future__ import annotations

from hongyan.store.base import (
    ApiKey,
    IdempotencyRecord,
    PushDetail,
    SegmentDetail,
    StoredAnswer,
)
from hongyan.store.rows import Row, utc, utc_or_none


def api_key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        account_id=row["account_id"],
        label=row["label"],
        prefix=row["prefix"],
        created_at=utc(row["created_at"]),
        revoked_at=utc_or_none(row["revoked_at"]),
        last_used_at=utc_or_none(row["last_used_at"]),
    )


def segment_detail(row: Row) -> SegmentDetail:
    return SegmentDetail(
        seq=row["seq"],
        channel=row["channel"],
        carrier_id=row["carrier_id"],
        outcome=row["outcome"],
        stat=row["stat"],
        error_code=row["error_code"],
        done_at=utc_or_none(row["done_at"]),
    )


def push_detail(row: Row) -> PushDetail:
    pending = row["state"] == "pending"
    return PushDetail(
        id=row["id"],
        kind=row["kind"],
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=utc(row["created_at"]),
        next_attempt_at=utc(row["next_attempt_at"]) if pending else None,
        done_at=utc_or_none(row["done_at"]),
    )


def idempotency_record(row: Row) -> IdempotencyRecord:
    status = row["status"]
    answer = None if status is None else StoredAnswer(status, row["body"])
    return IdempotencyRecord(row["fingerprint"], answer, utc(row["claimed_at"]))
