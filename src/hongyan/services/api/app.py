"""The ASGI application: every dialect's routes on one Starlette app, behind ``Front``."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from hongyan.services.api import hi8d_routes, qxt_routes, rest
from hongyan.services.api.context import ApiContext
from hongyan.services.api.front import Front
from hongyan.services.metrics_http import RequestMetrics


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(context: ApiContext, extra_routes: list[BaseRoute] | None = None) -> Front:
    """Every route, requests counted in the metrics; legacy sends take the ``Front`` path."""
    routes: list[BaseRoute] = [
        Route(hi8d_routes.PATH, hi8d_routes.gateway, methods=["GET", "POST"]),
        Route("/health", health, methods=["GET"]),
        Mount(rest.PREFIX, app=rest.application(context)),
    ]
    routes += qxt_routes.routes()
    app = Starlette(routes=routes + (extra_routes or []))
    app.state.context = context
    app.add_middleware(RequestMetrics)
    return Front(app, context)
