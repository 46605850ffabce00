"""The demo's simulated partner: receives pushes, injects handset replies, narrates progress."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import IO, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from hongyan.config import ChannelSettings
from hongyan.core.accounts import Account
from hongyan.core.messages import MessageState, SubmitSuccess
from hongyan.simulator import OutcomeMix, SmscSimulator
from hongyan.store.base import Store

_COLORS = {"accepted": "36", "submitted": "34", "delivered": "32", "pushed": "35", "failed": "31"}


class Progress:
    """One line per accepted / submitted / finished / pushed message (an ``Observer``)."""

    def __init__(self, out: IO[str], color: bool) -> None:
        self._out = out
        self._color = color
        self.store: Store | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def line(self, kind: str, text: str) -> None:
        label = f"{kind:<10}"
        if self._color:
            label = f"\033[{_COLORS.get(kind, '0')}m{label}\033[0m"
        print(f"{label}{text}", file=self._out, flush=True)

    def accepted(self, account: Account, ids: tuple[int, ...]) -> None:
        for message_id in ids:
            self.line("accepted", f"message {message_id} from account {account.name}")

    def submitted(self, success: SubmitSuccess) -> None:
        ids = ",".join(success.carrier_ids)
        self.line(
            "submitted", f"message {success.message_id} on {success.channel} (carrier id {ids})"
        )

    def finished(self, ids: tuple[int, ...]) -> None:
        task = asyncio.get_running_loop().create_task(self._finished(ids))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finished(self, ids: tuple[int, ...]) -> None:
        if self.store is None:
            return
        for message_id in ids:
            message = await self.store.get_message(message_id)
            if message is not None:
                kind = "delivered" if message.state is MessageState.DELIVERED else "failed"
                self.line(kind, f"message {message_id}: {message.state.value} ({message.stat})")


class DemoPartner:
    """HTTP routes under ``/demo``: the partner's push receivers and the handset-reply injector."""

    def __init__(self, progress: Progress | None, keep: int = 200) -> None:
        self._progress = progress
        self.pushes: deque[dict[str, Any]] = deque(maxlen=keep)
        self.simulator: SmscSimulator | None = None

    def make_simulator(self, channel: ChannelSettings) -> SmscSimulator:
        self.simulator = SmscSimulator(
            host=channel.host,
            port=channel.port,
            dlr_delay=1.0,
            outcomes=OutcomeMix(delivered=0.9, undeliverable=0.07, expired=0.03),
        )
        return self.simulator

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/demo/reports", self._receive, methods=["POST"]),
            Route("/demo/inbound", self._receive, methods=["POST"]),
            Route("/demo/pushes", self._list, methods=["GET"]),
            Route("/demo/mo", self._inject, methods=["GET", "POST"]),
        ]

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        try:
            push = json.loads(body)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        kind = "inbound" if request.url.path.endswith("inbound") else "report"
        self.pushes.append(
            {"kind": kind, "body": push, "signature": request.headers.get("x-hongyan-signature")}
        )
        if self._progress is not None:
            shown = json.dumps(push, ensure_ascii=False)
            self._progress.line("pushed", f"{kind} → partner: {shown}")
        return PlainTextResponse("ok")

    async def _list(self, request: Request) -> Response:
        return JSONResponse(list(self.pushes))

    async def _inject(self, request: Request) -> Response:
        params = request.query_params
        source = params.get("from", "13800138000")
        destination = params.get("to", "1069000")
        text = params.get("text", "好的,收到")
        if self.simulator is None:
            return PlainTextResponse("no simulator in this process", status_code=409)
        self.simulator.inject_mo(source, destination, text)
        return PlainTextResponse(f"handset {source} replied to {destination}: {text}\n")
