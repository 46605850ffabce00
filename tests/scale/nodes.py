"""Processes of a multi-node deployment on one machine: ``hongyan serve --role …`` and
``hongyan simulator`` as real subprocesses, each with its own log file."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tests.pipeline.harness import eventually


@dataclass
class Node:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None  # HTTP port of API nodes

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)  # reaped: its pid is gone, as on another machine


@dataclass
class Cluster:
    """Starts nodes from one config file; stops every one still running at the end."""

    config: Path
    folder: Path
    nodes: list[Node] = field(default_factory=list)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Node:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "hongyan", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
                env={**os.environ, "HONGYAN_LOGGING_FORMAT": "json", **(env or {})},
            )
        node = Node(name, process, log)
        self.nodes.append(node)
        return node

    def serve(self, name: str, role: str, http_port: int | None = None) -> Node:
        env = {"HONGYAN_HTTP_PORT": str(http_port)} if http_port else {}
        node = self.start(name, "serve", "--config", str(self.config), "--role", role, env=env)
        node.port = http_port
        return node

    async def answering(self, node: Node) -> None:
        async with httpx.AsyncClient() as client:

            async def health() -> bool:
                assert node.alive, node.output()
                try:
                    return (await client.get(f"http://127.0.0.1:{node.port}/health")).is_success
                except httpx.TransportError:
                    return False

            await eventually(health, timeout=30, every=0.05)

    async def stop(self) -> None:
        for node in self.nodes:
            if node.alive:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.alive:
                try:
                    await asyncio.to_thread(node.process.wait, 20)
                except subprocess.TimeoutExpired:
                    node.process.kill()


@dataclass
class Simulator:
    """``hongyan simulator`` in its own process, read and steered through its HTTP control."""

    node: Node
    smpp_port: int = 0
    control_port: int = 0

    async def ready(self) -> None:
        pattern = re.compile(r"listening on [\d.]+:(\d+), control http://[\d.]+:(\d+)")

        def printed() -> bool:
            assert self.node.alive, self.node.output()
            found = pattern.search(self.node.output())
            if found:
                self.smpp_port, self.control_port = int(found[1]), int(found[2])
            return found is not None

        await eventually(printed, timeout=20, every=0.05)

    async def control(self, path: str, **params: Any) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{self.control_port}{path}"
            answer = await client.get(url, params=params)
            data: dict[str, Any] = json.loads(answer.text)
            return data

    async def stats(self) -> dict[str, Any]:
        return await self.control("/stats")
