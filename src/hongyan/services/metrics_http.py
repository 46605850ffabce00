"""``/metrics`` over HTTP: the request-counting middleware, the endpoint, and a listener of its
own for processes without the API role.

Requests are labelled by dialect and by the route's path template (``/api/v1/messages/{id}``,
never the raw path: labels stay few). ``/metrics`` answers only clients in ``[metrics] allow``
(loopback and private networks by default; the address is the one the API believes, after
trusted proxies), and 404 to anyone else, so a public API port does not publish it.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hongyan.config import MetricsSettings
from hongyan.protocols.legacy import qxt
from hongyan.services.api.http import client_address
from hongyan.services.metrics import REQUEST_SECONDS, REQUESTS, QueueFigures

_DIALECTS = (
    ("/servlet/", "hi8d"),
    ("/send/", "qxt"),
    ("/api/", "rest"),
    ("/admin", "console"),
    ("/portal", "portal"),
)


def route_labels(scope: Scope, status: int) -> tuple[str, str]:
    """(dialect, endpoint) of a finished request: the matched route's template, or "other"."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None or status == 404:
        return "other", "other"
    endpoint = str(scope.get("root_path", "")) + template
    if endpoint == "/send/{name}":  # 企信通: one route; an endpoint by its canonical path
        found = qxt.endpoint_for("/send/" + str(scope.get("path_params", {}).get("name", "")))
        if found is None:
            return "other", "other"
        endpoint = found.path
    dialect = next((d for prefix, d in _DIALECTS if endpoint.startswith(prefix)), "other")
    return dialect, endpoint


class RequestMetrics:
    """ASGI middleware counting every HTTP request by dialect, endpoint and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            dialect, endpoint = route_labels(scope, status)
            REQUESTS.labels(dialect, endpoint, str(status)).inc()
            REQUEST_SECONDS.labels(dialect).observe(time.perf_counter() - started)


class _Figures(Collector):
    def __init__(self, figures: QueueFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Metric]:
        return self._figures.collect()


def exposition(figures: QueueFigures | None) -> bytes:
    """Every metric of this process (or of all processes in multiprocess mode) as text."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if figures is not None:
        extra = CollectorRegistry(auto_describe=False)
        extra.register(_Figures(figures))
        text += generate_latest(extra)
    return text


def metrics_endpoint(
    settings: MetricsSettings,
    figures: QueueFigures | None,
    trusted_proxies: tuple[str, ...] = (),
) -> Route:
    networks = [ipaddress.ip_network(n, strict=False) for n in settings.allow]

    async def metrics(request: Request) -> Response:
        address = client_address(request, trusted_proxies)
        if not _allowed(address, networks):
            return PlainTextResponse("Not Found", status_code=404)
        if figures is not None:
            await figures.refresh()
        return Response(exposition(figures), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])


def _allowed(address: str | None, networks: list[Any]) -> bool:
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def metrics_app(settings: MetricsSettings, figures: QueueFigures | None) -> Starlette:
    """The listener of a process without the API role: ``/metrics`` and ``/health``."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[metrics_endpoint(settings, figures), Route("/health", health, methods=["GET"])]
    )
