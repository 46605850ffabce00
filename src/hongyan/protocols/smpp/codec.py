"""SMPP 3.4 PDUs to bytes and back, plus the incremental stream decoder. No I/O.

Each PDU class has a layout: its mandatory fields in wire order, each a C-octet string (with its
maximum size including the NUL and the command_status to answer when it is too long), an
unsigned octet, or the ``short_message`` octets preceded by ``sm_length``. TLVs follow. Every
decoding failure is a ``PduError`` carrying the command_status to answer with; only framing
errors (an impossible command_length) are fatal to the stream.
"""

from __future__ import annotations

import struct
from typing import Any

from hongyan.protocols.framing import FrameDecoder
from hongyan.protocols.smpp import pdu as p
from hongyan.protocols.smpp.constants import CommandId
from hongyan.protocols.smpp.constants import CommandStatus as S

HEADER = struct.Struct(">IIII")
TLV_HEADER = struct.Struct(">HH")
MAX_COMMAND_LENGTH = 70_000  # message_payload may carry up to 64 KiB

_C, _U8, _SM = 0, 1, 2
Field = tuple[str, int, int, int]  # name, kind, max size, status when invalid


def _c(name: str, size: int, status: int = S.ESME_RINVCMDLEN) -> Field:
    return (name, _C, size, status)


def _u8(name: str) -> Field:
    return (name, _U8, 1, S.ESME_RINVCMDLEN)


_BIND = (
    _c("system_id", 16, S.ESME_RINVSYSID),
    _c("password", 9, S.ESME_RINVPASWD),
    _c("system_type", 13, S.ESME_RINVSYSTYP),
    _u8("interface_version"),
    _u8("addr_ton"),
    _u8("addr_npi"),
    _c("address_range", 41),
)
_SHORT_MESSAGE = (
    _c("service_type", 6, S.ESME_RINVSERTYP),
    _u8("source_addr_ton"),
    _u8("source_addr_npi"),
    _c("source_addr", 21, S.ESME_RINVSRCADR),
    _u8("dest_addr_ton"),
    _u8("dest_addr_npi"),
    _c("destination_addr", 21, S.ESME_RINVDSTADR),
    _u8("esm_class"),
    _u8("protocol_id"),
    _u8("priority_flag"),
    _c("schedule_delivery_time", 17, S.ESME_RINVSCHED),
    _c("validity_period", 17, S.ESME_RINVEXPIRY),
    _u8("registered_delivery"),
    _u8("replace_if_present_flag"),
    _u8("data_coding"),
    _u8("sm_default_msg_id"),
    ("short_message", _SM, 255, S.ESME_RINVMSGLEN),
)
_MESSAGE_ID = (_c("message_id", 65, S.ESME_RINVMSGID),)

LAYOUTS: dict[type[p.Pdu], tuple[Field, ...]] = {
    p.BindTransmitter: _BIND,
    p.BindReceiver: _BIND,
    p.BindTransceiver: _BIND,
    p.BindTransmitterResp: (_c("system_id", 16, S.ESME_RINVSYSID),),
    p.BindReceiverResp: (_c("system_id", 16, S.ESME_RINVSYSID),),
    p.BindTransceiverResp: (_c("system_id", 16, S.ESME_RINVSYSID),),
    p.Outbind: (_c("system_id", 16, S.ESME_RINVSYSID), _c("password", 9, S.ESME_RINVPASWD)),
    p.Unbind: (),
    p.UnbindResp: (),
    p.EnquireLink: (),
    p.EnquireLinkResp: (),
    p.GenericNack: (),
    p.SubmitSm: _SHORT_MESSAGE,
    p.DeliverSm: _SHORT_MESSAGE,
    p.SubmitSmResp: _MESSAGE_ID,
    p.DeliverSmResp: _MESSAGE_ID,
    p.DataSmResp: _MESSAGE_ID,
    p.DataSm: (
        _c("service_type", 6, S.ESME_RINVSERTYP),
        _u8("source_addr_ton"),
        _u8("source_addr_npi"),
        _c("source_addr", 65, S.ESME_RINVSRCADR),
        _u8("dest_addr_ton"),
        _u8("dest_addr_npi"),
        _c("destination_addr", 65, S.ESME_RINVDSTADR),
        _u8("esm_class"),
        _u8("registered_delivery"),
        _u8("data_coding"),
    ),
    p.QuerySm: (
        _MESSAGE_ID[0],
        _u8("source_addr_ton"),
        _u8("source_addr_npi"),
        _c("source_addr", 21, S.ESME_RINVSRCADR),
    ),
    p.QuerySmResp: (
        _MESSAGE_ID[0],
        _c("final_date", 17),
        _u8("message_state"),
        _u8("error_code"),
    ),
    p.AlertNotification: (
        _u8("source_addr_ton"),
        _u8("source_addr_npi"),
        _c("source_addr", 65, S.ESME_RINVSRCADR),
        _u8("esme_addr_ton"),
        _u8("esme_addr_npi"),
        _c("esme_addr", 65),
    ),
}
CLASSES: dict[int, type[p.Pdu]] = {cls.command_id: cls for cls in LAYOUTS}
_HAS_TLVS = frozenset(cls for cls in LAYOUTS if issubclass(cls, p.WithTlvs))
# Responses whose body the spec omits when command_status is not 0.
_BODYLESS_ON_ERROR = frozenset(
    cls for cls in LAYOUTS if issubclass(cls, p.BindResp | p.MessageIdResp | p.QuerySmResp)
)


