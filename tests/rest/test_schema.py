"""The OpenAPI document against the live ASGI app (schemathesis): no 5xx for anything it
generates, valid or not, and every answer matches the document (status, media type, body
schema, headers). The app runs over a real SQLite store with a funded account and its key."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hongyan.core.inbound import NewInbound
from hongyan.services.api.app import create_app
from hongyan.services.api.auth import Authenticator
from hongyan.services.api.rest.openapi import document
from hongyan.store.base import NewAccount, Store
from hongyan.store.sqlite import SqliteStore

from .conftest import Clock, add_key, build_context

CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


async def _fill(store: Store) -> str:
    await store.open()
    await store.upgrade()
    account = await store.create_account(
        NewAccount(name="schema", password_hash="x", balance=10**9, service_code="1069")
    )
    now = datetime.now(UTC)
    await store.record_inbound([NewInbound("smsc", "8613900000001", "106977", "hi", now)], now)
    return await add_key(store, account)


@pytest.fixture(scope="module")
def api_key_and_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    store = SqliteStore(str(Path(tmp_path_factory.mktemp("schema")) / "schema.db"))
    key = asyncio.run(_fill(store))
    clock = Clock()
    context = build_context(store, clock)
    # schemathesis also calls without the key; do not let that throttle the client address
    context.authenticator = Authenticator(
        store=store, server_key=b"k", monotonic=clock.monotonic, max_failures=10**9
    )
    try:
        yield key, create_app(context)
    finally:
        asyncio.run(store.close())


@pytest.fixture(scope="module")
def rest_schema(api_key_and_app: tuple[str, Any]) -> Any:
    _, app = api_key_and_app
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    # The test push POSTs to whatever URL is generated: covered by tests/rest/test_webhooks.py.
    return schema.exclude(operation_id="testWebhook")


schema = schemathesis.pytest.from_fixture("rest_schema")


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_app_keeps_its_document(case: Any, api_key_and_app: tuple[str, Any]) -> None:
    key, _ = api_key_and_app
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)


def test_the_document_is_openapi_3_1_and_names_every_route() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    operations = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert operations == {
        ("POST", "/api/v1/messages"),
        ("GET", "/api/v1/messages"),
        ("GET", "/api/v1/messages/{id}"),
        ("POST", "/api/v1/messages/{id}/cancel"),
        ("GET", "/api/v1/inbound"),
        ("GET", "/api/v1/balance"),
        ("GET", "/api/v1/webhooks"),
        ("PUT", "/api/v1/webhooks"),
        ("POST", "/api/v1/webhooks/test"),
    }
