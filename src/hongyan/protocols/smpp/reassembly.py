"""Inbound concatenated messages put back together: any order, duplicates ignored, timeouts.

Parts are keyed by (source, destination, reference, total). Bytes are joined before decoding so
a UCS2 surrogate pair or GSM escape split across parts still decodes. Time is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hongyan.protocols.smpp.body import decode_text

PartsKey = tuple[str, str, int, int]
Decode = Callable[[bytes, int], str]  # (octets, data_coding) -> text; CMPP passes its own


@dataclass(frozen=True, slots=True)
class Assembled:
    source_addr: str
    destination_addr: str
    text: str
    complete: bool  # False when given up after a timeout with parts missing


@dataclass(slots=True)
class _Pending:
    first_seen: float
    data_coding: int
    parts: dict[int, bytes] = field(default_factory=dict)


class Reassembler:
    def __init__(self, timeout: float = 300.0, decode: Decode = decode_text) -> None:
        self.timeout = timeout
        self._decode = decode
        self._pending: dict[PartsKey, _Pending] = {}

    def add(
        self,
        *,
        source_addr: str,
        destination_addr: str,
        reference: int,
        total: int,
        seqnum: int,
        data_coding: int,
        payload: bytes,
        now: float,
    ) -> Assembled | None:
        """The whole message when this part completes it, else ``None``."""
        if total <= 1:
            text = self._decode(payload, data_coding)
            return Assembled(source_addr, destination_addr, text, True)
        if not 1 <= seqnum <= total:
            return None
        key = (source_addr, destination_addr, reference, total)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending(now, data_coding)
        pending.parts.setdefault(seqnum, payload)
        if len(pending.parts) < total:
            return None
        del self._pending[key]
        return self._assemble(key, pending, complete=True)

    def expire(self, now: float) -> list[Assembled]:
        """Give up on messages older than the timeout; what arrived is returned, incomplete."""
        late = [k for k, v in self._pending.items() if now - v.first_seen >= self.timeout]
        return [self._assemble(k, self._pending.pop(k), complete=False) for k in late]

    def _assemble(self, key: PartsKey, pending: _Pending, *, complete: bool) -> Assembled:
        joined = b"".join(pending.parts[i] for i in sorted(pending.parts))
        return Assembled(key[0], key[1], self._decode(joined, pending.data_coding), complete)

    def __len__(self) -> int:
        return len(self._pending)
