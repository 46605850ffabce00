"""The HTTP client the notifier posts pushes with: httpx's interface, a lean keep-alive path.

Why: profiling the notifier under load (py-spy, 1 recipient per request at ~3k/s) put a third
of the process's samples in httpx/httpcore for one small POST each — pool bookkeeping that
polls every pooled socket (``has_expired``, ``getpeername``), anyio stream wrappers, response
streaming objects. A push is one small POST whose answer only matters by status code.

``PushClient`` is an ``httpx.AsyncClient`` whose ``post(url, content=..., headers=...)`` to a
plain ``http://`` or ``https://`` URL goes over its own pool of kept-alive HTTP/1.1 connections
(one request at a time per connection, reused until the server closes it). Anything else — other
methods and arguments, URLs it does not handle, proxies from the environment, a transport of
the caller's own — is httpx's own path, unchanged. Failures raise httpx's exceptions
(``ConnectError``, ``ReadError``, ``RemoteProtocolError``, ``TimeoutException``), so callers
handle both paths alike; a connection whose request failed half-way or ran out of time is
closed, never reused.

``start_post`` is the notifier's entry: it returns a future of the ``Answer`` (status, headers,
body) and drives the exchange from the connection's own callbacks — no task, no timeout scope,
no ``httpx.Response`` per push (together about 40% of the notifier process's CPU per push in the
backlog benchmark). One watchdog timer per client cuts every exchange off at its deadline
(``timeout`` after it got a connection slot, connecting included); a caller that stops waiting
leaves the exchange to finish, and its connection to go back to the pool. The bytes are
``push_http``'s (pure), the connections ``push_pool``'s.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

import httpx

from hongyan.services.connectors import push_http
from hongyan.services.connectors.push_http import Answer, Target
from hongyan.services.connectors.push_pool import PushExchange, PushPool

__all__ = ["Answer", "PushClient"]

MAX_TARGETS = 4096  # parsed URLs remembered (a partner has one or two)
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def _proxies_configured(environ: Mapping[str, str]) -> bool:
    return any(environ.get(name) or environ.get(name.upper()) for name in _PROXY_VARIABLES)


class PushClient(httpx.AsyncClient):
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_connections: int = 64,
        environ: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
            follow_redirects=False,
            **options,
        )
        own_transport = "transport" in options or "mounts" in options
        proxies = _proxies_configured(os.environ if environ is None else environ)
        self._push_timeout = timeout
        self._push_lean = not own_transport and not proxies
        self._push_targets: dict[str, Target | None] = {}
        self._push_pool = PushPool(max_connections)

    @property
    def lean_posts(self) -> int:
        """Posts answered on the lean path (tests, observability)."""
        return self._push_pool.answered

    def start_post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        timeout: float | None = None,
    ) -> asyncio.Future[Answer]:
        """POST ``body`` to ``url``: a future of the answer, or of httpx's exception; cut off
        ``timeout`` seconds (default: the client's) after it got a connection slot."""
        limit = self._push_timeout if timeout is None else timeout
        target = self._lean_target(url)
        if target is None:
            return asyncio.ensure_future(self._post_by_httpx(url, body, headers, limit))
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        try:
            request = push_http.request_bytes(target, body, headers)
        except httpx.LocalProtocolError as exc:
            future.set_exception(exc)
            return future
        self._push_pool.submit(PushExchange(self._push_pool, target.origin, request, future, limit))
        return future

    async def post(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        content = kwargs.get("content", b"")
        lean = set(kwargs) <= {"content", "headers"} and isinstance(content, bytes)
        if lean and self._lean_target(str(url)) is not None:
            headers: Mapping[str, str] = kwargs.get("headers") or {}
            answer = await self.start_post(str(url), content, headers)
            return httpx.Response(answer.status, headers=answer.headers, content=answer.body)
        return await super().post(url, **kwargs)

    async def aclose(self) -> None:
        self._push_pool.close()
        await super().aclose()

    def _lean_target(self, url: str) -> Target | None:
        if not self._push_lean:
            return None
        try:
            return self._push_targets[url]
        except KeyError:
            if len(self._push_targets) >= MAX_TARGETS:
                self._push_targets.clear()
            target = self._push_targets[url] = push_http.target(url)
            return target

    async def _post_by_httpx(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> Answer:
        try:
            async with asyncio.timeout(timeout):
                response = await super().post(url, content=body, headers=dict(headers))
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {timeout:g} s") from None
        return Answer(response.status_code, response.headers.raw, response.content)
