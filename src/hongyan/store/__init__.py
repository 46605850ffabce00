"""Storage: one interface of domain verbs (``base.Store``), SQLite and PostgreSQL behind it."""

from __future__ import annotations

from hongyan.store.base import Store

__all__ = ["Store", "connect", "sqlite_path"]


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:`` URL: ``sqlite:///rel.db`` → ``rel.db``, ``sqlite:////abs.db`` →
    ``/abs.db``, ``sqlite://:memory:`` (or ``sqlite:///:memory:``, ``sqlite://``) → ``:memory:``.
    """
    rest = url.removeprefix("sqlite:").removeprefix("//")
    if rest in ("", "/", ":memory:", "/:memory:"):
        return ":memory:"
    if not rest.startswith("/"):
        raise ValueError(f"{url!r}: expected sqlite:///relative.db or sqlite:////absolute.db")
    return rest[1:]


def connect(url: str) -> Store:
    """A store (not yet opened) for ``url``: ``sqlite:…`` or ``postgresql://…``/``postgres://…``."""
    if url.startswith("sqlite:"):
        from hongyan.store.sqlite import SqliteStore

        return SqliteStore(sqlite_path(url))
    if url.startswith(("postgresql://", "postgres://")):
        from hongyan.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"{url!r}: expected a sqlite: or postgresql:// URL")
