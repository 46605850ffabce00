"""The API's front door: legacy send requests straight to their handlers, the rest to Starlette.

Why (py-spy on the API process, one recipient per HI8D request): Starlette's middleware stack
and router — server-error and exception middleware, the request-metrics wrapper, the
exception-handler wrapper, a regular-expression match per route until one fits, the
``request_response`` adapter — took about a fifth of the process, as much as the send itself.
The legacy dialects are a fixed set of paths whose handlers read the ASGI scope themselves and
answer HTTP 200 in their dialect whatever happens, so they need none of it.

``GET``/``POST`` to ``/servlet/gateway.php`` or ``/send/<name>`` (a 企信通 endpoint) are answered
here, counted in the same request metrics with the labels ``route_labels`` gives (a 企信通
endpoint by its canonical path, so odd spellings add no labels); everything else (other methods
on those paths included) goes to the Starlette app unchanged. The handlers are the ones the
Starlette routes use, so both doors give the same bytes.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from hongyan.protocols.legacy import hi8d, qxt
from hongyan.services.api import hi8d_routes, qxt_routes
from hongyan.services.api.context import ApiContext
from hongyan.services.metrics import REQUEST_SECONDS, REQUESTS

_METHODS = frozenset(("GET", "POST"))
_QXT = "/send/"


class Front:
    def __init__(self, app: ASGIApp, context: ApiContext) -> None:
        self.app = app
        self._context = context
        self._hi8d_type = hi8d.CONTENT_TYPE.encode("latin-1")
        self._counters: dict[str, Any] = {}  # endpoint → its labelled 200 counter
        self._timers = {d: REQUEST_SECONDS.labels(d) for d in ("hi8d", "qxt")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _METHODS:
            path: str = scope["path"]
            if path == hi8d_routes.PATH:
                started = time.perf_counter()
                body = await hi8d_routes.answer(self._context, Request(scope, receive))
                await _respond(send, self._hi8d_type, body)
                self._count("hi8d", path, started)
                return
            if path.startswith(_QXT) and "/" not in path[len(_QXT) :]:
                found = qxt.endpoint_for(path)
                if found is not None:
                    started = time.perf_counter()
                    body = await qxt_routes.answer(self._context, found, Request(scope, receive))
                    await _respond(send, qxt.content_type(found).encode("latin-1"), body)
                    self._count("qxt", found.path, started)
                    return
        await self.app(scope, receive, send)

    def _count(self, dialect: str, endpoint: str, started: float) -> None:
        counter = self._counters.get(endpoint)
        if counter is None:
            counter = self._counters[endpoint] = REQUESTS.labels(dialect, endpoint, "200")
        counter.inc()
        self._timers[dialect].observe(time.perf_counter() - started)


async def _respond(send: Send, content_type: bytes, body: bytes) -> None:
    """HTTP 200 with the headers Starlette's ``Response`` gives these answers, in its order."""
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
