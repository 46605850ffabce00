"""Asyncio daemons, one role each: api, dispatcher, connectors, receipts, notifier."""
