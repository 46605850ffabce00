"""``Authorization: Bearer <API key>`` for /api/v1, through the shared ``Authenticator``."""

from __future__ import annotations

from starlette.requests import Request

from hongyan.core.accounts import Account
from hongyan.core.errors import Refusal
from hongyan.services.api.context import ApiContext
from hongyan.services.api.http import client_address
from hongyan.services.api.rest.problems import Problem

CHALLENGE = 'Bearer realm="hongyan"'
RETRY_FAILED_AUTH = "60"  # the Authenticator's failure window


def _unauthorized(detail: str, error: str | None = None) -> Problem:
    challenge = CHALLENGE + (f', error="{error}"' if error else "")
    return Problem("unauthorized", detail, headers={"WWW-Authenticate": challenge})


async def authenticate(request: Request, context: ApiContext) -> Account:
    """The account whose key the request presents; a problem (401/403/429) otherwise."""
    header = request.headers.get("authorization")
    if header is None:
        raise _unauthorized("send your API key as Authorization: Bearer hy_…")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized(
            "the Authorization header must be 'Bearer <API key>'", "invalid_request"
        )
    address = client_address(request, context.trusted_proxies)
    auth = await context.authenticator.check_api_key(token.strip(), address)
    if auth.refusal is Refusal.TOO_MANY_ATTEMPTS:
        raise Problem(
            "rate-limited",
            "too many failed authentications from this address",
            headers={"Retry-After": RETRY_FAILED_AUTH},
        )
    if auth.refusal is Refusal.IP_NOT_ALLOWED:
        raise Problem("forbidden", f"the account does not allow requests from {address}")
    if auth.refusal is Refusal.ACCOUNT_STOPPED:
        raise Problem("forbidden", "the account is stopped")
    if auth.refusal is not None or auth.account is None:
        raise _unauthorized("the API key is unknown or revoked", "invalid_token")
    return auth.account
