"""The domain: accounts, numbers, text, message lifecycle, admission. Synchronous, typed, no I/O."""
