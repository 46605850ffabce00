"""The ISMG simulator against a bare client: authentication, submits, reports, MO, keep-alive."""

from __future__ import annotations

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.auth import authenticator_ismg
from hongyan.protocols.cmpp.codec import decode_status_report
from hongyan.protocols.cmpp.constants import ConnectStatus, MsgFmt, Result
from hongyan.protocols.cmpp.msgid import parts_of
from hongyan.simulator.cmpp import CmppSimulator
from hongyan.simulator.smsc import OutcomeMix

from .conftest import SECRET, SP_ID, RawSp


def submit(sequence: int, to: str = "13800138000", registered: int = 1) -> p.Submit:
    return p.Submit(
        sequence_id=sequence,
        registered_delivery=registered,
        msg_src=SP_ID,
        src_id="1069001",
        dest_terminal_ids=(to,),
        msg_content=b"hello",
    )


async def test_connect_proves_the_ismg_knows_the_secret(ismg: CmppSimulator) -> None:
    sp = await RawSp.open(ismg.port)
    sp.send(p.ActiveTest(sequence_id=1))  # before CMPP_CONNECT: dropped
    assert await sp.read() is None
    sp = await RawSp.open(ismg.port)
    resp = await sp.connect()
    assert resp.status == ConnectStatus.OK and resp.version == 0x20
    await ismg.wait_until(lambda: ismg.stats.connections_active == 1)
    [conn] = ismg.connections
    assert conn.source_addr == SP_ID
    await sp.close()


async def test_wrong_secret_and_unknown_sp_are_refused(ismg: CmppSimulator) -> None:
    sp = await RawSp.open(ismg.port)
    assert (await sp.connect(secret="nope")).status == ConnectStatus.AUTHENTICATION_ERROR
    assert await sp.read() is None  # and the connection is closed
    sp = await RawSp.open(ismg.port)
    assert (await sp.connect(sp_id="999999")).status == ConnectStatus.INVALID_SOURCE_ADDR
    assert ismg.stats.connects_rejected == 2 and ismg.stats.connections_active == 0


async def test_submit_gets_a_msg_id_and_a_report_follows(ismg: CmppSimulator) -> None:
    sp = await RawSp.open(ismg.port)
    resp = await sp.connect()
    assert resp.authenticator_ismg == authenticator_ismg(0, sp.authenticator, SECRET)
    sp.send(submit(2))
    answer = await sp.read()
    assert isinstance(answer, p.SubmitResp) and answer.result == Result.OK
    assert parts_of(answer.msg_id).gateway == ismg.gateway_code
    report = await sp.read()
    assert isinstance(report, p.Deliver) and report.registered_delivery == 1
    assert (report.dest_id, report.src_terminal_id) == ("1069001", "13800138000")
    status = decode_status_report(report.msg_content)
    assert (status.msg_id, status.stat, status.dest_terminal_id) == (
        answer.msg_id,
        "DELIVRD",
        "13800138000",
    )
    sp.send(p.DeliverResp(sequence_id=report.sequence_id, msg_id=report.msg_id))
    await ismg.wait_until(lambda: ismg.stats.deliver_acknowledged == 1)
    assert ismg.stats.reports_sent == 1 and ismg.stats.submits_ok == 1
    await sp.close()


async def test_refused_deliver_is_sent_again(ismg: CmppSimulator) -> None:
    ismg.outcomes = OutcomeMix(delivered=0, undeliverable=1)
    ismg.failure_stat = "MK:0005"
    sp = await RawSp.open(ismg.port)
    await sp.connect()
    sp.send(submit(2))
    await sp.read()
    first = await sp.read()
    assert isinstance(first, p.Deliver)
    assert decode_status_report(first.msg_content).stat == "MK:0005"
    sp.send(p.DeliverResp(sequence_id=first.sequence_id, result=Result.OTHER_ERROR))
    again = await sp.read()
    assert isinstance(again, p.Deliver) and again.msg_content == first.msg_content
    assert ismg.stats.deliver_refused == 1
    await sp.close()


async def test_flow_control_and_failing_prefixes(ismg: CmppSimulator) -> None:
    ismg.flow_control(count=1)
    ismg.fail_destinations("139", Result.SERVICE_ID_ERROR)
    sp = await RawSp.open(ismg.port)
    await sp.connect()
    sp.send(submit(2))
    sp.send(submit(3, to="13900000000"))
    sp.send(submit(4, registered=0))
    results = [await sp.read() for _ in range(3)]
    assert [r.result for r in results if isinstance(r, p.SubmitResp)] == [8, 7, 0]
    assert ismg.stats.flow_controlled == 1 and ismg.stats.failed == 1
    await sp.close()


async def test_mo_long_message_and_keep_alive(ismg: CmppSimulator) -> None:
    sp = await RawSp.open(ismg.port)
    await sp.connect()
    await ismg.wait_until(lambda: ismg.stats.connections_active == 1)
    assert ismg.inject_mo("13800138000", "10690019", "回复" * 50) == 2
    parts = [await sp.read() for _ in range(2)]
    assert all(isinstance(x, p.Deliver) and x.tp_udhi and x.msg_fmt == MsgFmt.UCS2 for x in parts)
    ismg.active_test_all()
    probe = await sp.read()
    assert isinstance(probe, p.ActiveTest)
    sp.send(p.ActiveTestResp(sequence_id=probe.sequence_id))
    sp.send(p.Terminate(sequence_id=9))
    assert await sp.read() == p.TerminateResp(sequence_id=9)
    assert await sp.read() is None
    await ismg.wait_until(lambda: ismg.stats.connections_active == 0)
    assert ismg.stats.terminates == 1 and ismg.held == 2  # MO unanswered: kept to resend
