"""`hongyan simulator --protocol cmpp` registered on our own parser, run inside the test's loop
and driven over TCP: a bare SP on the CMPP port, and the HTTP control port."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from hongyan.cli import main
from hongyan.cli.simulator import build, register, serve
from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.codec import decode_status_report
from hongyan.protocols.cmpp.constants import ConnectStatus, Result
from hongyan.simulator.cmpp import CmppSimulator

from .conftest import SECRET, SP_ID, RawSp


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    return parser.parse_args(["simulator", "--protocol", "cmpp", *argv])


async def control(port: int, path: str, form: str = "") -> Any:
    """One request to the control endpoint; its JSON answer (asserting 200)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if form:
        writer.write(f"POST {path} HTTP/1.1\r\nContent-Length: {len(form)}\r\n\r\n{form}".encode())
    else:
        writer.write(f"GET {path} HTTP/1.1\r\n\r\n".encode())
    head, _, body = (await reader.read()).partition(b"\r\n\r\n")
    writer.close()
    assert head.startswith(b"HTTP/1.1 200"), head
    return json.loads(body)


def submit(sequence: int, to: str = "13800138000") -> p.Submit:
    return p.Submit(
        sequence_id=sequence,
        registered_delivery=1,
        msg_src=SP_ID,
        src_id="1069001",
        dest_terminal_ids=(to,),
        msg_content=b"hello",
    )


async def test_cmpp_simulator_serves_an_sp_and_its_control_port() -> None:
    args = parse(
        "--port", "0", "--control-port", "0", "--dlr-delay", "0", "--undeliverable", "1",
        "--delivered", "0", "--expired", "0", "--credential", f"{SP_ID}:{SECRET}",
    )  # fmt: skip
    sim = build(args)
    assert isinstance(sim, CmppSimulator)
    assert (sim.credentials, sim.report_delay, sim.port) == ({SP_ID: SECRET}, 0.0, 0)
    ready = asyncio.Event()
    task = asyncio.create_task(serve(sim, ready))
    try:
        await ready.wait()
        stranger = await RawSp.open(sim.port)
        assert (await stranger.connect(secret="wrong")).status == ConnectStatus.AUTHENTICATION_ERROR
        sp = await RawSp.open(sim.port)
        assert (await sp.connect()).status == ConnectStatus.OK
        sp.send(submit(2))
        answer = await sp.read()
        assert isinstance(answer, p.SubmitResp) and answer.result == Result.OK
        report = await sp.read()
        assert isinstance(report, p.Deliver) and report.registered_delivery == 1
        status = decode_status_report(report.msg_content)
        assert (status.msg_id, status.stat) == (answer.msg_id, "UNDELIV")
        sp.send(p.DeliverResp(sequence_id=report.sequence_id, msg_id=report.msg_id))
        await sim.wait_until(lambda: sim.stats.deliver_acknowledged == 1)

        stats = await control(sim.control_port or 0, "/stats")
        assert stats["cmpp_port"] == sim.port
        assert (stats["reports_sent"], stats["submits_ok"], stats["held"]) == (1, 1, 0)
        assert await control(sim.control_port or 0, "/mo", "from=13800138000&to=10690019&text=TD")
        mo = await sp.read()
        assert isinstance(mo, p.Deliver) and (mo.src_terminal_id, mo.msg_content) == (
            "13800138000",
            b"TD",
        )
        failing = await control(sim.control_port or 0, "/fail", "prefix=139&result=FEE_CODE_ERROR")
        assert failing == {"fail": {"prefix": "139", "result": "FEE_CODE_ERROR"}}
        await control(sim.control_port or 0, "/throttle", "count=1")
        sp.send(submit(3))
        sp.send(submit(4, to="13900000000"))
        results = [await sp.read() for _ in range(2)]
        assert [r.result for r in results if isinstance(r, p.SubmitResp)] == [
            Result.FLOW_CONTROL,
            Result.FEE_CODE_ERROR,
        ]
        await sp.close()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert not sim.connections


def test_cmpp_simulator_stands_in_for_the_configured_cmpp_channels(tmp_path: Path) -> None:
    config = tmp_path / "hongyan.toml"
    config.write_text(
        '[[channels]]\nname = "intl"\nport = 12775\nsystem_id = "hy01"\npassword = "pw"\n'
        '[[channels]]\nname = "cmcc"\nprotocol = "cmpp"\nport = 17890\nsystem_id = "901234"\n'
        'password = "s3cret"\n[[routes]]\nchannels = ["intl", "cmcc"]\n',
        encoding="utf-8",
    )
    sim = build(parse("--config", str(config)))
    assert isinstance(sim, CmppSimulator)
    assert sim.credentials == {"901234": "s3cret"} and sim.port == 17890
    assert sim.control_port == 8775 and sim.report_delay == 1.0
    plain = build(parse("--no-control"))
    assert (plain.port, plain.control_port, plain.credentials) == (7890, None, None)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--message-id", "decimal"], "--message-id is for --protocol smpp"),
        (["--credential", "901234"], "write it as SYSTEM_ID:PASSWORD"),
    ],
)
def test_options_cmpp_cannot_take_are_refused_with_a_sentence(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulator", "--protocol", "cmpp", "--port", "0", *argv]) == 1
    assert says in capsys.readouterr().err
