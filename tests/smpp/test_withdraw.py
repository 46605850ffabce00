"""``withdraw``: the queued messages the SMSC has no part of are answered at once; a message
partly sent stays, to be finished (handing it back would send its first parts twice).

The SMSC stops reading (``pause_reading``) to hold a segment in flight with the rest queued.
"""

from __future__ import annotations

from tests.connector_harness import Sink

from .test_connector import connector_for
from .test_submit_queue import LONG, Answers, RecordingSmsc, msg, stall, until


async def test_a_message_partly_sent_is_finished_and_the_unsent_ones_are_withdrawn() -> None:
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=1)
        await esme.start()
        [conn] = stall(smsc)
        answers = Answers()
        partly, short, unsent = "8680001", "8680002", "8680003"
        esme.submit_nowait(msg(partly, LONG), answers.done_for(partly))
        esme.submit_nowait(msg(short), answers.done_for(short))
        esme.submit_nowait(msg(unsent, LONG), answers.done_for(unsent))
        await until(lambda: esme.stats().window_in_use == 1)
        assert esme.queued == 4  # the second part of the first message, then 1 + 2 parts

        esme.withdraw("dispatcher stopping")
        assert set(answers.by_key) == {short, unsent}
        assert {(r.ok, r.temporary) for [r] in answers.by_key.values()} == {(False, True)}
        assert esme.queued == 1

        assert conn.transport is not None
        conn.transport.resume_reading()
        await answers.wait_for(3)
        result = answers.once([partly, short, unsent])[partly]
        assert result.ok and len(result.carrier_ids) == 2
        assert smsc.accepted == [(partly, LONG[:153]), (partly, LONG[153:])]
        await esme.stop()
        assert len(answers.by_key[partly]) == 1


async def test_a_message_whose_only_sent_part_was_throttled_is_withdrawn() -> None:
    """The SMSC refused the part it got (ESME_RTHROTTLED): it has nothing of the message."""
    async with RecordingSmsc() as smsc:
        esme = connector_for(smsc, Sink(), window=1, throttle_delay=5.0)
        await esme.start()
        smsc.throttle(count=1)
        answers = Answers()
        esme.submit_nowait(msg("8690001", LONG), answers.done_for("throttled"))
        await until(lambda: esme.stats().throttles == 1)
        assert esme.queued == 2

        esme.withdraw("dispatcher stopping")
        [result] = answers.once(["throttled"]).values()
        assert (result.ok, result.temporary) == (False, True)
        assert esme.queued == 0 and smsc.accepted == []
        assert smsc.stats.throttled == 1
        await esme.stop()
