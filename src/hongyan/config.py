"""Settings: one TOML file, every scalar overridable by ``HONGYAN_<SECTION>_<KEY>``.

The file is validated into frozen dataclasses; an unknown key or a value of the wrong kind is a
``ConfigError`` that names the key and says what is expected.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///hongyan-data/hongyan.db"


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    trusted_proxies: tuple[str, ...] = ()  # CIDRs whose X-Forwarded-For is believed


@dataclass(frozen=True)
class SecuritySettings:
    # Key that derives push-signing secrets and keys the credential cache. Empty: a random key
    # is generated once and kept in ``key_file``.
    secret_key: str = ""
    key_file: str = "hongyan-data/secret.key"


@dataclass(frozen=True)
class DispatcherSettings:
    batch: int = 500  # messages claimed per round
    lease_seconds: float = 60.0  # claims renewed while held; a dead holder's run out after this
    validity_hours: float = 48.0  # default message validity
    receipt_grace_hours: float = 24.0  # no receipt by validity + this: the message expires
    max_in_flight: int = 2000  # messages being submitted at once, all channels
    retry_seconds: float = 5.0  # first retry after a temporary error; doubles per attempt
    bind_lease_seconds: float = 10.0  # a dead dispatcher's binds are taken over after this
    bind_renew_seconds: float = 2.0  # bind leases renewed (and bind state published) this often


@dataclass(frozen=True)
class NotifierSettings:
    concurrency: int = 64
    batch: int = 200
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AdminSettings:
    """The web back office (partner portal and operator console)."""

    timezone: str = "Asia/Shanghai"  # times are shown in this IANA zone; days start here
    session_hours: float = 12.0  # a sign-in lasts this long
    secure_cookies: str = "auto"  # auto (when the request is https) | always | never


@dataclass(frozen=True)
class MetricsSettings:
    """Prometheus metrics: ``/metrics`` on the API port, or a listener of their own."""

    port: int = 0  # 0: no listener of their own (processes with the api role serve /metrics)
    host: str = "127.0.0.1"
    allow: tuple[str, ...] = (
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
    )  # CIDRs that may read /metrics on the API port


@dataclass(frozen=True)
class LoggingSettings:
    level: str = "info"  # debug | info | warning | error
    format: str = "auto"  # auto (JSON unless stderr is a terminal) | json | text


@dataclass(frozen=True)
class ChannelSettings:
    name: str
    protocol: str = "smpp"  # smpp | cmpp | simulator
    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = "hongyan"
    password: str = ""
    system_type: str = ""
    bind: str = "transceiver"  # transceiver | transmitter+receiver
    window: int = 64
    tps: int = 0
    binds: int = 1
    service_id: str = ""  # CMPP Service_Id (业务代码)
    src_id: str = ""  # CMPP Src_Id when a message has no sender of its own (SP access number)


@dataclass(frozen=True)
class RouteSettings:
    channels: tuple[str, ...]
    prefix: str = ""


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    dispatcher: DispatcherSettings = field(default_factory=DispatcherSettings)
    notifier: NotifierSettings = field(default_factory=NotifierSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    channels: tuple[ChannelSettings, ...] = ()
    routes: tuple[RouteSettings, ...] = ()


_CHOICES = {
    "channels.protocol": ("smpp", "cmpp", "simulator"),
    "channels.bind": ("transceiver", "transmitter+receiver"),
    "admin.secure_cookies": ("auto", "always", "never"),
    "logging.level": ("debug", "info", "warning", "error"),
    "logging.format": ("auto", "json", "text"),
}
_SECTIONS = (
    "database",
    "http",
    "security",
    "dispatcher",
    "notifier",
    "admin",
    "metrics",
    "logging",
)


def _describe(tp: Any) -> str:
    if tp is bool:
        return "true or false"
    if tp in (int, float):
        return "a number"
    if tp is str:
        return "a string"
    return "a list of strings"


def _coerce(where: str, tp: Any, value: Any) -> Any:
    """Check one value against its declared type (accepting env-var strings)."""
    if isinstance(value, str) and tp in (int, float, bool):
        value = _from_env_string(where, tp, value)
    if tp is bool and isinstance(value, bool):
        return value
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, str):
        return value
    if typing.get_origin(tp) is tuple:
        if isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
    raise ConfigError(f"{where}: expected {_describe(tp)}, got {value!r}")


def _from_env_string(where: str, tp: Any, value: str) -> Any:
    try:
        if tp is bool:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return value.lower() in ("true", "1", "yes")
        return tp(value)
    except ValueError:
        raise ConfigError(f"{where}: expected {_describe(tp)}, got {value!r}") from None


def _build(cls: type[Any], where: str, data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{where}.{key}: unknown key (known keys: {known})")
    values: dict[str, Any] = {}
    for name, value in data.items():
        key_path = f"{where}.{name}"
        values[name] = _coerce(key_path, hints[name], value)
        choices = _CHOICES.get(f"{where.split('[')[0]}.{name}")
        if choices and values[name] not in choices:
            raise ConfigError(f"{key_path}: expected one of {', '.join(choices)}, got {value!r}")
    missing = [
        n
        for n, f in fields.items()
        if n not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing required key {missing[0]!r}")
    return cls(**values)


def _env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for section in _SECTIONS:
        cls = typing.get_type_hints(Settings)[section]
        for f in dataclasses.fields(cls):
            env = f"HONGYAN_{section.upper()}_{f.name.upper()}"
            if env in environ:
                data.setdefault(section, {})[f.name] = environ[env]


def _check_topology(settings: Settings) -> None:
    names = [c.name for c in settings.channels]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"channels: the name {name!r} is used twice")
    for i, route in enumerate(settings.routes):
        if route.prefix and not route.prefix.isdigit():
            raise ConfigError(f"routes[{i}].prefix: expected digits, got {route.prefix!r}")
        for channel_name in route.channels:
            if channel_name not in names:
                raise ConfigError(f"routes[{i}].channels: no channel is named {channel_name!r}")
    try:
        zoneinfo.ZoneInfo(settings.admin.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"admin.timezone: expected an IANA time zone like Asia/Shanghai,"
            f" got {settings.admin.timezone!r}"
        ) from None
    if settings.admin.session_hours <= 0:
        raise ConfigError("admin.session_hours: expected a number above 0")
    leases = settings.dispatcher
    if leases.bind_renew_seconds <= 0 or leases.bind_lease_seconds < 2 * leases.bind_renew_seconds:
        raise ConfigError(
            "dispatcher.bind_lease_seconds: expected at least twice dispatcher.bind_renew_seconds"
            f" ({leases.bind_renew_seconds:g}), got {leases.bind_lease_seconds:g}"
        )
    for i, channel in enumerate(settings.channels):
        for key in ("window", "binds"):
            if getattr(channel, key) < 1:
                raise ConfigError(f"channels[{i}].{key}: expected a number of at least 1")
        if channel.protocol == "cmpp":
            _check_cmpp(i, channel)


_CMPP_SIZES = {"system_id": 6, "service_id": 10, "src_id": 21}  # octets on the wire


def _check_cmpp(i: int, channel: ChannelSettings) -> None:
    for key, size in _CMPP_SIZES.items():
        value = getattr(channel, key)
        if not value.isascii() or len(value) > size:
            raise ConfigError(
                f"channels[{i}].{key}: CMPP takes at most {size} ASCII characters, got {value!r}"
            )


def parse(data: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    data = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items()}
    _env_overrides(data, os.environ if environ is None else environ)
    known = {f.name for f in dataclasses.fields(Settings)}
    for key in data:
        if key not in known:
            raise ConfigError(f"{key}: unknown section (known: {', '.join(sorted(known))})")
    hints = typing.get_type_hints(Settings)
    values: dict[str, Any] = {}
    for section in _SECTIONS:
        if section in data:
            values[section] = _build(hints[section], section, data[section])
    for name, cls in (("channels", ChannelSettings), ("routes", RouteSettings)):
        items = data.get(name, [])
        if not isinstance(items, list):
            raise ConfigError(f"{name}: expected an array of tables ([[{name}]])")
        values[name] = tuple(_build(cls, f"{name}[{i}]", item) for i, item in enumerate(items))
    settings = Settings(**values)
    _check_topology(settings)
    return settings


def load(path: str | Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file at ``path`` (``None``: defaults only) and apply the environment."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such configuration file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse(data, environ)
