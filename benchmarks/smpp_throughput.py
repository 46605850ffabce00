"""SMPP throughput: the ESME connector against the simulator in another process, on loopback.

    python benchmarks/smpp_throughput.py [--messages 50000] [--window 64] [--receipts]

Prints submit_sm per second and CPU seconds per 1,000 PDUs for each process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time

from hongyan.services.connectors.smpp_client import SmppConnector
from hongyan.services.connectors.smpp_types import DeliverEvent, OutboundMessage


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(args: argparse.Namespace) -> None:
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hongyan.cli.simulator",
            "--port",
            "0",
            "--no-control",
            "--dlr-delay",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdout is not None
    port = int(re.search(r":(\d+)", sim.stdout.readline()).group(1))  # type: ignore[union-attr]
    receipts = 0

    async def on_deliver(event: DeliverEvent) -> None:
        nonlocal receipts
        receipts += 1

    esme = SmppConnector(
        name="bench",
        host="127.0.0.1",
        port=port,
        system_id="bench",
        password="x",
        on_deliver=on_deliver,
        window=args.window,
    )
    await esme.start()
    message = OutboundMessage(
        "hongyan", "447700900123", "benchmark message", registered_delivery=args.receipts
    )
    remaining = args.messages

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            result = await esme.submit(message)
            assert result.ok, result

    sim_cpu0, own_cpu0, t0 = cpu_seconds(sim.pid), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - t0
    sim_cpu, own_cpu = cpu_seconds(sim.pid) - sim_cpu0, time.process_time() - own_cpu0
    await esme.stop()
    sim.terminate()
    sim.wait()
    n = args.messages
    print(f"messages={n} window={args.window} receipts={args.receipts} seconds={elapsed:.2f}")
    print(f"submit_sm/s={n / elapsed:,.0f}")
    print(f"client CPU ms per 1000 submit_sm={own_cpu / n * 1e6:.0f}")
    print(f"simulator CPU ms per 1000 submit_sm={sim_cpu / n * 1e6:.0f}")
    if args.receipts:
        print(f"receipts handled={receipts}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=500, help="submit() calls in flight")
    parser.add_argument("--receipts", action="store_true", help="registered_delivery on")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
