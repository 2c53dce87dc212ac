"""Shared fixtures: the database under test (SQLite always, PostgreSQL when reachable and
required in CI), the fake Telegram and Nominatim servers, and the real bot running against them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
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


def _migrate(url: str) -> None:
    """Run the project's migrations in a child process (Tortoise keeps global state)."""
    code = "import asyncio, sys; from bot.db import start_db, stop_db\n"
    code += "async def m(u):\n    await start_db(u)\n    await stop_db()\n"
    code += "asyncio.run(m(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, url], check=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (the migrations run once per session)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite://{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is created from."""
    name = f"shopbot_tmpl_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    _migrate(urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl())
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(sql: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def db_url(database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database for one test: a copy of the SQLite template, or a new
    PostgreSQL database cloned from the migrated template."""
    if database == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite://{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"shopbot_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def all_languages_offered() -> Iterator[None]:
    """The composition root sets the offered languages process-wide (bot.i18n.configure, from
    config.yaml); every test starts again from all of them."""
    from bot import i18n

    yield
    i18n.configure(i18n.LANGUAGES, i18n.FALLBACK)
