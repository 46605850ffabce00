"""The simulators' control endpoint: a tiny HTTP/1.1 server on its own port (see
docs/reference/simulator.md). Query string or form body, JSON answers, one request per
connection. The SMSC (SMPP) and ISMG (CMPP) simulators answer the same paths; codes and
names follow each protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hongyan.protocols.cmpp.constants import Result
from hongyan.protocols.smpp.constants import CommandStatus
from hongyan.simulator.carrier import CarrierSimulator
from hongyan.simulator.cmpp import CmppSimulator
from hongyan.simulator.smsc import SmscSimulator

Simulator = SmscSimulator | CmppSimulator
Params = dict[str, str]


def _mo(sim: Simulator, q: Params) -> dict[str, Any]:
    peer = q.get("system_id", q.get("sp"))
    count = sim.inject_mo(q["from"], q["to"], q.get("text", ""), peer)
    return {"deliver_sm" if isinstance(sim, SmscSimulator) else "deliver": count}


def _throttle(sim: Simulator, q: Params) -> dict[str, Any]:
    sim.refuse_submits(int(q.get("count", "0")), float(q.get("fraction", "0")))
    return {"throttle": {"count": int(q.get("count", "0")), "fraction": q.get("fraction", "0")}}


def _fail(sim: Simulator, q: Params) -> dict[str, Any]:
    if "prefix" not in q:
        sim.clear_failures()
        return {"fail": None}
    if isinstance(sim, SmscSimulator):
        status = CommandStatus[q.get("status", "ESME_RINVDSTADR")]
        sim.fail_destinations(q["prefix"], status)
        return {"fail": {"prefix": q["prefix"], "status": status.name}}
    result = Result[q.get("result", "OTHER_ERROR")]
    sim.fail_destinations(q["prefix"], result)
    return {"fail": {"prefix": q["prefix"], "result": result.name}}


def _receipts(sim: Simulator, q: Params) -> dict[str, Any]:
    paused = q.get("paused", "0") in ("1", "true", "yes")
    sim.pause_receipts(paused)
    return {"receipts_paused": paused}


def _stats(sim: Simulator, q: Params) -> dict[str, Any]:
    return sim.stats.as_dict() | {"held": sim.held, f"{sim.PROTOCOL}_port": sim.port}


ROUTES: dict[str, Callable[[Simulator, Params], dict[str, Any]]] = {
    "/mo": _mo,
    "/stats": _stats,
    "/throttle": _throttle,
    "/fail": _fail,
    "/drop": lambda sim, q: {"dropped": sim.drop_connections()},
    "/receipts": _receipts,
}


async def start_control(
    simulator: CarrierSimulator[Any, Any], host: str, port: int
) -> asyncio.Server:
    if not isinstance(simulator, SmscSimulator | CmppSimulator):
        raise TypeError(f"no control endpoint for {type(simulator).__name__}")
    sim: Simulator = simulator

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await _answer(sim, reader)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            status, body = 400, {"error": "bad request"}
        payload = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, port)


async def _answer(sim: Simulator, reader: asyncio.StreamReader) -> tuple[int, Any]:
    request_line = (await reader.readline()).decode("latin-1").split()
    if len(request_line) < 2:
        raise ValueError("no request line")
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    url = urlsplit(request_line[1])
    params = dict(parse_qsl(url.query))
    if length:
        params |= dict(parse_qsl((await reader.readexactly(length)).decode()))
    route = ROUTES.get(url.path)
    if route is None:
        return 404, {"error": f"no route {url.path}", "routes": sorted(ROUTES)}
    try:
        return 200, route(sim, params)
    except (KeyError, ValueError) as exc:
        return 400, {"error": f"bad parameter: {exc}"}
