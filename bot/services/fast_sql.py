"""Hand-written SQL for the few statements on the counter's hot path (a purchase runs about
ten): building a statement with Tortoise's query builder cost more CPU than SQLite took to run
it, so these are written once, with `?` parameters, and run on the caller's connection (inside
`in_transaction()` that is the transaction's). Values go as parameters, so each driver encodes
them as Tortoise does (datetimes on SQLite: Tortoise's registered adapter, `isoformat(" ")`).
Everything else keeps using the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from tortoise.models import Model

M = TypeVar("M", bound=Model)


@cache
def for_dialect(sql: str, dialect: str) -> str:
    """`sql` with its `?` marks numbered `$1, $2...` for PostgreSQL (no `?` may stand in a
    literal)."""
    if dialect == "sqlite":
        return sql
    first, *rest = sql.split("?")
    return first + "".join(f"${n}{part}" for n, part in enumerate(rest, 1))


async def execute(
    model: type[Model], sql: str, values: Sequence[Any], *, for_update: bool = False
) -> tuple[int, list[Any]]:
    """Run `sql` on `model`'s current connection: (rows changed or found, rows).
    `for_update` locks the rows read until commit on PostgreSQL (SQLite has no row locks: it
    runs one writing transaction at a time, and Tortoise leaves the clause out there too)."""
    db = model._meta.db
    dialect = db.capabilities.dialect
    if for_update and dialect != "sqlite":
        sql += " FOR UPDATE"
    changed, rows = await db.execute_query(for_dialect(sql, dialect), list(values))
    return changed, list(rows)


async def fetch(
    model: type[M], sql: str, values: Sequence[Any], *, for_update: bool = False
) -> list[M]:
    """`model` instances from `SELECT *` rows, built as Tortoise builds them from its own."""
    _, rows = await execute(model, sql, values, for_update=for_update)
    return [model._init_from_db(**dict(row)) for row in rows]
