"""Inbound (MO) messages: owner by longest service code, reassembly, pushes, unsubscribe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hongyan.core.admission import SendRequest
from hongyan.core.errors import Refusal

from .harness import Pipeline, RecordingSmsc, channel, eventually

Start = Callable[..., Any]


async def test_inbound_goes_to_the_longest_service_code(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    beta = await pipeline.create_account("beta", "10690012")
    long_text = "回复内容" * 40  # 160 UCS-2 characters: arrives in three parts

    smsc.inject_mo("13800000010", "106900123", "hello beta")
    smsc.inject_mo("13800000011", "10690019", long_text)
    await eventually(lambda: len(pipeline.receiver.received("beta/inbound")) == 1)
    await eventually(lambda: len(pipeline.receiver.received("acme/inbound")) == 1)

    [to_beta] = await pipeline.store.unread_inbound(beta.id, 10)
    assert (to_beta.source, to_beta.extension, to_beta.text) == ("8613800000010", "3", "hello beta")
    [to_acme] = await pipeline.store.unread_inbound(pipeline.account.id, 10)
    assert (to_acme.destination, to_acme.extension) == ("10690019", "9")
    assert to_acme.text == long_text
    pushed = pipeline.receiver.received("acme/inbound")[0].json
    assert (pushed["src"], pushed["dst"], pushed["content"]) == (
        "8613800000011",
        "10690019",
        long_text,
    )
    assert smsc.stats.deliver_sm_acknowledged == 4


async def test_unsubscribe_words_blacklist_the_sender(
    simulators: Start, start_pipeline: Start
) -> None:
    smsc: RecordingSmsc = await simulators()
    pipeline: Pipeline = await start_pipeline([channel("cmcc", smsc)])
    words = {
        "13800000021": " td ",
        "13800000022": "T",
        "13800000023": "退订",
        "13800000024": "Td退订",
    }
    for source, word in words.items():
        smsc.inject_mo(source, "10690015", word)
    smsc.inject_mo("13800000025", "10690015", "TD please")  # not an unsubscribe word
    await eventually(lambda: len(pipeline.receiver.received("acme/inbound")) == 5)

    numbers = [f"86{n}" for n in [*words, "13800000025"]]
    blocked = await pipeline.store.blacklisted(pipeline.account.id, numbers)
    assert blocked == {f"86{n}" for n in words}
    assert pipeline.platform.context is not None
    outcome = await pipeline.platform.context.sender.send(
        pipeline.account, SendRequest(("8613800000021", "8613800000025"), "再见")
    )
    assert [d.refusal for d in outcome.admission.decisions] == [Refusal.BLACKLISTED, None]
