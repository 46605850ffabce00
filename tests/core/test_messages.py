from __future__ import annotations

import pytest

from hongyan.core.messages import (
    FINAL_STATES,
    TRANSITIONS,
    InvalidTransition,
    MessageState,
    check_transition,
    refunds,
)

S = MessageState


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.ACCEPTED, S.QUEUED),
        (S.QUEUED, S.SUBMITTING),
        (S.SUBMITTING, S.SUBMITTED),
        (S.SUBMITTING, S.QUEUED),
        (S.SUBMITTING, S.FAILED),
        (S.SUBMITTED, S.DELIVERED),
        (S.SUBMITTED, S.UNDELIVERABLE),
        (S.SUBMITTED, S.EXPIRED),
        (S.QUEUED, S.CANCELLED),
    ],
)
def test_allowed(current: MessageState, target: MessageState) -> None:
    assert check_transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.QUEUED, S.DELIVERED),
        (S.SUBMITTED, S.QUEUED),
        (S.DELIVERED, S.UNDELIVERABLE),
        (S.FAILED, S.QUEUED),
        (S.SUBMITTING, S.CANCELLED),
        (S.REJECTED, S.QUEUED),
    ],
)
def test_refused(current: MessageState, target: MessageState) -> None:
    with pytest.raises(InvalidTransition, match=f"{current.value}.*{target.value}"):
        check_transition(current, target)


def test_final_states_are_exactly_those_without_exits() -> None:
    assert {
        S.DELIVERED,
        S.UNDELIVERABLE,
        S.EXPIRED,
        S.REJECTED,
        S.FAILED,
        S.CANCELLED,
    } == FINAL_STATES
    assert set(TRANSITIONS) == set(MessageState)


@pytest.mark.parametrize(
    ("current", "target", "refunded"),
    [
        (S.SUBMITTING, S.FAILED, True),
        (S.QUEUED, S.EXPIRED, True),
        (S.SUBMITTING, S.EXPIRED, True),
        (S.QUEUED, S.CANCELLED, True),
        (S.SUBMITTED, S.EXPIRED, False),  # the carrier had it: charged
        (S.SUBMITTED, S.UNDELIVERABLE, False),
        (S.SUBMITTED, S.DELIVERED, False),
    ],
)
def test_refunds(current: MessageState, target: MessageState, refunded: bool) -> None:
    assert refunds(current, target) is refunded
