"""CMPP PDUs to bytes and back, the status report inside a CMPP_DELIVER, and the stream
decoder. No I/O.

Each PDU class has a layout per protocol version: its fields in wire order, each a
fixed-size octet string (NUL-padded), raw octets of a fixed size, an unsigned integer of 1, 4
or 8 octets, the destination list (a count octet, then that many fixed-size ids) or the
message content (a length octet, then the octets). CMPP 3.0 keeps the shape and widens some
fields (terminal ids 32 octets, Status/Result 4 octets, LinkID instead of Reserve): adding it
is a ``VERSION_3_0`` entry in ``LAYOUTS`` plus the 3.0-only fields on the dataclasses.

Every decoding failure is a ``CmppError`` saying which request it was (when the header could
be read) and the Result to answer it with; only framing errors (an impossible Total_Length)
are fatal to the stream.
"""

from __future__ import annotations

import struct
from typing import Any

from hongyan.protocols.cmpp import pdu as p
from hongyan.protocols.cmpp.constants import HEADER_LENGTH, VERSION_2_0, Result
from hongyan.protocols.framing import FrameDecoder

HEADER = struct.Struct(">III")
MAX_TOTAL_LENGTH = 8192  # a CMPP_SUBMIT to 100 handsets with 255 octets is under 3 KiB

_STR, _RAW, _U8, _U32, _U64, _DESTS, _CONTENT = range(7)
Field = tuple[str, int, int]  # name, kind, size (octets; of each id for _DESTS)


def _s(name: str, size: int) -> Field:
    return (name, _STR, size)


def _u(name: str, size: int) -> Field:
    return (name, {1: _U8, 4: _U32, 8: _U64}[size], size)


_V20: dict[type[p.Pdu], tuple[Field, ...]] = {
    p.Connect: (
        _s("source_addr", 6),
        ("authenticator_source", _RAW, 16),
        _u("version", 1),
        _u("timestamp", 4),
    ),
    p.ConnectResp: (_u("status", 1), ("authenticator_ismg", _RAW, 16), _u("version", 1)),
    p.Terminate: (),
    p.TerminateResp: (),
    p.ActiveTest: (),
    p.ActiveTestResp: (_u("reserved", 1),),
    p.Submit: (
        _u("msg_id", 8),
        _u("pk_total", 1),
        _u("pk_number", 1),
        _u("registered_delivery", 1),
        _u("msg_level", 1),
        _s("service_id", 10),
        _u("fee_user_type", 1),
        _s("fee_terminal_id", 21),
        _u("tp_pid", 1),
        _u("tp_udhi", 1),
        _u("msg_fmt", 1),
        _s("msg_src", 6),
        _s("fee_type", 2),
        _s("fee_code", 6),
        _s("valid_time", 17),
        _s("at_time", 17),
        _s("src_id", 21),
        ("dest_terminal_ids", _DESTS, 21),
        ("msg_content", _CONTENT, 0),
        ("reserve", _RAW, 8),
    ),
    p.SubmitResp: (_u("msg_id", 8), _u("result", 1)),
    p.Deliver: (
        _u("msg_id", 8),
        _s("dest_id", 21),
        _s("service_id", 10),
        _u("tp_pid", 1),
        _u("tp_udhi", 1),
        _u("msg_fmt", 1),
        _s("src_terminal_id", 21),
        _u("registered_delivery", 1),
        ("msg_content", _CONTENT, 0),
        ("reserved", _RAW, 8),
    ),
    p.DeliverResp: (_u("msg_id", 8), _u("result", 1)),
}
_REPORT_V20: tuple[Field, ...] = (
    _u("msg_id", 8),
    _s("stat", 7),
    _s("submit_time", 10),
    _s("done_time", 10),
    _s("dest_terminal_id", 21),
    _u("smsc_sequence", 4),
)

