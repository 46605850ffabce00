"""A small Python client for hongyan's REST API v1 (``/api/v1``), sync and async, over httpx.

    from hongyan.client import Client

    with Client("http://127.0.0.1:8080", "hy_…") as sms:
        sent = sms.send(["+8613800138000"], "验证码 123456", idempotency_key="order-42")
        print(sms.message(sent.ids[0]).state)

Every failed call raises ``ApiError`` carrying the server's problem details. The package
imports nothing else of hongyan, so it can be vendored into a partner's code on its own.
"""

from __future__ import annotations

from hongyan.client.aio import AsyncClient
from hongyan.client.errors import ApiError, FieldError
from hongyan.client.models import (
    Balance,
    Inbound,
    Message,
    MessageDetail,
    Page,
    Push,
    Receipt,
    RecipientResult,
    Refusal,
    SendResult,
    TestPushResult,
    Webhooks,
)
from hongyan.client.sync import Client

__all__ = [
    "ApiError",
    "AsyncClient",
    "Balance",
    "Client",
    "FieldError",
    "Inbound",
    "Message",
    "MessageDetail",
    "Page",
    "Push",
    "Receipt",
    "RecipientResult",
    "Refusal",
    "SendResult",
    "TestPushResult",
    "Webhooks",
]
