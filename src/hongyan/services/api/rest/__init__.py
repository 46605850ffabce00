"""The modern JSON API, ``/api/v1``: API keys, idempotent sends, RFC 9457 problems, OpenAPI 3.1.

``application(context)`` is a Starlette app of its own (mounted at ``/api/v1`` by
``services/api/app.py``) so that its 404s and 405s are problems too, while the legacy dialects
keep their own answers.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from hongyan.services.api.context import ApiContext
from hongyan.services.api.rest import account, docs, messages
from hongyan.services.api.rest.idempotency import Idempotency
from hongyan.services.api.rest.problems import http_exception

PREFIX = "/api/v1"


def application(context: ApiContext) -> Starlette:
    routes = [
        Route("/messages", messages.send, methods=["POST"]),
        Route("/messages", messages.list_messages, methods=["GET"]),
        Route("/messages/{id}", messages.get_message, methods=["GET"]),
        Route("/messages/{id}/cancel", messages.cancel, methods=["POST"]),
        Route("/inbound", account.list_inbound, methods=["GET"]),
        Route("/balance", account.balance, methods=["GET"]),
        Route("/webhooks", account.get_webhooks, methods=["GET"]),
        Route("/webhooks", account.put_webhooks, methods=["PUT"]),
        Route("/webhooks/test", account.test_webhook, methods=["POST"]),
        Route("/openapi.json", docs.openapi_json, methods=["GET"]),
        Route("/docs", docs.page, methods=["GET"]),
        Route("/docs/assets/{name}", docs.asset, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_exception})
    app.state.context = context
    app.state.idempotency = Idempotency()
    return app
