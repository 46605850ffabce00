"""What the HTTP routes share: the store, authentication, the send path and the limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hongyan.services.api.auth import Authenticator
from hongyan.services.api.sending import Sender
from hongyan.services.timing import utcnow
from hongyan.store.base import Store


@dataclass
class ApiContext:
    store: Store
    authenticator: Authenticator
    sender: Sender
    clock: Callable[[], datetime] = utcnow
    max_body_bytes: int = 4 * 1024 * 1024  # hard cap before the account is known
    trusted_proxies: tuple[str, ...] = ()
    server_key: bytes | None = None  # signs test pushes like real ones (REST webhooks/test)
