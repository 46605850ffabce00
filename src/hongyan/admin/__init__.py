"""The web back office: the partner portal (``/portal``) and the operator console (``/admin``).

``routes(settings, server_key)`` is what the platform adds to its HTTP app. Both faces share
the framework here (sessions, CSRF, i18n, templates, pagination, charts: see
docs/reference/back-office.md). The console lives in ``hongyan.admin.console`` and offers
``routes(office: BackOffice) -> list[BaseRoute]``, mounted under ``/admin``.
"""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from hongyan.admin.office import BackOffice
from hongyan.admin.templating import STATIC_DIR, STATIC_PREFIX
from hongyan.config import Settings


def routes(settings: Settings, server_key: bytes) -> list[BaseRoute]:
    """Mounts for the portal, the console (when present) and the static assets."""
    from hongyan.admin import portal  # the faces import the framework, not the reverse

    office = BackOffice.create(settings, server_key)
    mounts: list[BaseRoute] = [
        Mount(STATIC_PREFIX, app=StaticFiles(directory=STATIC_DIR), name="admin-static"),
        Mount("/portal", routes=portal.routes(office)),
    ]
    try:
        console = importlib.import_module("hongyan.admin.console")
    except ModuleNotFoundError as exc:
        if exc.name != "hongyan.admin.console":
            raise
    else:
        console_routes = getattr(console, "routes", None)  # absent while the console is built
        if console_routes is not None:
            mounts.append(Mount("/admin", routes=console_routes(office)))
    return mounts
