"""Channels and routes in the console: each configured channel with the live state its
dispatchers publish (contract 4: bound binds, window in use, sends per second, queue depth,
last error), pause and resume, and the configured routes with the state of their channels.

The figures come from the store, not from this process, so the page is true whichever process
serves it. A bind whose lease has run out is shown as not bound: its dispatcher stopped
renewing, so what it last wrote is no longer news.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hongyan.admin.console.face import ConsoleFace, ConsoleView, audit
from hongyan.admin.office import BackOffice
from hongyan.admin.views import page
from hongyan.config import ChannelSettings, RouteSettings
from hongyan.core.errors import NotFound
from hongyan.core.messages import MessageState
from hongyan.store.base import ChannelState

LIVE_SECONDS = 3  # how often the open page refreshes the live table


@dataclass(frozen=True)
class ChannelView:
    name: str
    settings: ChannelSettings | None  # None: state published for a channel not configured here
    binds: int  # configured
    bound: int  # binds up now (lease held and current)
    window: int  # configured window × binds
    window_in_use: int
    sends_per_second: float
    queue_depth: int
    submits: int
    errors: int
    throttles: int
    last_error: str | None
    paused: bool
    owners: tuple[str, ...]
    updated_at: datetime | None

    @property
    def status(self) -> str:
        """paused | up | partial | down (a label key suffix)."""
        if self.paused:
            return "paused"
        if self.bound == 0:
            return "down"
        return "up" if self.bound >= self.binds else "partial"


@dataclass(frozen=True)
class RouteView:
    prefix: str
    channels: tuple[ChannelView, ...]


def channel_views(
    configured: Sequence[ChannelSettings],
    states: Sequence[ChannelState],
    paused: set[str],
    now: datetime,
) -> list[ChannelView]:
    """One row per configured channel (then any other channel with state), in config order."""
    names = [c.name for c in configured]
    names += sorted({s.channel for s in states} - set(names))
    by_name = {c.name: c for c in configured}
    return [
        _view(name, by_name.get(name), [s for s in states if s.channel == name], paused, now)
        for name in names
    ]


def _view(
    name: str,
    settings: ChannelSettings | None,
    slots: list[ChannelState],
    paused: set[str],
    now: datetime,
) -> ChannelView:
    live = [s for s in slots if s.owner and s.lease_until is not None and s.lease_until > now]
    errors = sorted(
        (s for s in slots if s.last_error), key=lambda s: s.updated_at or now, reverse=True
    )
    binds = settings.binds if settings else len(slots)
    return ChannelView(
        name=name,
        settings=settings,
        binds=binds,
        bound=sum(1 for s in live if s.bound),
        window=(settings.window if settings else 0) * binds,
        window_in_use=sum(s.window_in_use for s in live),
        sends_per_second=sum(s.sends_per_second for s in live),
        queue_depth=sum(s.queue_depth for s in live),
        submits=sum(s.submits for s in slots),
        errors=sum(s.errors for s in slots),
        throttles=sum(s.throttles for s in slots),
        last_error=errors[0].last_error if errors else None,
        paused=name in paused or any(s.paused for s in slots),
        owners=tuple(sorted({s.owner for s in live if s.owner})),
        updated_at=max((s.updated_at for s in slots if s.updated_at), default=None),
    )


def route_views(
    routes: Sequence[RouteSettings], channels: Sequence[ChannelView]
) -> list[RouteView]:
    by_name = {c.name: c for c in channels}
    return [
        RouteView(r.prefix, tuple(by_name[n] for n in r.channels if n in by_name)) for r in routes
    ]


def routes(office: BackOffice, face: ConsoleFace) -> list[BaseRoute]:
    return [
        Route("/channels", page(office, face, channels_page), methods=["GET"]),
        Route("/channels/{name}/pause", page(office, face, pause), methods=["POST"]),
    ]


async def _views(view: ConsoleView) -> list[ChannelView]:
    store = view.store
    return channel_views(
        view.office.settings.channels,
        await store.channel_states(),
        await store.paused_channels(),
        view.office.clock(),
    )


async def channels_page(view: ConsoleView) -> Response:
    channels = await _views(view)
    live: dict[str, Any] = {
        "channels": channels,
        "queue": await view.store.queue_stats(view.office.clock()),
        "every": LIVE_SECONDS,
        "submitting": MessageState.SUBMITTING,
    }
    if view.query("part") == "live":  # the live part alone, for the page's periodic refresh
        return view.render("console/channels_live.html", **live)
    return view.render(
        "console/channels.html",
        routes=route_views(view.office.settings.routes, channels),
        notice=view.query("done") if view.query("done") in ("paused", "resumed") else "",
        **live,
    )


async def pause(view: ConsoleView) -> Response:
    name = view.request.path_params["name"]
    channels = {c.name: c for c in await _views(view)}
    if name not in channels:
        raise NotFound(name)
    paused = view.field("paused") == "1"
    await view.store.set_channel_paused(name, paused)
    action = "channel.pause" if paused else "channel.resume"
    await audit(
        view, action, f"channel:{name}", {"paused": channels[name].paused}, {"paused": paused}
    )
    return view.redirect(f"/channels?done={'paused' if paused else 'resumed'}")
