"""``/api/v1/openapi.json`` and the human docs page ``/api/v1/docs`` with its local assets."""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from hongyan.services.api.rest.openapi import document
from hongyan.services.api.rest.problems import Problem, dumps, endpoint

ASSETS = {
    "docs.js": "text/javascript; charset=utf-8",
    "docs.css": "text/css; charset=utf-8",
}
# Everything the page needs comes from this server: a CDN could not load even if one were named.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self' data:"
)


@cache
def _asset(name: str) -> bytes:
    return resources.files("hongyan.services.api.rest").joinpath("assets", name).read_bytes()


@cache
def _spec() -> bytes:
    return dumps(document())


@endpoint
async def openapi_json(request: Request) -> Response:
    return Response(_spec(), media_type="application/json")


@endpoint
async def page(request: Request) -> Response:
    return Response(
        _asset("docs.html"),
        media_type="text/html; charset=utf-8",
        headers={"content-security-policy": CSP},
    )


@endpoint
async def asset(request: Request) -> Response:
    name = request.path_params.get("name", "")
    if name not in ASSETS:
        raise Problem("not-found", f"no asset {name!r}")
    return Response(
        _asset(name), media_type=ASSETS[name], headers={"cache-control": "public, max-age=3600"}
    )
