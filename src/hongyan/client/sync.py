"""``Client``: the REST API v1 from ordinary (blocking) Python code."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from hongyan.client import calls
from hongyan.client.models import (
    Balance,
    Inbound,
    Message,
    MessageDetail,
    Page,
    SendResult,
    TestPushResult,
    Webhooks,
)


class Client:
    """``Client("https://sms.example.com", "hy_…")``; every failure raises ``ApiError``.

    Pass ``http`` to reuse your own ``httpx.Client`` (proxies, TLS, transports in tests).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._owned = http is None
        self._http = http or httpx.Client(timeout=timeout)
        self._base = calls.base(base_url)
        self._headers = calls.headers(api_key)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self._http.close()

    def _call(self, call: calls.Call) -> tuple[Mapping[str, Any], bool]:
        kwargs = calls.request_kwargs(call)
        kwargs["headers"] = {**self._headers, **(kwargs["headers"] or {})}
        response = self._http.request(call.method, self._base + call.path, **kwargs)
        return calls.read(response)

    def send(
        self,
        to: Sequence[str] | str,
        text: str,
        *,
        sender_extension: str | None = None,
        send_at: datetime | None = None,
        client_ref: str | None = None,
        validity: timedelta | int | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        data, replayed = self._call(
            calls.send(
                to,
                text,
                sender_extension=sender_extension,
                send_at=send_at,
                client_ref=client_ref,
                validity=validity,
                idempotency_key=idempotency_key,
            )
        )
        return SendResult.from_json(data, replayed)

    def message(self, message_id: int) -> MessageDetail:
        data, _ = self._call(calls.Call("GET", f"/messages/{int(message_id)}"))
        return MessageDetail.from_json(data)

    def messages(
        self,
        *,
        state: str | None = None,
        client_ref: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Message]:
        """One page of messages, newest first (``since`` inclusive, ``until`` exclusive)."""
        call = calls.messages(
            state=state, client_ref=client_ref, since=since, until=until, limit=limit, cursor=cursor
        )
        data, _ = self._call(call)
        return Page.from_json(data, Message.from_json)

    def iter_messages(
        self,
        *,
        state: str | None = None,
        client_ref: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[Message]:
        """Every matching message, newest first, following the cursors page by page."""
        cursor: str | None = None
        while True:
            page = self.messages(
                state=state,
                client_ref=client_ref,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
            yield from page.data
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def cancel(self, message_id: int, *, idempotency_key: str | None = None) -> Message:
        data, _ = self._call(calls.cancel(message_id, idempotency_key))
        return Message.from_json(data)

    def inbound(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Inbound]:
        data, _ = self._call(calls.page("/inbound", limit, cursor))
        return Page.from_json(data, Inbound.from_json)

    def balance(self) -> Balance:
        data, _ = self._call(calls.Call("GET", "/balance"))
        return Balance(data["account"], data["balance"])

    def webhooks(self) -> Webhooks:
        data, _ = self._call(calls.Call("GET", "/webhooks"))
        return Webhooks(data["report_url"], data["inbound_url"])

    def set_webhooks(self, report_url: str | None, inbound_url: str | None) -> Webhooks:
        data, _ = self._call(calls.set_webhooks(report_url, inbound_url))
        return Webhooks(data["report_url"], data["inbound_url"])

    def test_webhook(self, kind: str, url: str | None = None) -> TestPushResult:
        data, _ = self._call(calls.test_webhook(kind, url))
        return TestPushResult(**data)
