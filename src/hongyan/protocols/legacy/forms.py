"""Request parameters of the legacy dialects: query string + urlencoded, multipart or JSON body.

Theory of operation
-------------------
``parse_form(method, query, content_type, body)`` reads the query string and the body (a body
is read on every method, ``GET`` included: some Java clients send one) and returns a `Form`.

* Bodies: ``multipart/form-data`` (PHP curl posting an array) is split on its boundary here;
  ``application/json`` (or a body that starts with ``{``) must be one JSON object; anything
  else, a missing Content-Type included, is read as ``application/x-www-form-urlencoded``.
* Merging: fields keep their order, query first, then body; when a name repeats, the last
  occurrence wins, so **the body wins over the query string**, and a later duplicate over an
  earlier one (PHP's rule). Every occurrence stays in `Form.fields`.
* Charset of percent-decoded bytes, per name and per value: a ``charset=`` declared in the
  Content-Type (or in a multipart part's own header) wins when the bytes are valid in it;
  otherwise UTF-8 when the bytes are valid UTF-8, otherwise GB18030 (a superset of GBK and
  GB2312, which clients that say ``gb2312`` really send). Bytes valid in none of these (a
  client cut a GBK character in half) are decoded as GB18030 with U+FFFD in place of the bad
  bytes, and the field is marked ``lossy`` so the caller can refuse or accept it.
* JSON values: strings as they are; integers in decimal (``"mb": 8613...`` is common); a list
  of scalars joined with ``,`` (``"mb": ["86…", "86…"]``); ``true``/``false`` → ``1``/``0``;
  ``null`` drops the key; a nested object is an error.
* Names are kept as sent; ``fold_case=True`` (企信通, whose IIS servers ignore case) makes
  `Form.get` and `Form.params` case-insensitive by lower-casing names.

Every malformed input raises `FormError` (and nothing else); its ``reason`` says which kind.
Work is linear in the input size; the caller bounds the size.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "Field",
    "Form",
    "FormError",
    "FormErrorReason",
    "Source",
    "decode_text",
    "parse_content_type",
    "parse_form",
    "percent_decode",
    "split_list",
]


class FormErrorReason(Enum):
    BAD_MULTIPART = "bad_multipart"
    BAD_JSON = "bad_json"
    JSON_NOT_OBJECT = "json_not_object"


class FormError(ValueError):
    """The request's parameters cannot be read; callers answer with a dialect error."""

    def __init__(self, reason: FormErrorReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class Source(Enum):
    QUERY = "query"
    BODY = "body"


@dataclass(frozen=True)
class Field:
    """One occurrence of a parameter, decoded, with the bytes it came from."""

    name: str
    value: str
    source: Source
    raw: bytes = b""  # the value's bytes after percent-decoding, before charset decoding
    charset: str = "utf-8"  # what decoded ``raw``; "json" for JSON values
    lossy: bool = False  # bytes valid in no candidate charset; U+FFFD stands in for them


@dataclass(frozen=True)
class Form:
    fields: tuple[Field, ...]
    fold_case: bool = False
    params: dict[str, str] = field(init=False, compare=False, repr=False)
    _lossy: dict[str, bool] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        params, lossy = _index(self.fields, self.fold_case)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "_lossy", lossy)

    def _key(self, name: str) -> str:
        return name.lower() if self.fold_case else name

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(self._key(name), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self.params

    def unreadable(self, names: tuple[str, ...]) -> bool:
        """Whether any of ``names`` was decoded with replacement characters or holds a NUL."""
        for name in names:
            key = self._key(name)
            if self._lossy.get(key, False) or "\x00" in self.params.get(key, ""):
                return True
        return False

    def lossy(self, name: str) -> bool:
        """Whether the winning value of ``name`` was decoded with replacement characters."""
        return self._lossy.get(self._key(name), False)


def _index(fields: tuple[Field, ...], fold_case: bool) -> tuple[dict[str, str], dict[str, bool]]:
    params: dict[str, str] = {}
    lossy: dict[str, bool] = {}
    for f in fields:  # later occurrences (body after query) win
        key = f.name.lower() if fold_case else f.name
        params[key] = f.value
        lossy[key] = f.lossy
    return params, lossy


def _form(fields: tuple[Field, ...], fold_case: bool) -> Form:
    """``Form(fields, fold_case)`` without a frozen dataclass's ``__setattr__`` per attribute."""
    params, lossy = _index(fields, fold_case)
    made: Form = object.__new__(Form)
    made.__dict__.update(fields=fields, fold_case=fold_case, params=params, _lossy=lossy)
    return made


# --- charsets -----------------------------------------------------------------------------

# Names clients declare for what is really GBK; decode them all with the superset.
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "ms936", "x-gbk", "euc-cn"})
_DECLARABLE = frozenset(
    {"ascii", "big5", "big5hkscs", "shift_jis", "euc_jp", "euc_kr", "cp949", "koi8-r"}
)
_DECLARABLE_FAMILIES = ("utf-", "utf_", "iso8859-", "cp125", "cp93", "cp95")
_UTF8 = "utf-8"
_FALLBACK = "gb18030"


