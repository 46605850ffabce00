"""SMPP 3.4: PDUs, codec, session state machine, receipts, message bodies."""
