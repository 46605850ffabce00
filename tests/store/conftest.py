"""The store fixture: one opened, upgraded store per test, for every backend.

PostgreSQL databases are copied from a template migrated once per session (fast); the
migrations themselves are tested in ``test_migrations.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hongyan.store.base import Store
from hongyan.store.sqlite import SqliteStore

BACKENDS = ["sqlite", "postgres"]


def _in_thread(coro: Callable[[], object]) -> object:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro()).result()  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_template(postgres_databases: object) -> str:
    """Name of a database with every migration applied, to copy per test."""
    from hongyan.store.postgres import PostgresStore

    async def make() -> str:
        url = await postgres_databases.create(name="hongyan_store_template")  # type: ignore[attr-defined]
        store = PostgresStore(url)
        await store.open()
        await store.upgrade()
        await store.close()
        return "hongyan_store_template"

    return str(_in_thread(make))


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        opened: Store = SqliteStore(str(tmp_path / "store.db"))
        url = None
    else:
        from hongyan.store.postgres import PostgresStore

        databases = request.getfixturevalue("postgres_databases")
        url = await databases.create(template=request.getfixturevalue("postgres_template"))
        opened = PostgresStore(url)
    await opened.open()
    await opened.upgrade()
    try:
        yield opened
    finally:
        await opened.close()
        if url is not None:
            await databases.drop(url)
