"""`hongyan simulator` registered on our own parser, run inside the test's loop."""

from __future__ import annotations

import argparse
import asyncio
import json

from hongyan.cli.simulator import build, register, serve


async def test_simulator_command_parses_and_serves_control_http() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "simulator",
            "--port",
            "0",
            "--control-port",
            "0",
            "--dlr-delay",
            "0.5",
            "--credential",
            "esme:pw",
            "--undeliverable",
            "1",
        ]
    )
    assert callable(args.func)
    sim = build(args)
    assert sim.credentials == {"esme": "pw"} and sim.dlr_delay == 0.5
    ready = asyncio.Event()
    task = asyncio.create_task(serve(sim, ready))
    await ready.wait()
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.control_port)
    writer.write(b"POST /throttle HTTP/1.1\r\nContent-Length: 7\r\n\r\ncount=3")
    head, _, body = (await reader.read()).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and json.loads(body)["throttle"]["count"] == 3
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.control_port)
    writer.write(b"GET /stats HTTP/1.1\r\n\r\n")
    stats = json.loads((await reader.read()).partition(b"\r\n\r\n")[2])
    assert stats["smpp_port"] == sim.port and stats["binds_active"] == 0
    task.cancel()


def test_simulator_stands_in_for_the_configured_carriers(tmp_path: object) -> None:
    from pathlib import Path

    config = Path(str(tmp_path)) / "hongyan.toml"
    config.write_text(
        '[[channels]]\nname = "mobile"\nport = 12775\nsystem_id = "hy01"\npassword = "m-pw"\n'
        '[[channels]]\nname = "unicom"\nport = 12776\nsystem_id = "hy02"\npassword = "u-pw"\n'
        '[[routes]]\nchannels = ["mobile", "unicom"]\n',
        encoding="utf-8",
    )
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    sim = build(parser.parse_args(["simulator", "--config", str(config)]))
    assert sim.credentials == {"hy01": "m-pw", "hy02": "u-pw"} and sim.port == 12775
    sim = build(
        parser.parse_args(
            ["simulator", "--config", str(config), "--port", "0", "--credential", "a:b"]
        )
    )
    assert sim.credentials == {"a": "b"} and sim.port == 0


def test_simulator_with_a_bad_config_says_so(tmp_path: object, capsys: object) -> None:
    from pathlib import Path

    from hongyan.cli import main

    config = Path(str(tmp_path)) / "bad.toml"
    config.write_text("[nonsense]\nx = 1\n", encoding="utf-8")
    assert main(["simulator", "--config", str(config)]) == 1
    assert "nonsense" in capsys.readouterr().err  # type: ignore[attr-defined]
