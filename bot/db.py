"""Database lifecycle: Tortoise config, migrations on start-up, clean shutdown. A database that
cannot be reached at start is one clear DatabaseUnavailable, not a driver's traceback."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asyncpg.exceptions import PostgresError
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate

MODELS = ["bot.models"]


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": db_url},
        "apps": {
            "models": {
                "models": MODELS,
                "default_connection": "default",
                "migrations": "bot.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


class DatabaseUnavailable(Exception):
    """The database could not be opened at start; `where` is its URL without a password."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def without_password(db_url: str) -> str:
    """The URL as it may be shown: `postgres://bot:***@host/db`."""
    parts = urlsplit(db_url)
    if not parts.password:
        return db_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _sqlite_path(db_url: str) -> Path | None:
    if db_url.startswith("sqlite://") and ":memory:" not in db_url:
        return Path(db_url.removeprefix("sqlite://").split("?")[0])
    return None


async def check_reachable(db_url: str) -> None:
    """Open the database once (creating a SQLite file and its folder), or DatabaseUnavailable.
    SQLite is opened with the standard library: a failed aiosqlite open leaves a thread behind
    that later complains about the closed event loop."""
    try:
        path = _sqlite_path(db_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()
            return
        await Tortoise.init(config=tortoise_config(db_url))
        try:
            await connections.get("default").execute_query("SELECT 1")
        finally:
            await Tortoise.close_connections()
    except (OSError, sqlite3.Error, DBConnectionError, PostgresError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseUnavailable(without_password(db_url), reason) from None


async def start_db(db_url: str) -> None:
    """Apply pending migrations, then open the connections the bot uses."""
    await check_reachable(db_url)
    config = tortoise_config(db_url)
    # Tortoise caches prepared SQL per connection *name*, not per dialect: a process that
    # reopens "default" on another backend (the test suite does) must start clean.
    EXECUTOR_CACHE.clear()
    await migrate(config=config)
    await Tortoise.close_connections()
    # Global fallback: PTB runs post_init in its own task, handlers in others.
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def stop_db() -> None:
    await Tortoise.close_connections()


# For the `tortoise` CLI (makemigrations / migrate), see [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://data/bot.sqlite3"))