@functools.lru_cache(maxsize=64)
def _known_charset(declared: str | None) -> str | None:
    if not declared:
        return None
    name = declared.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return _FALLBACK
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None  # an unknown label is ignored, as if none were declared
    # Only real character sets: "base64", "zlib", "rot13", "idna", "undefined" are not.
    if info.name in _DECLARABLE or info.name.startswith(_DECLARABLE_FAMILIES):
        return info.name
    return None


def decode_text(raw: bytes, declared: str | None = None) -> tuple[str, str, bool]:
    """``raw`` as text by the charset rule: (text, charset used, lossy)."""
    if raw.isascii() and declared is None:
        return raw.decode("ascii"), _UTF8, False
    candidates = [c for c in (_known_charset(declared), _UTF8, _FALLBACK) if c]
    for charset in dict.fromkeys(candidates):
        try:
            return raw.decode(charset), charset, False
        except ValueError:  # UnicodeDecodeError, and the odd codec's UnicodeError
            continue
    return raw.decode(_FALLBACK, errors="replace"), _FALLBACK, True


_new = object.__new__


def _ascii_field(name: str, value: bytes, source: Source) -> Field:
    """``Field(name, value.decode("ascii"), source, value)`` at half the cost.

    Why (py-spy on the API process): a frozen dataclass's ``__init__`` sets each of its six
    attributes through ``object.__setattr__``; the fields of every request go through here.
    tests/legacy/test_fast_paths.py checks the result equals the constructor's.
    """
    made: Field = _new(Field)
    made.__dict__.update(
        name=name, value=value.decode("ascii"), source=source, raw=value, charset=_UTF8, lossy=False
    )
    return made


def _field(name: bytes, value: bytes, source: Source, declared: str | None) -> Field:
    if declared is None and name.isascii() and value.isascii():  # the usual request
        return _ascii_field(name.decode("ascii"), value, source)
    text, charset, lossy = decode_text(value, declared)
    return Field(decode_text(name, declared)[0], text, source, value, charset, lossy)


# --- Content-Type -------------------------------------------------------------------------

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """(media type in lower case, parameters with lower-case names); ``("", {})`` for none."""
    if not value:
        return "", {}
    media, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[match.group(1).lower()] = raw
    return media.strip().lower(), params


# --- urlencoded ---------------------------------------------------------------------------


# Every two hex digits, in any mix of cases → the byte they spell.
_HEX = "0123456789abcdefABCDEF"
_BYTES = {(a + b).encode(): bytes([int(a + b, 16)]) for a in _HEX for b in _HEX}


def percent_decode(data: bytes) -> bytes:
    """``+`` → space, ``%XX`` → that byte; a malformed escape stays as it is (as on IIS, PHP).

    Split on ``%`` rather than a regular expression with a function per escape (a third of
    the cost): an escape's two hex digits are never ``%``, so each piece after a ``%`` starts
    either with its escape's digits or with what a malformed escape leaves as it was.
    """
    data = data.replace(b"+", b" ")
    if b"%" not in data:
        return data
    pieces = data.split(b"%")
    out = [pieces[0]]
    for piece in pieces[1:]:
        byte = _BYTES.get(piece[:2])
        if byte is None:
            out.append(b"%" + piece)
        else:
            out.append(byte + piece[2:])
    return b"".join(out)


def _urlencoded(data: bytes, source: Source, declared: str | None) -> Iterator[Field]:
    for pair in data.split(b"&"):
        name, _, value = pair.partition(b"=")
        if b"%" in name or b"+" in name:
            name = percent_decode(name)
        name = name.strip()
        if not name:
            continue  # also every blank pair: an empty or blank name drops the pair
        if b"%" in value or b"+" in value:
            value = percent_decode(value)
        yield _field(name, value, source, declared)


# --- multipart/form-data ------------------------------------------------------------------


def _part_headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in re.split(rb"\r?\n", block):
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return headers


