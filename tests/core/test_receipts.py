from __future__ import annotations

import pytest

from hongyan.core.messages import MessageState
from hongyan.core.receipts import SegmentOutcome, carrier_id_candidates, message_outcome

D, U, E = SegmentOutcome.DELIVERED, SegmentOutcome.UNDELIVERABLE, SegmentOutcome.EXPIRED


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0A1B", ("a1b", "2587")),
        ("2587", ("2587", "a1b", "9607")),
        ("00001234", ("1234", "4d2", "4660")),
        (" abc-123 ", ("abc-123",)),
        ("0000", ("0",)),
    ],
)
def test_candidates(raw: str, expected: tuple[str, ...]) -> None:
    assert carrier_id_candidates(raw) == expected


@pytest.mark.parametrize(
    ("outcomes", "state"),
    [
        ([D], MessageState.DELIVERED),
        ([D, D, D], MessageState.DELIVERED),
        ([D, None, D], None),
        ([D, U, None], MessageState.UNDELIVERABLE),
        ([None, E], MessageState.EXPIRED),
        ([None], None),
    ],
)
def test_message_outcome(outcomes: list[SegmentOutcome | None], state: MessageState | None) -> None:
    assert message_outcome(outcomes) is state
