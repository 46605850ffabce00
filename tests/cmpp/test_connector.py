"""The CMPP SP connector against the ISMG simulator (and bare fake ISMGs) over real TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import partial
from typing import Any

import pytest
from tests import connector_harness as both
from tests.connector_harness import QUICK, Sink, wait_bound

from hongyan.core import segments
from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_ismg
from hongyan.protocols.cmpp.codec import Decoder, encode
from hongyan.protocols.cmpp.constants import MsgFmt, Result
from hongyan.services.connectors.cmpp_client import CmppConnector
from hongyan.services.connectors.smpp_types import (
    OutboundMessage,
    Receipt,
)
from hongyan.simulator.cmpp import CmppSimulator
from hongyan.simulator.smsc import OutcomeMix

from .conftest import SECRET, SP_ID


def connector_for(port: int, sink: Sink, **options: Any) -> CmppConnector:
    account = {"port": port, "system_id": SP_ID, "password": SECRET, "on_deliver": sink}
    return CmppConnector(
        **(QUICK | account | {"service_id": "HELP", "src_id": "1069001"} | options)
    )


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
async def sp(ismg: CmppSimulator, sink: Sink) -> AsyncIterator[CmppConnector]:
    connector = connector_for(ismg.port, sink)
    await connector.start()
    yield connector
    await connector.stop()


def msg(text: str = "hello", to: str = "13800138000", source: str = "") -> OutboundMessage:
    return OutboundMessage(source_addr=source, destination_addr=to, text=text)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Coroutine[Any, Any, None]]


async def fake_ismg(on_pdu: Callable[[p.Pdu, asyncio.StreamWriter], None]) -> asyncio.Server:
    """A bare ISMG: ``on_pdu`` sees every PDU and writes what it wants."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = Decoder()
        while data := await reader.read(65536):
            for pdu in decoder.feed(data):
                assert isinstance(pdu, p.Pdu)
                on_pdu(pdu, writer)

    return await asyncio.start_server(serve, "127.0.0.1", 0)


def accept_connect(pdu: p.Pdu, writer: asyncio.StreamWriter) -> bool:
    """Answer a CMPP_CONNECT as a real ISMG would; whether ``pdu`` was one."""
    if not isinstance(pdu, p.Connect):
        return False
    digest = authenticator_ismg(0, pdu.authenticator_source, SECRET)
    writer.write(encode(p.ConnectResp(sequence_id=pdu.sequence_id, authenticator_ismg=digest)))
    return True


async def test_submit_returns_msg_id_and_the_report_matches_it(
    ismg: CmppSimulator, sp: CmppConnector, sink: Sink
) -> None:
    assert sp.bound
    result = await sp.submit(msg(source="10690010001"))
    assert result.ok and len(result.carrier_ids) == 1 and result.carrier_ids[0].isdigit()
    [receipt] = await sink.wait_for(1)
    assert isinstance(receipt, Receipt)
    assert (receipt.carrier_id, receipt.stat, receipt.err) == (result.carrier_ids[0], "DELIVRD", "")
    assert receipt.source_addr == "13800138000"
    assert receipt.done_at is not None and receipt.done_at.utcoffset() is not None
    await ismg.wait_until(lambda: ismg.stats.deliver_acknowledged == 1)
    [submit] = ismg.submitted
    assert (submit.src_id, submit.msg_src, submit.service_id) == ("10690010001", SP_ID, "HELP")
    assert (submit.msg_fmt, submit.msg_content, submit.registered_delivery) == (0, b"hello", 1)


async def test_the_channel_src_id_stands_in_for_an_empty_source(
    ismg: CmppSimulator, sp: CmppConnector
) -> None:
    assert (await sp.submit(msg())).ok
    assert ismg.submitted[0].src_id == "1069001"


async def test_gateway_failure_codes_become_undeliverable_with_the_code(
    ismg: CmppSimulator, sp: CmppConnector, sink: Sink
) -> None:
    ismg.outcomes = OutcomeMix(delivered=0, undeliverable=1)
    ismg.failure_stat = "MK:0005"
    result = await sp.submit(msg())
    [receipt] = await sink.wait_for(1)
    assert isinstance(receipt, Receipt)
    assert (receipt.carrier_id, receipt.stat, receipt.err) == (
        result.carrier_ids[0],
        "UNDELIV",
        "MK:0005",
    )


async def test_wrong_secret_is_refused_and_submits_fail_as_temporary(
    ismg: CmppSimulator, sink: Sink
) -> None:
    connector = connector_for(ismg.port, sink, password="wrong", response_timeout=0.5)
    await connector.start()
    await ismg.wait_until(lambda: ismg.stats.connects_rejected >= 1)
    assert not connector.bound and ismg.stats.connections_active == 0
    result = await connector.submit(msg())
    assert (result.ok, result.temporary) == (False, True)
    await connector.stop()


