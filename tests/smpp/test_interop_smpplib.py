"""The simulator driven by a third-party SMPP client (smpplib, blocking sockets, in a thread),
and our codec against smpplib's encoder."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import decode, encode
from hongyan.protocols.smpp.receipt import parse_receipt
from hongyan.simulator import SmscSimulator


def test_smpplib_submit_sm_bytes_decode_to_our_pdu() -> None:
    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    theirs = smpplib.smpp.make_pdu(
        "submit_sm",
        client=client,
        source_addr="hongyan",
        destination_addr="447700900123",
        short_message=b"Hello",
        registered_delivery=True,
    ).generate()
    ours = p.SubmitSm(
        sequence_number=2,
        source_addr="hongyan",
        destination_addr="447700900123",
        registered_delivery=1,
        short_message=b"Hello",
    )
    assert decode(theirs) == ours
    assert encode(ours) == theirs


def test_smpplib_bind_transceiver_bytes() -> None:
    client = smpplib.client.Client("127.0.0.1", 1, allow_unknown_opt_params=True)
    client.next_sequence()
    wire = smpplib.smpp.make_pdu(
        "bind_transceiver", client=client, system_id="esme", password="pw"
    ).generate()
    assert decode(wire) == p.BindTransceiver(sequence_number=3, system_id="esme", password="pw")


def _session(port: int, out: dict[str, Any]) -> None:
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    sent: list[str] = []
    received: list[Any] = []
    client.set_message_sent_handler(lambda pdu, **kw: sent.append(pdu.message_id.decode()))
    client.set_message_received_handler(lambda pdu, **kw: received.append(pdu))
    client.connect()
    client.bind_transceiver(system_id="smpplib", password="pw")
    for i in range(5):
        client.send_message(
            source_addr="hongyan",
            destination_addr=f"4477009000{i:02d}",
            short_message=b"hi",
            registered_delivery=True,
        )
    while len(sent) < 5 or len(received) < 5:
        client.read_once()
    client.send_message(source_addr="hongyan", destination_addr="999", short_message=b"x")
    try:
        client.read_once()
    except smpplib.exceptions.PDUError as exc:
        out["error"] = exc.args[1]
    client.unbind()
    client.disconnect()
    out["sent"], out["received"] = sent, received


async def test_smpplib_binds_submits_and_gets_receipts(smsc: SmscSimulator) -> None:
    smsc.fail_destinations("999")
    out: dict[str, Any] = {}
    await asyncio.to_thread(_session, smsc.port, out)
    assert len(set(out["sent"])) == 5
    receipts = [parse_receipt(pdu.short_message.decode()) for pdu in out["received"]]
    assert {r.message_id for r in receipts if r} == set(out["sent"])
    assert all(r and r.stat == "DELIVRD" for r in receipts)
    assert out["error"] == smpplib.consts.SMPP_ESME_RINVDSTADR
    await smsc.wait_until(lambda: smsc.stats.binds_active == 0)
    assert smsc.stats.submit_sm == 6 and smsc.stats.deliver_sm_acknowledged == 5
    assert smsc.stats.binds_peak == 1


def _bind_only(port: int, password: str) -> int:
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    client.connect()
    try:
        client.bind_transmitter(system_id="esme", password=password)
    except smpplib.exceptions.PDUError as exc:
        return int(exc.args[1])
    finally:
        client.disconnect()
    return 0


@pytest.mark.parametrize(("password", "status"), [("right", 0), ("wrong", 0x0E)])
async def test_configured_credentials(password: str, status: int) -> None:
    async with SmscSimulator(credentials={"esme": "right"}) as sim:
        assert await asyncio.to_thread(_bind_only, sim.port, password) == status
        assert sim.stats.binds_rejected == (1 if status else 0)
