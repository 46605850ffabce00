"""The Jinja2 environment of the back office: escaping on, strict names, times in one zone.

Templates live in ``admin/templates`` (``base.html``, shared ``macros.html``, one folder per
face). Autoescaping is on for every ``.html`` template, so whatever a partner typed is shown
as text; only values built as ``Markup`` on purpose (the SVG charts) pass through as markup.
Undefined names raise instead of rendering as nothing, so a typo fails the tests.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/admin"


@cache
def _asset_version(name: str) -> str:
    """A short hash of a static file: its URL changes when it does, so caches never go stale."""
    try:
        return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(name: str) -> str:
    return f"{STATIC_PREFIX}/{name}?v={_asset_version(name)}"


def create_environment(tz: ZoneInfo) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hongyan.admin", "templates"),
        autoescape=jinja2.select_autoescape(["html", "svg", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def localtime(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        """An aware time in the configured zone; "–" for none."""
        if moment is None:
            return "–"
        return moment.astimezone(tz).strftime(fmt)

    def number(value: int | float | None) -> str:
        if value is None:
            return "–"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"

    def percent(value: float | None) -> str:
        return "–" if value is None else f"{value * 100:.1f}%"

    env.filters.update(localtime=localtime, number=number, percent=percent)
    env.globals.update(static=static_url, timezone=str(tz))
    return env
