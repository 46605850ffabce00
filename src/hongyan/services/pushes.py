"""Push bodies: an outbox row (``PushJob``) in the HI8D JSON form partners receive."""

from __future__ import annotations

from hongyan.core.messages import MessageState
from hongyan.core.pushes import PushJob, PushKind
from hongyan.core.receipts import report_stat
from hongyan.protocols.legacy import hi8d


def format_push(job: PushJob) -> tuple[bytes, str]:
    if job.kind is PushKind.INBOUND:
        body = hi8d.format_inbound_push(
            inbound_id=job.ref_id,
            source=job.source,
            destination=job.destination,
            text=job.text,
            received_at=job.done_at or job.created_at,
        )
    else:
        body = hi8d.format_report_push(
            guid=job.ref_id,
            number=job.recipient,
            stat=report_stat(MessageState(job.state), job.stat),
            error_code=job.error_code,
            done_at=job.done_at or job.created_at,
        )
    return body, hi8d.CONTENT_TYPE
