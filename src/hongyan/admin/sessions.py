"""Signed session cookies: who is signed in to a back-office face, and the form token.

A session is not stored on the server: the cookie carries a small payload signed with a key
derived from the server key and the face's realm (``portal`` or ``console``), so a partner's
cookie is worthless to the operator console and the reverse. The payload names the subject
(account or operator id), a fingerprint of the subject's stored password hash (changing the
password changes the fingerprint, which ends every session signed with the old one), the CSRF
token of this session and when it was issued. A visitor who has not signed in gets an anonymous
session too, so the sign-in form itself carries a CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from hongyan.services.api.http import came_over_tls

SECURE_CHOICES = ("auto", "always", "never")


@dataclass(frozen=True)
class Session:
    subject: int | None  # account or operator id; None = not signed in
    credential: str  # fingerprint of the subject's password hash ("" when anonymous)
    csrf: str  # the token every unsafe request must echo

    @property
    def signed_in(self) -> bool:
        return self.subject is not None


def new_session(subject: int | None = None, credential: str = "") -> Session:
    """A fresh session: a new CSRF token every time, so signing in never reuses one."""
    return Session(subject=subject, credential=credential, csrf=secrets.token_urlsafe(24))


def derive_key(server_key: bytes, purpose: str) -> bytes:
    """A key for one purpose only (``session:portal``, ``credential``…), never the server key."""
    return hmac.new(server_key, f"hongyan-admin:{purpose}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class SessionCookie:
    """How one realm's session travels: cookie name, path, lifetime, signing key, Secure rule."""

    realm: str
    name: str
    path: str
    max_age: int  # seconds
    server_key: bytes
    secure: str = "auto"  # auto (when the request came over https) | always | never

    @property
    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            derive_key(self.server_key, f"session:{self.realm}"), salt=self.realm
        )

    def fingerprint(self, password_hash: str) -> str:
        """Names a password without revealing it; a new hash gives a new fingerprint."""
        key = derive_key(self.server_key, f"credential:{self.realm}")
        return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]

    def read(self, request: Request) -> Session | None:
        """The session the request carries, or ``None`` (absent, forged, expired, malformed)."""
        raw = request.cookies.get(self.name)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        subject, credential, csrf = data.get("s"), data.get("c"), data.get("t")
        if not (subject is None or isinstance(subject, int)) or isinstance(subject, bool):
            return None
        if not isinstance(credential, str) or not isinstance(csrf, str) or len(csrf) < 16:
            return None
        return Session(subject=subject, credential=credential, csrf=csrf)

    def write(self, response: Response, request: Request, session: Session) -> None:
        payload = {"s": session.subject, "c": session.credential, "t": session.csrf}
        value = self._serializer.dumps(payload)
        response.set_cookie(
            self.name,
            value,
            max_age=self.max_age,
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=self.is_secure(request),
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            self.name,
            path=self.path,
            httponly=True,
            samesite="lax",
            secure=self.is_secure(request),
        )

    def is_secure(self, request: Request) -> bool:
        if self.secure == "always":
            return True
        if self.secure == "never":
            return False
        return came_over_tls(request, request.app.state.context.trusted_proxies)
