"""CMPP_CONNECT authentication: the timestamp and both authenticators (MD5 digests).

AuthenticatorSource = MD5(Source_Addr + 9 zero octets + shared secret + timestamp), the
timestamp as its ten digits MMDDHHMMSS. The ISMG proves it knows the secret too:
AuthenticatorISMG = MD5(Status + AuthenticatorSource + shared secret), Status as it is on the
wire (one octet in CMPP 2.0, four in 3.0). The clock is the caller's.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from hongyan.protocols.cmpp.constants import VERSION_2_0


def timestamp(moment: datetime) -> int:
    """MMDDHHMMSS of ``moment`` (its own time zone: China Standard Time on a real ISMG)."""
    return int(moment.strftime("%m%d%H%M%S"))


def authenticator_source(source_addr: str, secret: str, stamp: int) -> bytes:
    data = source_addr.encode("latin-1") + b"\0" * 9 + secret.encode() + b"%010d" % stamp
    return hashlib.md5(data, usedforsecurity=False).digest()


def authenticator_ismg(
    status: int, source: bytes, secret: str, version: int = VERSION_2_0
) -> bytes:
    size = 1 if version == VERSION_2_0 else 4
    data = status.to_bytes(size, "big") + source + secret.encode()
    return hashlib.md5(data, usedforsecurity=False).digest()
