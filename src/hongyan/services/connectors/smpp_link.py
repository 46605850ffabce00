"""One TCP connection carrying SMPP PDUs: ``link.Link`` with the SMPP codec.

An undecodable PDU is answered with its response (or generic_nack) and the command_status the
codec names; a framing error closes the connection. Both the ESME client and the SMSC
simulator build on ``PduLink``.
"""

from __future__ import annotations

from hongyan.protocols.smpp.codec import Decoder, PduError, encode, response_status_pdu
from hongyan.protocols.smpp.pdu import Pdu
from hongyan.services.connectors.link import Link, LinkCodec

SMPP: LinkCodec[Pdu, PduError] = LinkCodec(Decoder, encode, PduError, response_status_pdu)


class PduLink(Link[Pdu, PduError]):
    """Subclasses implement ``pdu_received`` and may override the other hooks."""

    def __init__(self) -> None:
        super().__init__(SMPP)
