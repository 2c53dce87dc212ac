"""Shared fixtures: the database under test (SQLite always, PostgreSQL when reachable and
required in CI), the fake Telegram and Nominatim servers, and the real bot running against them."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_required() -> bool:
    return bool(os.environ.get("REQUIRE_POSTGRES") or os.environ.get("CI"))


def postgres_reachable() -> bool:
    parts = urlsplit(POSTGRES_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    if postgres_required() and not postgres_reachable():
        raise pytest.UsageError(
            f"PostgreSQL is required (CI/REQUIRE_POSTGRES set) but {POSTGRES_URL} is unreachable"
        )


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not postgres_reachable():
        pytest.skip("PostgreSQL not reachable (set TEST_POSTGRES_URL); CI requires it")
    return request.param


@pytest.fixture
async def db_url(database: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database for one test: a SQLite file, or a new PostgreSQL database."""
    if database == "sqlite":
        yield f"sqlite://{tmp_path / 'bot.sqlite3'}"
        return
    import asyncpg

    name = f"shopbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(POSTGRES_URL)
    yield parts._replace(path=f"/{name}").geturl()
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
