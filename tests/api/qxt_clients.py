"""How real 企信通 clients encode requests and read answers, byte for byte.

Each encoder reproduces one platform's URL encoder (its safe characters, hex case and space);
each parser is the code deployed clients run on the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_JAVA_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")
_PHP_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
_CSHARP_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!*()")


def _encode(data: bytes, safe: frozenset[int], hex_format: str) -> str:
    out = []
    for byte in data:
        if byte == 0x20:
            out.append("+")
        elif byte in safe:
            out.append(chr(byte))
        else:
            out.append("%" + format(byte, hex_format))
    return "".join(out)


def java_urlencoder(value: str, charset: str = "GBK") -> str:
    """``URLEncoder.encode(value, charset)``."""
    return _encode(value.encode(charset), _JAVA_SAFE, "02X")


def php_urlencode_iconv(value: str) -> str:
    """``urlencode(iconv("UTF-8", "GBK", $value))``."""
    return _encode(value.encode("gbk"), _PHP_SAFE, "02X")


def csharp_httputility(value: str) -> str:
    """``HttpUtility.UrlEncode(value, Encoding.GetEncoding("GB2312"))``: lower-case hex."""
    return _encode(value.encode("gb2312"), _CSHARP_SAFE, "02x")


def join(params: Mapping[str, str], encoder: object) -> str:
    assert callable(encoder)
    return "&".join(f"{name}={encoder(value)}" for name, value in params.items())


# --- answer parsers -----------------------------------------------------------------------

QXT_REGEX = re.compile(r"num=(\d+)&success=([\d,]*)&faile=([\d,]*)&err=(.*)&errid=(\d+)")


def java_split_parser(answer: str) -> tuple[int, int]:
    """``String[] a = s.split("&"); num = a[0].split("=")[1]; errid = a[4].split("=")[1]``."""
    parts = answer.split("&")
    return int(parts[0].split("=")[1]), int(parts[4].split("=")[1])


def regex_parser(answer: str) -> tuple[int, list[str], list[str], str, int]:
    match = QXT_REGEX.match(answer)
    assert match is not None, answer
    num, success, faile, err, errid = match.groups()
    return (
        int(num),
        [n for n in success.split(",") if n],
        [n for n in faile.split(",") if n],
        err,
        int(errid),
    )


def prefix_parser(answer: str) -> bool:
    """``if (!result.startsWith("num=0")) ok``: sent when the answer does not start num=0."""
    return not answer.startswith("num=0")