class PduError(Exception):
    """A PDU that cannot be decoded, and how to answer it."""

    def __init__(
        self, status: S, command_id: int, sequence_number: int, reason: str, *, fatal: bool = False
    ) -> None:
        super().__init__(f"{status.name}: {reason}")
        self.command_status = status
        self.command_id = command_id
        self.sequence_number = sequence_number
        self.reason = reason
        self.fatal = fatal


# --- encoding -----------------------------------------------------------------------------


def encode(pdu: p.Pdu) -> bytes:
    """The PDU's bytes. Raises ``ValueError`` when a field does not fit its wire size."""
    cls = type(pdu)
    if pdu.command_status and cls in _BODYLESS_ON_ERROR and _is_default(pdu):
        body = b""
    elif cls is p.SubmitSm or cls is p.DeliverSm:
        body = _encode_short_message(pdu)  # type: ignore[arg-type]
    else:
        body = _encode_body(pdu, LAYOUTS[cls])
    header = HEADER.pack(16 + len(body), cls.command_id, pdu.command_status, pdu.sequence_number)
    return header + body


_OK_DELIVER_SM_RESP = HEADER.pack(17, CommandId.DELIVER_SM_RESP, 0, 0)[:12]  # + sequence + b"\0"


def encode_deliver_sm_resp(sequence_number: int, command_status: int = 0) -> bytes:
    """``encode(DeliverSmResp(...))`` with no PDU object: one per receipt, the bulk of the
    traffic. Bodyless on an error, as ``encode`` makes it."""
    if not command_status:
        return _OK_DELIVER_SM_RESP + sequence_number.to_bytes(4, "big") + b"\0"
    return HEADER.pack(16, CommandId.DELIVER_SM_RESP, command_status, sequence_number)


def _is_default(pdu: p.Pdu) -> bool:
    return not any(getattr(pdu, name) for name, *_ in LAYOUTS[type(pdu)]) and not getattr(
        pdu, "tlvs", ()
    )


_SM_LIMITS = ((6, "service_type"), (21, "source_addr"), (21, "destination_addr"))
_SM_MIDDLE = struct.Struct(">BBBBB")


def _encode_short_message(pdu: p.ShortMessagePdu) -> bytes:
    """The submit_sm/deliver_sm body without the generic loop: the 10k PDUs/s hot path."""
    service = pdu.service_type.encode("latin-1")
    source = pdu.source_addr.encode("latin-1")
    destination = pdu.destination_addr.encode("latin-1")
    schedule = pdu.schedule_delivery_time.encode("latin-1")
    validity = pdu.validity_period.encode("latin-1")
    sm = pdu.short_message
    if (
        len(service) > 5
        or len(source) > 20
        or len(destination) > 20
        or len(schedule) > 16
        or len(validity) > 16
        or len(sm) > 254
    ):
        return _encode_body(pdu, LAYOUTS[type(pdu)])  # raises the precise ValueError
    parts = [
        service,
        b"\0",
        bytes((pdu.source_addr_ton, pdu.source_addr_npi)),
        source,
        b"\0",
        bytes((pdu.dest_addr_ton, pdu.dest_addr_npi)),
        destination,
        b"\0",
        bytes((pdu.esm_class, pdu.protocol_id, pdu.priority_flag)),
        schedule,
        b"\0",
        validity,
        b"\0",
        _SM_MIDDLE.pack(
            pdu.registered_delivery,
            pdu.replace_if_present_flag,
            pdu.data_coding,
            pdu.sm_default_msg_id,
            len(sm),
        ),
        sm,
    ]
    for tlv in pdu.tlvs:
        parts.append(TLV_HEADER.pack(tlv.tag, len(tlv.value)) + tlv.value)
    return b"".join(parts)