def _multipart_part(part: bytes, declared: str | None) -> Field | None:
    if part.startswith((b"\r\n", b"\n")):
        return None  # a part without headers names no field
    head, sep, content = part.partition(b"\r\n\r\n")
    if not sep:
        head, sep, content = part.partition(b"\n\n")
    if not sep:
        raise FormError(FormErrorReason.BAD_MULTIPART, "a part has no blank line after headers")
    headers = _part_headers(head)
    _, disposition = parse_content_type(headers.get("content-disposition"))
    if "name" not in disposition:
        return None  # not a form field (e.g. a preamble-like part); PHP skips these too
    _, part_type = parse_content_type(headers.get("content-type"))
    charset = part_type.get("charset", declared)
    name = disposition["name"].encode("latin-1")  # header bytes were read as latin-1
    return _field(name, content, Source.BODY, charset)


def _multipart(body: bytes, params: dict[str, str]) -> Iterator[Field]:
    boundary = params.get("boundary", "").encode("latin-1", errors="replace")
    if not boundary or len(boundary) > 200:
        raise FormError(FormErrorReason.BAD_MULTIPART, "missing or invalid boundary")
    # A delimiter is "--boundary" at the start of a line; LF-only line ends are tolerated.
    chunks = (b"\r\n" + body).split(b"\n--" + boundary)
    if len(chunks) < 2:
        raise FormError(FormErrorReason.BAD_MULTIPART, "boundary not found in body")
    for chunk in chunks[1:]:  # chunks[0] is the preamble
        if chunk.startswith(b"--"):
            return  # close delimiter; the rest is epilogue
        _, _, chunk = chunk.partition(b"\n")  # transport padding and the line end
        found = _multipart_part(chunk.removesuffix(b"\r"), params.get("charset"))
        if found is not None:
            yield found
    # A body without a close delimiter (truncated by the client) still yields what it had.


# --- JSON ---------------------------------------------------------------------------------


def _json_scalar(name: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    raise FormError(FormErrorReason.BAD_JSON, f"field {name!r} is a nested object or array")


def _json_value(name: str, value: object) -> str | None:
    if isinstance(value, list):
        items = [_json_scalar(name, item) for item in value]
        return ",".join(item for item in items if item is not None)
    return _json_scalar(name, value)


def _json(body: bytes, declared: str | None) -> Iterator[Field]:
    text, _, _ = decode_text(body.strip(), declared)
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise FormError(FormErrorReason.BAD_JSON, "body is not valid JSON") from exc
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise FormError(FormErrorReason.JSON_NOT_OBJECT, f"JSON body is a {kind}, not an object")
    for name, value in document.items():
        text_value = _json_value(name, value)
        if text_value is not None:
            yield Field(name, text_value, Source.BODY, b"", "json", False)


# --- entry point --------------------------------------------------------------------------


def _body_fields(content_type: str | None, body: bytes) -> Iterator[Field]:
    media, params = parse_content_type(content_type)
    declared = params.get("charset")
    if media == "multipart/form-data":
        return _multipart(body, params)
    stripped = body.lstrip().removeprefix(b"\xef\xbb\xbf")
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return _json(stripped, declared)
    if media != "application/x-www-form-urlencoded" and stripped.startswith(b"{"):
        return _json(stripped, declared)  # no (or a wrong) Content-Type on a JSON body
    return _urlencoded(stripped, Source.BODY, declared)


def parse_form(
    method: str,
    query: bytes,
    content_type: str | None,
    body: bytes,
    *,
    fold_case: bool = False,
) -> Form:
    """The parameters of one request; raises `FormError` when they cannot be read.

    ``method`` is accepted for symmetry with the HTTP request and does not change the parsing:
    the body is read whatever the method (legacy clients send bodies with ``GET``).
    """
    del method
    declared = parse_content_type(content_type)[1].get("charset") if content_type else None
    fields = list(_urlencoded(query.lstrip(b"?"), Source.QUERY, declared))
    if body and not body.isspace():
        fields.extend(_body_fields(content_type, body))
    return _form(tuple(fields), fold_case)


_LIST_SEPARATORS = re.compile(r"[,，;；、\r\n]")


def split_list(value: str | None) -> tuple[str, ...]:
    """Items of a list split on ``,`` ``，`` ``;`` ``、`` or newlines, stripped, empties dropped."""
    if not value:
        return ()
    items = (item.strip() for item in _LIST_SEPARATORS.split(value))
    return tuple(item for item in items if item)
