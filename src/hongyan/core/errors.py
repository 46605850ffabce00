"""Errors the platform raises on purpose; ``Refusal`` (the reasons) lives with the wire codecs."""

from __future__ import annotations

from hongyan.protocols.refusals import Refusal

__all__ = ["Conflict", "HongyanError", "InsufficientBalance", "NotFound", "Refusal"]


class HongyanError(Exception):
    """Base of the errors the platform raises on purpose (as opposed to bugs)."""


class NotFound(HongyanError):
    pass


class Conflict(HongyanError):
    pass


class InsufficientBalance(HongyanError):
    def __init__(self, needed: int, balance: int | None = None) -> None:
        super().__init__(f"balance {balance} cannot cover {needed} segments")
        self.needed = needed
        self.balance = balance