def _encode_body(pdu: p.Pdu, layout: tuple[Field, ...]) -> bytes:
    parts: list[bytes] = []
    for name, kind, size, _ in layout:
        value = getattr(pdu, name)
        if kind == _C:
            raw = value.encode("latin-1")
            if len(raw) >= size:
                raise ValueError(f"{name} longer than {size - 1} octets")
            parts.append(raw + b"\0")
        elif kind == _U8:
            parts.append(bytes((value,)))
        else:
            if len(value) > 254:
                raise ValueError("short_message longer than 254 octets; use message_payload")
            parts.append(bytes((len(value),)) + value)
    if isinstance(pdu, p.WithTlvs):
        for tlv in pdu.tlvs:
            parts.append(TLV_HEADER.pack(tlv.tag, len(tlv.value)) + tlv.value)
    return b"".join(parts)


# --- decoding -----------------------------------------------------------------------------


def decode(frame: bytes) -> p.Pdu:
    """One whole PDU (header included) to its dataclass; raises ``PduError``."""
    if len(frame) < 16:
        raise PduError(S.ESME_RINVCMDLEN, 0, 0, "shorter than a header", fatal=True)
    length, command_id, status, sequence = HEADER.unpack_from(frame)
    if length != len(frame):
        raise PduError(S.ESME_RINVCMDLEN, command_id, sequence, "length mismatch", fatal=True)
    cls = CLASSES.get(command_id)
    if cls is None:
        raise PduError(S.ESME_RINVCMDID, command_id, sequence, f"unknown id 0x{command_id:08X}")
    values: dict[str, Any] = {"sequence_number": sequence, "command_status": status}
    if length > 16 or cls not in _BODYLESS_ON_ERROR:
        try:
            _decode_body(cls, frame, values)
        except _FieldError as exc:
            raise PduError(S(exc.status), command_id, sequence, exc.reason) from None
    return cls(**values)


class _FieldError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


def _decode_body(cls: type[p.Pdu], frame: bytes, values: dict[str, Any]) -> None:
    pos, end = 16, len(frame)
    for name, kind, size, status in LAYOUTS[cls]:
        if pos >= end:
            raise _FieldError(S.ESME_RINVCMDLEN, f"body ends before {name}")
        if kind == _C:
            nul = frame.find(0, pos, pos + size)
            if nul < 0:
                short = pos + size > end
                raise _FieldError(S.ESME_RINVCMDLEN if short else status, f"{name} too long")
            values[name] = frame[pos:nul].decode("latin-1")
            pos = nul + 1
        elif kind == _U8:
            values[name] = frame[pos]
            pos += 1
        else:
            sm_end = pos + 1 + frame[pos]
            if sm_end > end:
                raise _FieldError(status, "sm_length beyond the body")
            values[name] = frame[pos + 1 : sm_end]
            pos = sm_end
    if cls in _HAS_TLVS:
        values["tlvs"] = _decode_tlvs(frame, pos)
    elif pos != end:
        raise _FieldError(S.ESME_RINVCMDLEN, "bytes after the body")


def _decode_tlvs(frame: bytes, pos: int) -> tuple[p.Tlv, ...]:
    tlvs: list[p.Tlv] = []
    end = len(frame)
    while pos < end:
        if pos + 4 > end:
            raise _FieldError(S.ESME_RINVOPTPARSTREAM, "truncated TLV header")
        tag, size = TLV_HEADER.unpack_from(frame, pos)
        pos += 4
        if pos + size > end:
            raise _FieldError(S.ESME_RINVOPTPARSTREAM, f"TLV 0x{tag:04X} beyond the body")
        tlvs.append(p.Tlv(tag, frame[pos : pos + size]))
        pos += size
    return tuple(tlvs)


class Decoder(FrameDecoder[p.Pdu, PduError]):
    """Bytes in, PDUs (or ``PduError`` values) out; a partial frame waits for more bytes."""

    def __init__(self, max_length: int = MAX_COMMAND_LENGTH) -> None:
        super().__init__(
            header_length=16,
            max_length=max_length,
            decode=decode,
            error_type=PduError,
            framing_error=_framing_error,
        )


def _framing_error(header: bytes, length: int) -> PduError:
    _, command_id, _, sequence = HEADER.unpack(header)
    return PduError(S.ESME_RINVCMDLEN, command_id, sequence, f"command_length {length}", fatal=True)


def response_status_pdu(error: PduError) -> p.Pdu:
    """What to send back for ``error``: the matching response, or generic_nack."""
    request = CLASSES.get(error.command_id)
    resp = p.RESPONSE_OF.get(request) if request else None
    cls = resp or p.GenericNack
    if error.command_status == S.ESME_RINVCMDID or error.fatal:
        cls = p.GenericNack
    return cls(sequence_number=error.sequence_number, command_status=error.command_status)


__all__ = [
    "CommandId",
    "Decoder",
    "PduError",
    "decode",
    "encode",
    "encode_deliver_sm_resp",
    "response_status_pdu",
]
