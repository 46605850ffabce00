"""Msg_Content: text per Msg_Fmt, and the UDH that concatenates segments (TP_udhi = 1).

Msg_Fmt 0 is ASCII, one octet per character (up to 160 in one message); 8 is UCS2
(UTF-16BE, so emoji travel as surrogate pairs); 15 is GBK (read as GB18030, its superset).
A concatenated segment starts with the GSM 03.40 UDH also used over SMPP (IE 0x00, an 8-bit
reference) and keeps within 140 octets, UDH included; Pk_total and Pk_number repeat the count.
"""

from __future__ import annotations

from dataclasses import dataclass

from hongyan.protocols.cmpp.constants import MsgFmt
from hongyan.protocols.smpp.body import Concat, Udh, encode_udh, split_udh

MAX_CONTENT = 140  # octets a segment carries, UDH included (Msg_Fmt 0 alone allows 160)
ASCII_SINGLE = 160  # ASCII characters in a message sent whole
ASCII_SEGMENT = MAX_CONTENT - 6  # ASCII characters per concatenated segment (after the UDH)


def encode_text(text: str, msg_fmt: int) -> bytes:
    """``text`` as octets for ``msg_fmt``; raises ``ValueError`` if it cannot be encoded."""
    if msg_fmt == MsgFmt.ASCII:
        return text.encode("ascii")
    if msg_fmt == MsgFmt.UCS2:
        return text.encode("utf-16-be")
    if msg_fmt == MsgFmt.GBK:
        return text.encode("gbk")
    raise ValueError(f"no text encoding for Msg_Fmt {msg_fmt}")


def decode_text(data: bytes, msg_fmt: int) -> str:
    """Octets to text; never raises (undecodable octets become U+FFFD)."""
    if msg_fmt == MsgFmt.UCS2:
        return data.decode("utf-16-be", errors="replace")
    if msg_fmt == MsgFmt.GBK:
        return data.decode("gb18030", errors="replace")
    if msg_fmt == MsgFmt.ASCII:
        return data.decode("ascii", errors="replace")
    return data.decode("latin-1")


def split_ascii(text: str) -> list[str]:
    """ASCII text in the parts it is sent in: whole up to 160 characters, else 134 each."""
    if len(text) <= ASCII_SINGLE:
        return [text]
    return [text[i : i + ASCII_SEGMENT] for i in range(0, len(text), ASCII_SEGMENT)]


@dataclass(frozen=True, slots=True)
class SegmentContent:
    """What one CMPP_SUBMIT carries for one segment."""

    pk_total: int
    pk_number: int
    tp_udhi: int
    msg_fmt: int
    msg_content: bytes


def segment_contents(parts: list[str], msg_fmt: int, reference: int) -> list[SegmentContent]:
    """Encode already-split segment texts; more than one gets a concatenation UDH each.

    Raises ``ValueError`` when a text cannot be encoded or a segment would not fit.
    """
    if len(parts) == 1:
        content = encode_text(parts[0], msg_fmt)
        limit = ASCII_SINGLE if msg_fmt == MsgFmt.ASCII else MAX_CONTENT
        if len(content) > limit:
            raise ValueError(f"{len(content)} octets do not fit one message")
        return [SegmentContent(1, 1, 0, msg_fmt, content)]
    if len(parts) > 255:
        raise ValueError("more than 255 segments")
    contents = []
    for number, part in enumerate(parts, 1):
        udh = encode_udh(Udh(Concat(reference & 0xFF, len(parts), number)))
        content = udh + encode_text(part, msg_fmt)
        if len(content) > MAX_CONTENT:
            raise ValueError(f"segment {number}: {len(content)} octets, over {MAX_CONTENT}")
        contents.append(SegmentContent(len(parts), number, 1, msg_fmt, content))
    return contents


def split_content(tp_udhi: int, msg_content: bytes) -> tuple[Concat | None, bytes]:
    """A received content's concatenation info (if its UDH has one) and the payload after
    the UDH; a UDH that does not parse is taken as text."""
    if not tp_udhi:
        return None, msg_content
    try:
        udh, payload = split_udh(msg_content)
    except ValueError:
        return None, msg_content
    return udh.concat, payload
