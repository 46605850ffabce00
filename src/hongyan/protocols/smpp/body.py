"""short_message bodies: text per data_coding, and the UDH that concatenates segments.

data_coding 0 is the GSM 03.38 default alphabet sent unpacked (one septet per octet, what
SMSCs expect over SMPP), 8 is UCS2 (UTF-16BE, so emoji travel as surrogate pairs), 3 is
Latin-1. A concatenated segment starts with a UDH (esm_class bit 0x40): IE 0x00 carries an
8-bit reference, IE 0x08 a 16-bit one; other IEs are kept but not interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass

from hongyan.protocols import gsm7
from hongyan.protocols.smpp.constants import ESM_CLASS_UDHI, DataCoding

IE_CONCAT_8 = 0x00
IE_CONCAT_16 = 0x08


def encode_text(text: str, data_coding: int) -> bytes:
    """``text`` as octets for ``data_coding``; raises ``ValueError`` if it cannot be encoded."""
    if data_coding == DataCoding.DEFAULT:
        return gsm7.encode(text)
    if data_coding == DataCoding.UCS2:
        return text.encode("utf-16-be")
    if data_coding == DataCoding.LATIN1:
        return text.encode("latin-1")
    if data_coding == DataCoding.IA5:
        return text.encode("ascii")
    raise ValueError(f"no text encoding for data_coding {data_coding}")


def decode_text(data: bytes, data_coding: int) -> str:
    """Octets to text; never raises (undecodable octets become U+FFFD)."""
    if data_coding == DataCoding.DEFAULT:
        return gsm7.decode(data)
    if data_coding == DataCoding.UCS2:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == DataCoding.IA5:
        return data.decode("ascii", errors="replace")
    return data.decode("latin-1")


@dataclass(frozen=True, slots=True)
class Concat:
    reference: int
    total: int
    seqnum: int  # 1-based
    wide: bool = False  # 16-bit reference IE


@dataclass(frozen=True, slots=True)
class Udh:
    concat: Concat | None
    other: tuple[tuple[int, bytes], ...] = ()


def encode_udh(udh: Udh) -> bytes:
    ies = bytearray()
    if udh.concat is not None:
        c = udh.concat
        if c.wide:
            ies += bytes((IE_CONCAT_16, 4)) + c.reference.to_bytes(2, "big")
        else:
            ies += bytes((IE_CONCAT_8, 3, c.reference & 0xFF))
        ies += bytes((c.total, c.seqnum))
    for iei, data in udh.other:
        ies += bytes((iei, len(data))) + data
    return bytes((len(ies),)) + bytes(ies)


def split_udh(short_message: bytes) -> tuple[Udh, bytes]:
    """The UDH at the start of ``short_message`` and the payload after it.

    Raises ``ValueError`` on a header that overruns the message or its own length.
    """
    if not short_message:
        raise ValueError("empty message cannot carry a UDH")
    end = 1 + short_message[0]
    if end > len(short_message):
        raise ValueError("UDH longer than the message")
    concat: Concat | None = None
    other: list[tuple[int, bytes]] = []
    pos = 1
    while pos < end:
        if pos + 2 > end:
            raise ValueError("truncated information element")
        iei, size = short_message[pos], short_message[pos + 1]
        data = short_message[pos + 2 : pos + 2 + size]
        if pos + 2 + size > end:
            raise ValueError("information element overruns the UDH")
        if iei == IE_CONCAT_8 and size == 3:
            concat = Concat(data[0], data[1], data[2])
        elif iei == IE_CONCAT_16 and size == 4:
            concat = Concat(int.from_bytes(data[:2], "big"), data[2], data[3], wide=True)
        else:
            other.append((iei, bytes(data)))
        pos += 2 + size
    return Udh(concat, tuple(other)), short_message[end:]


@dataclass(frozen=True, slots=True)
class SegmentBody:
    """What one submit_sm/deliver_sm carries for one segment."""

    esm_class: int
    data_coding: int
    short_message: bytes


def segment_bodies(
    parts: list[str], data_coding: int, reference: int, *, wide: bool = False
) -> list[SegmentBody]:
    """Encode already-split segment texts; more than one gets a concatenation UDH each."""
    if len(parts) == 1:
        return [SegmentBody(0, data_coding, encode_text(parts[0], data_coding))]
    if len(parts) > 255:
        raise ValueError("more than 255 segments")
    bodies = []
    for seqnum, part in enumerate(parts, 1):
        udh = encode_udh(Udh(Concat(reference, len(parts), seqnum, wide)))
        bodies.append(
            SegmentBody(ESM_CLASS_UDHI, data_coding, udh + encode_text(part, data_coding))
        )
    return bodies


def body_text(esm_class: int, data_coding: int, short_message: bytes) -> tuple[Concat | None, str]:
    """A received body's concatenation info (if any) and its text."""
    if esm_class & ESM_CLASS_UDHI:
        try:
            udh, payload = split_udh(short_message)
        except ValueError:
            return None, decode_text(short_message, data_coding)
        return udh.concat, decode_text(payload, data_coding)
    return None, decode_text(short_message, data_coding)