LAYOUTS: dict[int, dict[type[p.Pdu], tuple[Field, ...]]] = {VERSION_2_0: _V20}
REPORT_LAYOUTS: dict[int, tuple[Field, ...]] = {VERSION_2_0: _REPORT_V20}
CLASSES: dict[int, type[p.Pdu]] = {cls.command_id: cls for cls in _V20}
VERSIONS = frozenset(LAYOUTS)


class CmppError(Exception):
    """Bytes that are not a CMPP PDU (or status report), and how to answer them."""

    def __init__(
        self,
        reason: str,
        *,
        command_id: int = 0,
        sequence_id: int = 0,
        result: int = Result.STRUCTURE_ERROR,
        fatal: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.command_id = command_id
        self.sequence_id = sequence_id
        self.result = result
        self.fatal = fatal


def _layout(cls: type[p.Pdu], version: int) -> tuple[Field, ...]:
    layouts = LAYOUTS.get(version)
    if layouts is None:
        raise ValueError(f"CMPP version 0x{version:02X} is not supported")
    return layouts[cls]


# --- encoding -----------------------------------------------------------------------------


def encode(pdu: p.Pdu, version: int = VERSION_2_0) -> bytes:
    """The PDU's bytes. Raises ``ValueError`` when a field does not fit its wire size."""
    body = _encode_fields(pdu, _layout(type(pdu), version))
    return HEADER.pack(HEADER_LENGTH + len(body), pdu.command_id, pdu.sequence_id) + body


def encode_status_report(report: p.StatusReport, version: int = VERSION_2_0) -> bytes:
    """The Msg_Content of a status-report CMPP_DELIVER."""
    return _encode_fields(report, REPORT_LAYOUTS[version])


def _encode_fields(obj: object, layout: tuple[Field, ...]) -> bytes:
    parts: list[bytes] = []
    for name, kind, size in layout:
        value = getattr(obj, name)
        if kind == _STR:
            parts.append(_fixed(name, value.encode("latin-1"), size))
        elif kind == _RAW:
            parts.append(_fixed(name, value, size))
        elif kind in (_U8, _U32, _U64):
            if not 0 <= value < 1 << (8 * size):
                raise ValueError(f"{name} {value} does not fit {size} octets")
            parts.append(value.to_bytes(size, "big"))
        elif kind == _DESTS:
            if not 1 <= len(value) <= 100:
                raise ValueError(f"{name}: 1 to 100 destinations, got {len(value)}")
            parts.append(bytes((len(value),)))
            parts.extend(_fixed(name, v.encode("latin-1"), size) for v in value)
        else:
            if len(value) > 255:
                raise ValueError(f"{name} longer than 255 octets")
            parts.append(bytes((len(value),)) + value)
    return b"".join(parts)


def _fixed(name: str, raw: bytes, size: int) -> bytes:
    if len(raw) > size:
        raise ValueError(f"{name} longer than {size} octets")
    return raw.ljust(size, b"\0")


# --- decoding -----------------------------------------------------------------------------


def decode(frame: bytes, version: int = VERSION_2_0) -> p.Pdu:
    """One whole PDU (header included) to its dataclass; raises ``CmppError``."""
    if len(frame) < HEADER_LENGTH:
        raise CmppError("shorter than a header", fatal=True)
    length, command_id, sequence_id = HEADER.unpack_from(frame)
    if length != len(frame):
        raise CmppError(
            f"Total_Length {length} for {len(frame)} octets",
            command_id=command_id,
            sequence_id=sequence_id,
            fatal=True,
        )
    cls = CLASSES.get(command_id)
    if cls is None:
        raise CmppError(
            f"unknown Command_Id 0x{command_id:08X}",
            command_id=command_id,
            sequence_id=sequence_id,
            result=Result.COMMAND_ERROR,
        )
    values: dict[str, Any] = {"sequence_id": sequence_id}
    try:
        end = _decode_fields(frame, HEADER_LENGTH, _layout(cls, version), values)
    except _FieldError as exc:
        raise CmppError(
            f"{cls.__name__}: {exc.reason}",
            command_id=command_id,
            sequence_id=sequence_id,
            result=exc.result,
        ) from None
    if end != length:
        raise CmppError(
            f"{cls.__name__}: {length - end} octets after the body",
            command_id=command_id,
            sequence_id=sequence_id,
            result=Result.LENGTH_ERROR,
        )
    return cls(**values)


def decode_status_report(content: bytes, version: int = VERSION_2_0) -> p.StatusReport:
    """A status report's Msg_Content; octets after it (some gateways pad) are ignored."""
    values: dict[str, Any] = {}
    try:
        _decode_fields(content, 0, REPORT_LAYOUTS[version], values)
    except _FieldError as exc:
        raise CmppError(f"status report: {exc.reason}", result=exc.result) from None
    return p.StatusReport(**values)


class _FieldError(Exception):
    def __init__(self, reason: str, result: int = Result.LENGTH_ERROR) -> None:
        self.reason = reason
        self.result = result


def _decode_fields(data: bytes, pos: int, layout: tuple[Field, ...], values: dict[str, Any]) -> int:
    """Read ``layout`` from ``data`` at ``pos`` into ``values``; the position after it."""
    for name, kind, size in layout:
        if kind == _DESTS:
            count = _take(data, pos, 1, name)[0]
            if not 1 <= count <= 100:
                raise _FieldError(f"{count} destinations", Result.STRUCTURE_ERROR)
            raw = _take(data, pos + 1, count * size, name)
            values[name] = tuple(_text(raw[i : i + size]) for i in range(0, len(raw), size))
            pos += 1 + count * size
        elif kind == _CONTENT:
            count = _take(data, pos, 1, name)[0]
            values[name] = _take(data, pos + 1, count, name)
            pos += 1 + count
        else:
            raw = _take(data, pos, size, name)
            pos += size
            if kind == _STR:
                values[name] = _text(raw)
            elif kind == _RAW:
                values[name] = raw
            else:
                values[name] = int.from_bytes(raw, "big")
    return pos


def _take(data: bytes, pos: int, size: int, name: str) -> bytes:
    if pos + size > len(data):
        raise _FieldError(f"body ends inside {name}")
    return data[pos : pos + size]


def _text(raw: bytes) -> str:
    """An octet string without its NUL padding (some gateways put NULs inside: cut there)."""
    nul = raw.find(0)
    return (raw if nul < 0 else raw[:nul]).decode("latin-1")


class Decoder(FrameDecoder[p.Pdu, CmppError]):
    """Bytes in, PDUs (or ``CmppError`` values) out; a partial frame waits for more bytes."""

    def __init__(self, version: int = VERSION_2_0, max_length: int = MAX_TOTAL_LENGTH) -> None:
        if version not in VERSIONS:
            raise ValueError(f"CMPP version 0x{version:02X} is not supported")
        self.version = version
        super().__init__(
            header_length=HEADER_LENGTH,
            max_length=max_length,
            decode=lambda frame: decode(frame, version),
            error_type=CmppError,
            framing_error=_framing_error,
        )


def _framing_error(header: bytes, length: int) -> CmppError:
    _, command_id, sequence_id = HEADER.unpack(header)
    return CmppError(
        f"Total_Length {length}", command_id=command_id, sequence_id=sequence_id, fatal=True
    )


def error_response(error: CmppError) -> p.Pdu | None:
    """What to send back for an undecodable request: SUBMIT and DELIVER get their response
    with the error's Result; anything else has no response that can carry one (``None``)."""
    if error.fatal:
        return None
    if error.command_id == p.Submit.command_id:
        return p.SubmitResp(sequence_id=error.sequence_id, result=error.result)
    if error.command_id == p.Deliver.command_id:
        return p.DeliverResp(sequence_id=error.sequence_id, result=error.result)
    return None


__all__ = [
    "CmppError",
    "Decoder",
    "decode",
    "decode_status_report",
    "encode",
    "encode_status_report",
    "error_response",
]
