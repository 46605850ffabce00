"""The portal as a face of the back office: realm, navigation, and how partners sign in."""

from __future__ import annotations

import asyncio
import functools

from hongyan.admin.labels import COMMON
from hongyan.admin.office import BackOffice, Face, NavItem
from hongyan.admin.portal.labels import PORTAL
from hongyan.core.accounts import Account, hash_password, verify_password
from hongyan.services.api.context import ApiContext

PortalFace = Face[Account]
NAV = (
    NavItem("/", "nav.overview"),
    NavItem("/messages", "nav.messages"),
    NavItem("/inbound", "nav.inbound"),
    NavItem("/settings", "nav.settings"),
    NavItem("/keys", "nav.keys"),
    NavItem("/password", "nav.password"),
)


def portal_face(office: BackOffice) -> PortalFace:
    return Face(
        realm="portal",
        prefix="/portal",
        title="portal.title",
        catalog=COMMON.merged(PORTAL.labels),
        load=_load,
        cookie=office.session_cookie("portal", "/portal"),
        nav=NAV,
    )


async def _load(context: ApiContext, account_id: int) -> Account | None:
    return await context.store.get_account_by_id(account_id)


@functools.cache
def _decoy_hash() -> str:
    return hash_password("no account has this password")


async def verify(context: ApiContext, name: str, password: str) -> Account | None:
    """The account when ``password`` is its password (argon2id, off the event loop)."""
    account = await context.store.get_account(name)
    # An unknown name costs the same slow hash as a known one: timing does not tell them apart.
    stored = account.password_hash if account is not None else await asyncio.to_thread(_decoy_hash)
    ok = await asyncio.to_thread(verify_password, stored, password)
    return account if ok and account is not None else None
