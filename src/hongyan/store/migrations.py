"""Numbered SQL migrations per dialect (``sql/<dialect>/NNNN_name.sql``) and the declared schema.

Each backend applies, in order, the files not yet named in its ``schema_migrations`` table, each
in its own transaction together with the row that records it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

_NUMBERED = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    name: str  # file name without ".sql", e.g. "0001_initial"
    sql: str


def _folder(dialect: str) -> Traversable:
    return resources.files("hongyan.store").joinpath("sql", dialect)


def migrations(dialect: str) -> list[Migration]:
    """Every migration of ``dialect`` ("sqlite" or "postgres"), in order."""
    files = sorted(
        (f for f in _folder(dialect).iterdir() if _NUMBERED.match(f.name)), key=lambda f: f.name
    )
    return [Migration(f.name.removesuffix(".sql"), f.read_text("utf-8")) for f in files]


def pending(dialect: str, applied: set[str]) -> list[Migration]:
    return [m for m in migrations(dialect) if m.name not in applied]


def declared_schema(dialect: str) -> str:
    """``schema.sql``: the schema all migrations applied must equal."""
    return _folder(dialect).joinpath("schema.sql").read_text("utf-8")
