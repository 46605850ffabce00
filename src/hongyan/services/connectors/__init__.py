"""Carrier connectors: the SMPP ESME client and the CMPP SP client behind one submit interface."""
