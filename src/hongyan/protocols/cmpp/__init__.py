"""CMPP 2.0 (China Mobile Peer to Peer), the SP side's protocol to an ISMG: pure codecs."""