async def test_an_ismg_that_cannot_prove_the_secret_is_refused(sink: Sink) -> None:
    connects: list[p.Connect] = []

    def impostor(pdu: p.Pdu, writer: asyncio.StreamWriter) -> None:
        if isinstance(pdu, p.Connect):
            connects.append(pdu)
            writer.write(encode(p.ConnectResp(sequence_id=pdu.sequence_id)))  # zero digest

    server = await fake_ismg(impostor)
    port = server.sockets[0].getsockname()[1]
    connector = connector_for(port, sink, response_timeout=0.5, reconnect_delay=0.05)
    await connector.start()
    async with asyncio.timeout(5):
        while len(connects) < 2:  # refused, and tried again
            await asyncio.sleep(0.01)
    assert not connector.bound
    await connector.stop()
    server.close()


@pytest.mark.parametrize(
    ("text", "fmt", "count"),
    [("中文" * 50 + "😀", MsgFmt.UCS2, 2), ("€" * 100, MsgFmt.UCS2, 2), ("plain " * 50, 0, 3)],
)
async def test_long_text_goes_as_udh_segments(
    ismg: CmppSimulator, sp: CmppConnector, text: str, fmt: int, count: int
) -> None:
    result = await sp.submit(msg(text))
    assert result.ok and len(result.carrier_ids) == count == ismg.stats.segments
    if fmt == MsgFmt.UCS2:
        assert count == segments.count_segments(text)  # exactly as billed
    sent = ismg.submitted
    assert [(s.pk_total, s.pk_number, s.tp_udhi, s.msg_fmt) for s in sent] == [
        (count, n, 1, fmt) for n in range(1, count + 1)
    ]
    assert all(len(s.msg_content) <= 140 for s in sent)
    assert len({s.msg_content[3] for s in sent}) == 1  # one reference for all parts
    codec = "utf-16-be" if fmt == MsgFmt.UCS2 else "ascii"
    assert "".join(s.msg_content[6:].decode(codec) for s in sent) == text


async def test_160_ascii_characters_go_whole(ismg: CmppSimulator, sp: CmppConnector) -> None:
    assert len((await sp.submit(msg("x" * 160))).carrier_ids) == 1
    assert ismg.submitted[0].tp_udhi == 0 and len(ismg.submitted[0].msg_content) == 160


async def test_unencodable_or_oversized_fails_at_once_as_permanent(sp: CmppConnector) -> None:
    result = await sp.submit(msg(to="1" * 22))
    assert (result.ok, result.temporary) == (False, False)
    forced = OutboundMessage("", "13800138000", "你好", data_coding=MsgFmt.ASCII)
    assert (await sp.submit(forced)).temporary is False


async def test_inbound_long_message_reassembled(
    ismg: CmppSimulator, sp: CmppConnector, sink: Sink
) -> None:
    await both.check_inbound_reassembled(ismg, sp, sink, "8613800138000", "10690019")


async def test_failing_on_deliver_gets_sent_again(
    ismg: CmppSimulator, sp: CmppConnector, sink: Sink
) -> None:
    await both.check_failing_on_deliver_is_delivered_again(ismg, sink)


async def test_receipts_handed_over_answered_when_done_is_called(
    ismg: CmppSimulator, sink: Sink
) -> None:
    await both.check_receipts_answered_when_done_is_called(
        ismg, partial(connector_for, ismg.port, sink), msg()
    )


async def test_flow_control_is_retried_then_succeeds(
    ismg: CmppSimulator, sp: CmppConnector
) -> None:
    ismg.flow_control(count=3)
    results = await asyncio.gather(*(sp.submit(msg()) for _ in range(5)))
    assert all(r.ok for r in results)
    assert ismg.stats.flow_controlled == 3 and sp.stats().throttles == 3


async def test_temporary_and_permanent_results(ismg: CmppSimulator, sp: CmppConnector) -> None:
    sp.throttle_retries = 2
    ismg.fail_destinations("139", Result.SERVICE_ID_ERROR)
    bad = await sp.submit(msg(to="13900000000"))
    assert (bad.ok, bad.command_status, bad.temporary) == (False, 7, False)
    assert "SERVICE_ID_ERROR" in bad.reason
    ismg.flow_control(fraction=1.0)
    busy = await sp.submit(msg())
    assert (busy.ok, busy.command_status, busy.temporary) == (False, 8, True)


async def test_reconnect_after_the_ismg_drops_the_link(
    ismg: CmppSimulator, sp: CmppConnector
) -> None:
    await both.check_reconnect_after_the_carrier_drops_the_link(ismg, sp, msg())


