"""GSM 03.38 default alphabet: detection, septet counting, and (un)packing.

The basic table maps 128 septet values to characters; the extension table is reached through
the escape septet 0x1B, so each extension character costs two septets. Packing is the
SMS-over-the-air 7-bit packing (SMPP data_coding 0 is usually sent unpacked, one septet per
octet, which is what ``encode``/``decode`` do; ``pack``/``unpack`` exist for UDH-aligned uses).
"""

from __future__ import annotations

ESCAPE = 0x1B

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
assert len(BASIC) == 128

EXTENSION = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_BASIC_INDEX = {ch: i for i, ch in enumerate(BASIC) if i != ESCAPE}
_EXT_INDEX = {ch: code for code, ch in EXTENSION.items()}


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the basic or the extension table."""
    return all(ch in _BASIC_INDEX or ch in _EXT_INDEX for ch in text)


def septet_length(text: str) -> int:
    """Septets ``text`` needs: one per basic character, two per extension character."""
    return sum(2 if ch in _EXT_INDEX else 1 for ch in text)


def septet_cost(ch: str) -> int:
    return 2 if ch in _EXT_INDEX else 1


def encode(text: str) -> bytes:
    """Unpacked septets, one per octet. Raises ``ValueError`` on a non-GSM character."""
    out = bytearray()
    for ch in text:
        code = _BASIC_INDEX.get(ch)
        if code is not None:
            out.append(code)
            continue
        ext = _EXT_INDEX.get(ch)
        if ext is None:
            raise ValueError(f"character {ch!r} is not in the GSM 03.38 alphabet")
        out += bytes((ESCAPE, ext))
    return bytes(out)


def decode(data: bytes) -> str:
    """Unpacked septets to text; unknown escapes decode as a space, as handsets do."""
    if b"\x1b" not in data and b"\x9b" not in data:  # no escape: one C-level translate
        return data.decode("latin-1").translate(_DECODE)
    chars: list[str] = []
    escaped = False
    for octet in data:
        septet = octet & 0x7F
        if escaped:
            chars.append(EXTENSION.get(septet, " "))
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            chars.append(BASIC[septet])
    return "".join(chars)


def pack(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets into octets, little-endian bit order, after ``fill_bits`` zero bits."""
    acc = 0
    bits = fill_bits
    out = bytearray()
    for septet in septets:
        acc |= (septet & 0x7F) << bits
        bits += 7
        while bits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            bits -= 8
    if bits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack(data: bytes, count: int, fill_bits: int = 0) -> bytes:
    """Unpack ``count`` septets from packed octets, skipping ``fill_bits`` leading bits."""
    value = int.from_bytes(data, "little") >> fill_bits
    return bytes((value >> (7 * i)) & 0x7F for i in range(count))


# str.translate table: GSM characters to their septet(s) as code points < 0x80; everything
# else in ASCII to a non-ASCII marker, so one ``isascii`` check tells whether all were GSM.
_TRANSLATE: dict[int, str] = {i: "\uffff" for i in range(128)}
_TRANSLATE.update({ord(ch): chr(code) for ch, code in _BASIC_INDEX.items()})
_TRANSLATE.update({ord(ch): "\x1b" + chr(code) for ch, code in _EXT_INDEX.items()})


def try_encode(text: str) -> bytes | None:
    """Unpacked septets like ``encode``, or ``None`` when ``text`` is not all GSM (fast)."""
    septets = text.translate(_TRANSLATE)
    return septets.encode("ascii") if septets.isascii() else None


# str.translate table for ``decode``: octet (as a latin-1 code point) to its basic-table
# character, the high bit ignored as in the per-octet path.
_DECODE: dict[int, str] = {i: BASIC[i & 0x7F] for i in range(256)}
