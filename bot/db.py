"""Database lifecycle: Tortoise config, migrations on start-up, clean shutdown."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
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


def _ensure_sqlite_dir(db_url: str) -> None:
    if db_url.startswith("sqlite://") and ":memory:" not in db_url:
        path = Path(db_url.removeprefix("sqlite://").split("?")[0])
        path.parent.mkdir(parents=True, exist_ok=True)


async def start_db(db_url: str) -> None:
    """Apply pending migrations, then open the connections the bot uses."""
    _ensure_sqlite_dir(db_url)
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
