"""All migrations applied == the declared schema.sql, per dialect; upgrade is idempotent."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg

from hongyan.store import connect, migrations, sqlite_path
from hongyan.store.postgres import PostgresStore
from hongyan.store.sqlite import SqliteStore


def sqlite_shape(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"
            " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
        shape: dict[str, Any] = {}
        for kind, name, table, sql in objects:
            if kind == "table":
                shape[f"table {name}"] = conn.execute(f"PRAGMA table_xinfo({name})").fetchall()
                shape[f"fks {name}"] = conn.execute(f"PRAGMA foreign_key_list({name})").fetchall()
            else:
                shape[f"{kind} {name}"] = (table, " ".join((sql or "").split()))
        return shape
    finally:
        conn.close()


async def test_sqlite_migrations_equal_schema(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "migrated.db"))
    await store.open()
    names = await store.upgrade()
    assert names == [m.name for m in migrations.migrations("sqlite")]
    assert await store.upgrade() == []
    await store.close()
    declared = sqlite3.connect(tmp_path / "declared.db")
    declared.executescript(migrations.declared_schema("sqlite"))
    declared.close()
    assert sqlite_shape(tmp_path / "migrated.db") == sqlite_shape(tmp_path / "declared.db")


PG_SHAPE = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default"
    " FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
    " WHERE schemaname = 'public' ORDER BY 1, 2",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
    "sequences": "SELECT sequence_name, data_type FROM information_schema.sequences"
    " WHERE sequence_schema = 'public' ORDER BY 1",
}


async def postgres_shape(url: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return {k: [tuple(r) for r in await conn.fetch(sql)] for k, sql in PG_SHAPE.items()}
    finally:
        await conn.close()


async def test_postgres_migrations_equal_schema(postgres_url: str, postgres_databases: Any) -> None:
    store = PostgresStore(postgres_url)
    await store.open()
    names = await store.upgrade()
    assert names == [m.name for m in migrations.migrations("postgres")]
    assert await store.upgrade() == []
    await store.close()
    declared_url = await postgres_databases.create()
    try:
        conn = await asyncpg.connect(declared_url)
        await conn.execute(migrations.declared_schema("postgres"))
        await conn.close()
        migrated, declared = await postgres_shape(postgres_url), await postgres_shape(declared_url)
    finally:
        await postgres_databases.drop(declared_url)
    assert migrated["columns"] and migrated == declared


def test_connect_url_forms() -> None:
    assert sqlite_path("sqlite:///data/hongyan.db") == "data/hongyan.db"
    assert sqlite_path("sqlite:////var/lib/hongyan.db") == "/var/lib/hongyan.db"
    for memory in ("sqlite://:memory:", "sqlite:///:memory:", "sqlite://"):
        assert sqlite_path(memory) == ":memory:"
    assert isinstance(connect("sqlite:///x.db"), SqliteStore)
    assert isinstance(connect("postgresql://u@h/db"), PostgresStore)
    assert isinstance(connect("postgres://u@h/db"), PostgresStore)
    for bad in ("mysql://x", "sqlite:relative.db"):
        try:
            connect(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")


async def test_memory_store_works() -> None:
    store = connect("sqlite://:memory:")
    await store.open()
    try:
        await store.upgrade()
        assert await store.list_accounts() == []
    finally:
        await store.close()
