"""One TCP connection carrying CMPP PDUs: ``link.Link`` with the CMPP codec of one version.

An undecodable CMPP_SUBMIT or CMPP_DELIVER is answered with its response and the Result the
codec names; other undecodable requests have no response that could say so and are only
logged; a framing error closes the connection. Both the SP client and the ISMG simulator
build on ``CmppLink``.
"""

from __future__ import annotations

import logging
from functools import partial

from hongyan.protocols.cmpp.codec import CmppError, Decoder, encode, error_response
from hongyan.protocols.cmpp.constants import VERSION_2_0
from hongyan.protocols.cmpp.pdu import Pdu
from hongyan.services.connectors.link import Link, LinkCodec

log = logging.getLogger(__name__)


def _error_answer(error: CmppError) -> Pdu | None:
    log.warning("undecodable CMPP PDU: %s", error.reason)
    return error_response(error)


def cmpp_codec(version: int = VERSION_2_0) -> LinkCodec[Pdu, CmppError]:
    """The CMPP wire format of ``version`` (2.0 or 3.0), as a link uses it."""
    return LinkCodec(
        partial(Decoder, version), partial(encode, version=version), CmppError, _error_answer
    )


class CmppLink(Link[Pdu, CmppError]):
    """Subclasses implement ``pdu_received`` and may override the other hooks."""

    def __init__(self, version: int = VERSION_2_0) -> None:
        super().__init__(cmpp_codec(version))
        self.version = version
