"""python-telegram-bot glue for the fake server: builders and a polling context manager."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from tests.fakes.telegram import FakeTelegram

__all__ = ["PollingBot", "application_builder", "fake_bot", "polling"]


def application_builder(fake: FakeTelegram) -> ApplicationBuilder:  # type: ignore[type-arg]
    """An ApplicationBuilder whose bot talks to ``fake`` (token and URLs set)."""
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
    )


def fake_bot(fake: FakeTelegram) -> Bot:
    """A bare PTB Bot for ``fake`` (use as ``async with fake_bot(fake) as bot``)."""
    return Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)


@dataclass
class PollingBot:
    """A running Application plus the exceptions its handlers raised."""

    app: Application[Any, Any, Any, Any, Any, Any]
    errors: list[BaseException] = field(default_factory=list)

    def raise_errors(self) -> None:
        """Re-raise the first handler exception, if any."""
        if self.errors:
            raise self.errors[0]


@contextlib.asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any],
    *,
    poll_timeout: int = 1,
    allowed_updates: list[str] | None = None,
) -> AsyncIterator[PollingBot]:
    """Initialize, start and poll ``app`` (poll_interval=0, long-poll ``poll_timeout``); stop after.

    Handler exceptions are collected in :attr:`PollingBot.errors` (also still logged by PTB).
    """
    running = PollingBot(app)

    async def collect(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        if context.error is not None:
            running.errors.append(context.error)

    app.add_error_handler(collect)
    await app.initialize()
    await app.start()
    assert app.updater is not None, "Application was built without an Updater"
    await app.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=allowed_updates
    )
    try:
        yield running
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
