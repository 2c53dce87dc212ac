"""A PIN typed in the chat: its message is deleted at once (valid or not), full-width digits
count, two entries are compared, and neither the conversation state nor the persistence file
ever holds it — not mid-way, not after a restart."""

from __future__ import annotations

import logging
import pickle
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.config import Config
from bot.logging_setup import install_redaction
from tests.e2e.conftest import BotRunner
from tests.fakes.telegram import FakeTelegram

PIN = "271828"


@pytest.fixture
async def probe_bot(config: Config, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotRunner]:
    """The real bot with the test-only PIN flow (tests/e2e/secret_probe.py) registered."""
    monkeypatch.setattr(bot.app, "FEATURES", (*bot.app.FEATURES, "tests.e2e.secret_probe"))
    runner = BotRunner(config)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
    if runner.errors:
        raise runner.errors[0]


def saved(config: Config) -> tuple[bytes, Any]:
    """The persistence file, raw and unpickled."""
    raw = Path(config.persistence_file).read_bytes()
    return raw, pickle.loads(raw)


def holds(data: Any, needle: str) -> bool:
    return needle in repr(data)


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged at DEBUG (python-telegram-bot quotes whole updates there), through the
    process's redaction as `python -m bot` installs it."""
    factory = logging.getLogRecordFactory()
    install_redaction()
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        logging.setLogRecordFactory(factory)


async def test_pin_messages_are_deleted_and_never_persisted(
    probe_bot: BotRunner, tg: FakeTelegram, config: Config, debug_log: pytest.LogCaptureFixture
) -> None:
    ann = tg.user(41, first_name="Ann", language_code="en")
    await ann.send("/probe")
    assert (await ann.reply()).text == "PIN?"

    wrong = await ann.send("12345")
    assert (await ann.reply()).text == "not a PIN"
    first = await ann.send("２７１８２８")  # full-width, as a Chinese keyboard types it
    assert (await ann.reply()).text == "again?"
    assert wrong.deleted and first.deleted

    # Mid-way, as saved: the conversation waits for the second entry, and holds no PIN.
    await probe_bot.stop()
    raw, data = saved(config)
    assert holds(data["conversations"]["probe"], "probe.again")
    for needle in (PIN, "２７１８２８"):
        assert needle.encode() not in raw and not holds(data, needle)

    # After a restart the first entry is gone (memory only): asked again from the start.
    await probe_bot.start()
    again = await ann.send(PIN)
    assert (await ann.reply()).text == "start over: PIN?"
    await ann.send(PIN)
    await ann.reply()
    mismatch = await ann.send("999999")
    assert (await ann.reply()).text == "mismatch: PIN?"
    await ann.send(PIN)
    await ann.reply()
    last = await ann.send(PIN)
    assert (await ann.reply()).text == "matched"
    assert again.deleted and mismatch.deleted and last.deleted
    assert all(m.deleted for m in ann.sent if m.text != "/probe")

    await probe_bot.stop()
    raw, data = saved(config)
    assert PIN.encode() not in raw and b"999999" not in raw
    assert not holds(data, PIN)
    await probe_bot.start()

    # Nor any log, even at DEBUG, where python-telegram-bot records every update it handles.
    assert "Processing update" in debug_log.text and "getUpdates" in debug_log.text
    for needle in (PIN, "２７１８２８", "999999"):
        assert needle not in debug_log.text