async def test_ismg_terminate_is_answered_and_the_sp_reconnects(
    ismg: CmppSimulator, sp: CmppConnector
) -> None:
    ismg.terminate_all()
    await ismg.wait_until(lambda: sp.stats().reconnects == 1)  # touched by the new CONNECT
    await ismg.wait_until(lambda: ismg.stats.connections_active == 1)
    await wait_bound(sp)
    assert (await sp.submit(msg())).ok
    assert ismg.stats.connections_peak == 1


async def test_no_connection_fails_fast_as_temporary(sink: Sink) -> None:
    await both.check_no_carrier_fails_fast_as_temporary(partial(connector_for, sink=sink), msg())


async def test_stop_terminates_every_connection(ismg: CmppSimulator, sink: Sink) -> None:
    await both.check_stop_closes_every_link(ismg, connector_for(ismg.port, sink, binds=2))
    assert ismg.stats.terminates == 2


async def test_keep_alive_both_ways(ismg: CmppSimulator, sink: Sink) -> None:
    connector = connector_for(ismg.port, sink, enquire_link_interval=0.05)
    await connector.start()
    await ismg.wait_until(lambda: ismg.stats.active_tests >= 2)  # the SP's, when idle
    [conn] = list(ismg.connections)
    ismg.active_test_all()  # the ISMG's: answered
    await ismg.wait_until(lambda: conn.active_tests_answered == 1)
    await connector.stop()


async def test_tps_limit_paces_submits(ismg: CmppSimulator, sink: Sink) -> None:
    await both.check_tps_paces_submits(connector_for(ismg.port, sink, tps=200), msg())


async def test_window_bounds_the_submits_in_flight(sink: Sink) -> None:
    """An ISMG that answers only once ``window`` submits wait: had the SP sent more before an
    answer, the ISMG would have seen more waiting at once."""
    window, waiting, most = 3, [], [0]
    next_id = iter(range(1, 1000))

    def batching(pdu: p.Pdu, writer: asyncio.StreamWriter) -> None:
        if accept_connect(pdu, writer) or not isinstance(pdu, p.Submit):
            return
        waiting.append(pdu)
        most[0] = max(most[0], len(waiting))
        if len(waiting) == window:
            for submit in waiting:
                answer = p.SubmitResp(sequence_id=submit.sequence_id, msg_id=next(next_id))
                writer.write(encode(answer))
            waiting.clear()

    server = await fake_ismg(batching)
    connector = connector_for(server.sockets[0].getsockname()[1], sink, window=window)
    await connector.start()
    results = await asyncio.gather(*(connector.submit(msg(f"m{i}")) for i in range(12)))
    assert all(r.ok for r in results) and len({r.carrier_ids[0] for r in results}) == 12
    assert most[0] == window and connector.stats().window_in_use == 0
    await connector.stop()
    server.close()


async def test_unanswered_submit_times_out_as_temporary(sink: Sink) -> None:
    """An ISMG that connects, then never answers CMPP_SUBMIT: the sweep fails each after the
    response timeout, and the connection keeps serving."""
    submits: list[p.Submit] = []

    def mute(pdu: p.Pdu, writer: asyncio.StreamWriter) -> None:
        if not accept_connect(pdu, writer) and isinstance(pdu, p.Submit):
            submits.append(pdu)

    server = await fake_ismg(mute)
    connector = connector_for(
        server.sockets[0].getsockname()[1], sink, response_timeout=0.2, stop_timeout=0.1
    )
    await connector.start()
    assert connector.bound
    results = await asyncio.gather(*(connector.submit(msg()) for _ in range(3)))
    assert [(r.ok, r.temporary, r.reason) for r in results] == [
        (False, True, "CMPP_SUBMIT_RESP timed out")
    ] * 3
    assert len(submits) == 3 and connector.bound
    assert connector.stats().window_in_use == 0 and connector.stats().errors == 3
    await connector.stop()
    server.close()


async def test_withdraw_answers_what_was_not_sent(sink: Sink) -> None:
    def mute(pdu: p.Pdu, writer: asyncio.StreamWriter) -> None:
        accept_connect(pdu, writer)

    server = await fake_ismg(mute)
    connector = connector_for(
        server.sockets[0].getsockname()[1], sink, window=1, response_timeout=0.5, stop_timeout=0.1
    )
    await connector.start()
    answers: list[Any] = []
    for i in range(3):
        connector.submit_nowait(msg(f"m{i}"), answers.append)
    async with asyncio.timeout(5):
        while connector.stats().window_in_use < 1:
            await asyncio.sleep(0.01)
    connector.withdraw("dispatcher stopping")
    assert [(a.ok, a.temporary, a.reason) for a in answers] == [
        (False, True, "dispatcher stopping")
    ] * 2
    assert connector.queued == 0
    await connector.stop()
    server.close()
