"""Fixtures the outbox tests share: a fresh migrated database with ten users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.db import start_db, stop_db
from bot.models import User


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    await start_db(db_url)
    try:
        await User.bulk_create([User(id=i, first_name=f"user{i}") for i in range(1, 11)])
        yield
    finally:
        await stop_db()
