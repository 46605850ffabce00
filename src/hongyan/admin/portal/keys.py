"""The portal's API keys for the REST API: create with a label (the key is shown once, on the
answer to the POST, never again), list, revoke. Only the digest is stored (core.api_keys)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.office import BackOffice
from hongyan.admin.portal.face import PortalFace
from hongyan.admin.views import View, page
from hongyan.core.accounts import Account
from hongyan.core.api_keys import MAX_LABEL, check_label, issue_api_key
from hongyan.core.errors import NotFound

MAX_KEYS = 50  # live keys per account: enough for every system a partner runs


def routes(office: BackOffice, face: PortalFace) -> list[BaseRoute]:
    return [
        Route("/keys", page(office, face, show), methods=["GET"]),
        Route("/keys", page(office, face, create), methods=["POST"]),
        Route("/keys/{key_id:int}/revoke", page(office, face, revoke), methods=["POST"]),
    ]


async def _render(view: View[Account], status: int = 200, **values: object) -> Response:
    keys = await view.store.list_api_keys(view.signed_in_user.id)
    keys.sort(key=lambda k: (k.revoked_at is not None, -k.id))  # live ones first, newest first
    values.setdefault("error", None)
    values.setdefault("notice", None)
    values.setdefault("issued", None)
    values.setdefault("label", "")
    return view.render("portal/keys.html", status=status, keys=keys, max_label=MAX_LABEL, **values)


async def show(view: View[Account]) -> Response:
    return await _render(view)


async def create(view: View[Account]) -> Response:
    account = view.signed_in_user
    try:
        label = check_label(view.field("label"))
    except ValueError:
        return await _render(view, 400, error="keys.bad_label", label=view.field("label"))
    live = [k for k in await view.store.list_api_keys(account.id) if k.revoked_at is None]
    if len(live) >= MAX_KEYS:
        return await _render(view, 400, error="keys.too_many", label=label)
    issued = issue_api_key()
    await view.store.create_api_key(account.id, label, issued.prefix, issued.key_hash)
    return await _render(view, issued=issued.secret, notice="keys.created")


async def revoke(view: View[Account]) -> Response:
    key_id: int = view.request.path_params["key_id"]
    account_id = view.signed_in_user.id
    if not await view.store.revoke_api_key(account_id, key_id):
        raise NotFound(f"API key {key_id}")  # another account's, already revoked or missing
    for key in await view.store.list_api_keys(account_id):
        if key.id == key_id:  # this process stops accepting it now, the others within 1 s
            view.context.authenticator.forget_key(key.prefix)
    return await _render(view, notice="keys.revoked")
