"""Plain SQLite reads (no row changes): accounts, lists, messages, counts.

A mixin for ``SqliteStore``; ``_read`` runs a function of a connection on the reader.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hongyan.core.accounts import Account
from hongyan.core.messages import Message, MessageState
from hongyan.store import rows
from hongyan.store.base import MessageQuery
from hongyan.store.sqlite_queue import IDS, ids_param

T = TypeVar("T")


class Reads:
    async def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    async def _one(self, sql: str, params: Sequence[Any]) -> sqlite3.Row | None:
        row: sqlite3.Row | None = await self._read(
            lambda conn: conn.execute(sql, tuple(params)).fetchone()
        )
        return row

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return await self._read(lambda conn: conn.execute(sql, tuple(params)).fetchall())

    async def get_account(self, name: str) -> Account | None:
        row = await self._one("SELECT * FROM accounts WHERE name = ?", (name,))
        return rows.account(row) if row else None

    async def get_account_by_id(self, account_id: int) -> Account | None:
        row = await self._one("SELECT * FROM accounts WHERE id = ?", (account_id,))
        return rows.account(row) if row else None

    async def list_accounts(self) -> list[Account]:
        return [rows.account(r) for r in await self._all("SELECT * FROM accounts ORDER BY name")]

    async def service_codes(self) -> dict[str, int]:
        found = await self._all("SELECT service_code, id FROM accounts WHERE service_code <> ''")
        return {r["service_code"]: r["id"] for r in found}

    async def list_blacklist(self, account_id: int | None) -> list[tuple[str, int | None]]:
        found = await self._all(
            "SELECT number, account_id FROM blacklist WHERE account_id IS ? ORDER BY number",
            (account_id,),
        )
        return [(r["number"], r["account_id"]) for r in found]

    async def blacklisted(self, account_id: int, numbers: Sequence[str]) -> set[str]:
        found = await self._all(
            f"SELECT DISTINCT number FROM blacklist WHERE number IN {IDS}"
            " AND (account_id IS NULL OR account_id = ?)",
            (ids_param(numbers), account_id),  # type: ignore[arg-type]
        )
        return {r["number"] for r in found}

    async def list_banned_words(self) -> list[str]:
        return [r["word"] for r in await self._all("SELECT word FROM banned_words ORDER BY word")]

    async def get_message(self, message_id: int, account_id: int | None = None) -> Message | None:
        row = await self._one("SELECT * FROM messages WHERE id = ?", (message_id,))
        if row is None or (account_id is not None and row["account_id"] != account_id):
            return None
        return rows.message(row)

    async def find_messages(self, query: MessageQuery) -> list[Message]:
        where, params = rows.message_filter(query)
        found = await self._all(
            f"SELECT * FROM messages WHERE {where} ORDER BY id DESC LIMIT ?", [*params, query.limit]
        )
        return [rows.message(r) for r in found]

    async def message_counts(self) -> dict[int, dict[MessageState, int]]:
        found = await self._all(
            "SELECT account_id, state, count(*) AS n FROM messages GROUP BY account_id, state"
        )
        counts: dict[int, dict[MessageState, int]] = {}
        for r in found:
            counts.setdefault(r["account_id"], {})[MessageState(r["state"])] = r["n"]
        return counts
