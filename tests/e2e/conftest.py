"""End-to-end fixtures: the unmodified Application polling a fake Bot API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Config, load_config
from scheduler import caught_up
from tests.fakes.nominatim import FakeNominatim
from tests.fakes.telegram import FakeTelegram

OPERATOR_ID = 900
#: Telegram paces one chat at ~1 message/s with small bursts, so a 20-step story would take 20 s
#: of waiting. Stories that are not about pacing run the fake and the bot at this faster pace
#: per chat (the 30/s per bot, 429s and flood waits stay as Telegram has them); tests about
#: pacing are marked `telegram_pace` and get Telegram's own per-chat limits on both sides.
STORY_PACE = {"per_chat_rate": 20.0, "per_chat_burst": 10}


def telegram_pace(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("telegram_pace") is not None


@pytest.fixture
async def tg(request: pytest.FixtureRequest) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(**({} if telegram_pace(request) else STORY_PACE)) as fake:
        fake.user(OPERATOR_ID, first_name="Olga", language_code="en")
        yield fake


@pytest.fixture
async def nominatim() -> AsyncIterator[FakeNominatim]:
    async with FakeNominatim() as fake:
        yield fake


@pytest.fixture
def config(
    tg: FakeTelegram,
    nominatim: FakeNominatim,
    db_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Config:
    base = load_config(env={})
    broadcast = base.broadcast if telegram_pace(request) else replace(base.broadcast, **STORY_PACE)
    return base.with_(
        broadcast=broadcast,
        token=tg.token,
        api_base_url=tg.base_url,
        api_file_url=tg.base_file_url,
        database_url=db_url,
        persistence_file=str(tmp_path / "conversations.pickle"),
        operators=frozenset({OPERATOR_ID}),
        geocoder=replace(
            base.geocoder, domain=nominatim.domain, scheme="http", user_agent="shopbot-tests"
        ),
    )


class BotRunner:
    """Starts, stops and restarts the real bot; handler errors fail the test."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._app: Any = None
        self.errors: list[BaseException] = []

    @property
    def app(self) -> Any:
        assert self._app is not None
        return self._app

    async def start(self) -> None:
        """The same sequence as Application.run_polling, inside the test's event loop; returns
        once timed work has caught up with what fell due while the bot was down."""
        app = build_application(self.config)

        async def collect(update: object, context: Any) -> None:
            self.errors.append(context.error)

        app.add_error_handler(collect)
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        self._app = app
        async with asyncio.timeout(30):
            await caught_up(app)

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        """A clean restart: persistence is flushed on stop and reloaded on start."""
        await self.stop()
        await self.start()


@pytest.fixture
async def bot(config: Config) -> AsyncIterator[BotRunner]:
    runner = BotRunner(config)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
    if runner.errors:
        raise runner.errors[0]
