"""Carrier connectors: SMPP ESME client (and CMPP later) behind one submit interface."""
