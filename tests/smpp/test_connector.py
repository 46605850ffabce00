"""The ESME connector against the simulator over real TCP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from tests import connector_harness as both
from tests.connector_harness import QUICK, Sink

from hongyan.core import segments
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.codec import Decoder, encode
from hongyan.protocols.smpp.constants import CommandStatus as S
from hongyan.services.connectors.smpp_client import SmppConnector
from hongyan.services.connectors.smpp_types import (
    DeliverEvent,
    OutboundMessage,
    Receipt,
)
from hongyan.simulator import MessageIdFormat, OutcomeMix, SmscSimulator


def connector_for(smsc: SmscSimulator, sink: Sink, **options: Any) -> SmppConnector:
    account = {"port": smsc.port, "system_id": "hongyan", "password": "pw", "on_deliver": sink}
    return SmppConnector(**(QUICK | account | options))


@pytest.fixture
async def sink() -> Sink:
    return Sink()


@pytest.fixture
async def esme(smsc: SmscSimulator, sink: Sink) -> AsyncIterator[SmppConnector]:
    connector = connector_for(smsc, sink)
    await connector.start()
    yield connector
    await connector.stop()


def msg(text: str = "hello", to: str = "447700900123") -> OutboundMessage:
    return OutboundMessage(source_addr="hongyan", destination_addr=to, text=text)


async def test_submit_returns_carrier_id_and_receipt_follows(
    smsc: SmscSimulator, esme: SmppConnector, sink: Sink
) -> None:
    assert esme.bound
    result = await esme.submit(msg())
    assert result.ok and len(result.carrier_ids) == 1
    [receipt] = await sink.wait_for(1)
    assert isinstance(receipt, Receipt)
    assert (receipt.carrier_id, receipt.stat) == (result.carrier_ids[0], "DELIVRD")
    assert receipt.done_at is not None and receipt.done_at.tzinfo is not None
    await smsc.wait_until(lambda: smsc.stats.deliver_sm_acknowledged == 1)


async def test_simulator_receipts_wait_for_the_delay_and_keep_submit_order(sink: Sink) -> None:
    """The simulator's receipts share one timer: each still waits ``dlr_delay`` after its
    submit, and they come in the order the messages were taken."""
    async with SmscSimulator(port=0, dlr_delay=0.2) as smsc:
        esme = connector_for(smsc, sink)
        await esme.start()
        loop = asyncio.get_running_loop()
        taken: list[tuple[str, float]] = []
        for i in range(3):
            result = await esme.submit(msg(to=f"44770090010{i}"))
            taken.append((result.carrier_ids[0], loop.time()))
            await asyncio.sleep(0.05)  # submits spread over the delay
        arrived: list[float] = []
        while len(arrived) < 3:
            await sink.wait_for(len(arrived) + 1)
            arrived.append(loop.time())
        assert [e.carrier_id for e in sink.events] == [cid for cid, _ in taken]
        assert all(got - sent >= 0.2 for got, (_, sent) in zip(arrived, taken, strict=True))
        await esme.stop()


async def test_receipts_resumed_with_no_receiver_stay_held_until_one_binds(
    smsc: SmscSimulator, sink: Sink
) -> None:
    """Resuming receipts while nobody can receive them keeps them held (it once looped
    forever, holding each again), and the next bind gets them."""
    smsc.pause_receipts()
    esme = connector_for(smsc, sink)
    await esme.start()
    result = await esme.submit(msg())
    await smsc.wait_until(lambda: smsc.held == 1)
    await esme.stop()
    await smsc.wait_until(lambda: smsc.stats.binds_active == 0)
    smsc.pause_receipts(False)
    assert smsc.held == 1 and not sink.events
    esme = connector_for(smsc, sink)
    await esme.start()
    [receipt] = await sink.wait_for(1)
    assert isinstance(receipt, Receipt) and receipt.carrier_id == result.carrier_ids[0]
    await smsc.wait_until(lambda: smsc.stats.deliver_sm_acknowledged == 1)
    assert smsc.held == 0
    await esme.stop()


@pytest.mark.parametrize("text", ["€" * 100, "中文" * 50 + "😀", "plain " * 60])
async def test_long_text_sent_as_billed_segments(
    smsc: SmscSimulator, esme: SmppConnector, text: str
) -> None:
    result = await esme.submit(msg(text))
    assert result.ok
    assert len(result.carrier_ids) == segments.count_segments(text) > 1
    assert smsc.stats.segments == len(result.carrier_ids)


async def test_many_concurrent_submits_fill_the_window(smsc: SmscSimulator, sink: Sink) -> None:
    esme = connector_for(smsc, sink, window=8)
    await esme.start()
    results = await asyncio.gather(*(esme.submit(msg(f"m{i}")) for i in range(300)))
    assert all(r.ok for r in results)
    assert len({r.carrier_ids[0] for r in results}) == 300
    assert esme.stats().submitted == 300 and esme.stats().window_in_use == 0
    await esme.stop()


async def test_permanent_and_temporary_classification(
    smsc: SmscSimulator, esme: SmppConnector
) -> None:
    esme.throttle_retries = 2
    smsc.fail_destinations("999")
    smsc.fail_destinations("888", S.ESME_RMSGQFUL)
    bad = await esme.submit(msg(to="999123"))
    assert (bad.ok, bad.command_status, bad.temporary) == (False, S.ESME_RINVDSTADR, False)
    full = await esme.submit(msg(to="888123"))
    assert (full.ok, full.command_status, full.temporary) == (False, S.ESME_RTHROTTLED, True)
    assert esme.stats().throttles > 1


async def test_throttling_is_retried_and_succeeds(smsc: SmscSimulator, esme: SmppConnector) -> None:
    smsc.throttle(count=3)
    results = await asyncio.gather(*(esme.submit(msg()) for _ in range(5)))
    assert all(r.ok for r in results)
    assert smsc.stats.throttled == 3 and esme.stats().throttles == 3


async def test_inbound_long_message_reassembled(
    smsc: SmscSimulator, esme: SmppConnector, sink: Sink
) -> None:
    await both.check_inbound_reassembled(smsc, esme, sink, "447700900123", "10690001")


async def test_failing_on_deliver_gets_redelivered(
    smsc: SmscSimulator, esme: SmppConnector, sink: Sink
) -> None:
    await both.check_failing_on_deliver_is_delivered_again(smsc, sink)


async def test_deliver_sm_resp_waits_for_on_deliver(smsc: SmscSimulator) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(event: DeliverEvent) -> None:
        started.set()
        await release.wait()

    esme = connector_for(smsc, Sink(), on_deliver=slow)
    await esme.start()
    smsc.inject_mo("1", "2", "a")
    smsc.inject_mo("1", "2", "b")
    await started.wait()
    assert smsc.stats.deliver_sm_acknowledged == 0
    release.set()
    await smsc.wait_until(lambda: smsc.stats.deliver_sm_acknowledged == 2)
    await esme.stop()


async def test_receipts_handed_over_with_a_callback_answered_when_it_is_called(
    smsc: SmscSimulator,
) -> None:
    smsc.redeliver_delay = 0.01
    await both.check_receipts_answered_when_done_is_called(
        smsc, partial(connector_for, smsc, Sink()), msg()
    )


async def test_rebind_after_the_smsc_drops_the_link(
    smsc: SmscSimulator, esme: SmppConnector
) -> None:
    await both.check_reconnect_after_the_carrier_drops_the_link(smsc, esme, msg())


async def test_no_bind_fails_fast_as_temporary(smsc: SmscSimulator, sink: Sink) -> None:
    await both.check_no_carrier_fails_fast_as_temporary(partial(connector_for, smsc, sink), msg())


async def test_transmitter_receiver_pair_and_max_binds(sink: Sink) -> None:
    async with SmscSimulator(
        max_binds=2,
        message_id_format=MessageIdFormat.DECIMAL,
        outcomes=OutcomeMix(delivered=0, undeliverable=1),
    ) as sim:
        esme = connector_for(sim, sink, bind_mode="transmitter+receiver")
        await esme.start()
        await sim.wait_until(lambda: sim.stats.binds_active == 2)
        result = await esme.submit(msg())
        assert result.ok and result.carrier_ids[0].isdigit()
        [receipt] = await sink.wait_for(1)
        assert isinstance(receipt, Receipt) and receipt.stat == "UNDELIV"
        extra = connector_for(sim, sink, response_timeout=0.3)
        await extra.start()  # returns after response_timeout at most, bound or not
        await sim.wait_until(lambda: sim.stats.binds_rejected >= 1)
        assert not extra.bound and sim.stats.binds_active == 2
        await extra.stop()
        await esme.stop()
        await sim.wait_until(lambda: sim.stats.binds_active == 0)


async def test_stop_unbinds_in_order(smsc: SmscSimulator, sink: Sink) -> None:
    await both.check_stop_closes_every_link(smsc, connector_for(smsc, sink, binds=2))


async def test_tps_limit_paces_submits(smsc: SmscSimulator, sink: Sink) -> None:
    await both.check_tps_paces_submits(connector_for(smsc, sink, tps=200), msg())


async def test_answers_smsc_enquire_link(smsc: SmscSimulator, esme: SmppConnector) -> None:
    [conn] = list(smsc.connections)
    smsc.enquire_all()
    await smsc.wait_until(lambda: not conn.session.outstanding)


async def test_unanswered_submit_times_out_as_temporary(sink: Sink) -> None:
    """An SMSC that binds, then never answers submit_sm: the sweep fails it after the
    response timeout, and the link keeps serving."""
    submits: list[p.SubmitSm] = []

    async def mute_smsc(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = Decoder()
        while data := await reader.read(65536):
            for pdu in decoder.feed(data):
                if isinstance(pdu, p.BindTransceiver):
                    writer.write(encode(p.BindTransceiverResp(sequence_number=pdu.sequence_number)))
                elif isinstance(pdu, p.SubmitSm):
                    submits.append(pdu)  # and no answer

    server = await asyncio.start_server(mute_smsc, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    esme = SmppConnector(
        name="mute",
        host="127.0.0.1",
        port=port,
        system_id="x",
        password="y",
        on_deliver=sink,
        response_timeout=0.2,
        stop_timeout=0.1,
    )
    await esme.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(*(esme.submit(msg()) for _ in range(3)))
    elapsed = loop.time() - started
    assert [(r.ok, r.temporary, r.reason) for r in results] == [
        (False, True, "submit_sm_resp timed out")
    ] * 3
    assert 0.2 <= elapsed < 1.0 and len(submits) == 3
    assert esme.bound and esme.stats().window_in_use == 0 and esme.stats().errors == 3
    await esme.stop()
    server.close()
