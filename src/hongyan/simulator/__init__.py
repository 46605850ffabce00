"""The SMSC simulator for demos, tests and load tests."""
