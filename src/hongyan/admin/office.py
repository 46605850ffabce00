"""The back office's shared parts, and the faces built on them (partner portal, operator console).

``BackOffice`` is made once per HTTP server from the settings and the server key: the
templates, the time zone, the sign-in throttle. A ``Face`` is one signed-in area: its URL
prefix, its realm (separate session cookie and signing key: a partner's session never opens
the console), its labels, its navigation, and how it loads who is signed in. The store and the
rest of the API context are read from ``request.app.state.context`` at request time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

import jinja2

from hongyan.admin.i18n import Catalog
from hongyan.admin.sessions import SessionCookie
from hongyan.admin.templating import create_environment
from hongyan.admin.throttle import SignInThrottle
from hongyan.config import AdminSettings, Settings
from hongyan.services.api.context import ApiContext
from hongyan.services.timing import utcnow


class Principal(Protocol):
    """Someone who signs in: an ``Account`` (portal) or an operator (console)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def password_hash(self) -> str: ...
    @property
    def active(self) -> bool: ...


U = TypeVar("U", bound=Principal)
Loader = Callable[[ApiContext, int], Awaitable[U | None]]


@dataclass
class BackOffice:
    settings: Settings
    server_key: bytes
    templates: jinja2.Environment
    tz: ZoneInfo
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def create(cls, settings: Settings, server_key: bytes) -> BackOffice:
        tz = ZoneInfo(settings.admin.timezone)
        return cls(settings, server_key, create_environment(tz), tz)

    @property
    def admin(self) -> AdminSettings:
        return self.settings.admin

    def session_cookie(self, realm: str, path: str) -> SessionCookie:
        return SessionCookie(
            realm=realm,
            name=f"hy_{realm}",
            path=path,
            max_age=int(self.admin.session_hours * 3600),
            server_key=self.server_key,
            secure=self.admin.secure_cookies,
        )


@dataclass(frozen=True)
class NavItem:
    path: str  # under the face's prefix, e.g. "/messages"
    label: str  # label key


@dataclass(frozen=True)
class Face(Generic[U]):
    """One signed-in area of the back office."""

    realm: str  # "portal" | "console": names the cookie and the signing key
    prefix: str  # "/portal"
    title: str  # label key of the face's name
    catalog: Catalog
    load: Loader[U]  # the principal with this id, or None
    cookie: SessionCookie
    nav: tuple[NavItem, ...] = ()
    home: str = "/"  # where signing in leads

    def url(self, path: str = "/") -> str:
        return self.prefix + path

    def throttled_name(self, name: str) -> str:
        """The name as the sign-in throttle counts it: a partner and an operator may share a
        name, and failures on one face must not lock the other out."""
        return f"{self.realm}:{name}"

    def safe_next(self, target: str | None) -> str:
        """A post-sign-in destination inside this face; anything else is the face's home."""
        inside = target is not None and target.startswith(self.prefix + "/")
        if inside and target is not None and not any(c in target for c in "\\\r\n"):
            return target
        return self.url(self.home)
