"""The real `python -m bot` when a deployer got something wrong: a token Telegram rejects, a
database that cannot be opened. Each ends the process with a non-zero code and one clear line,
and no secret (token, its secret part, the database password) anywhere in the log. Also: edits
reach the real process (its allowed_updates) and are answered."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

from tests.fakes.bot_process import BotProcess
from tests.fakes.telegram import FakeTelegram


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_one_clear_line(log: str, line: str) -> None:
    assert log.count(line) == 1, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


async def test_a_rejected_token_ends_with_one_line_and_is_never_logged(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    for token in (
        f"{tg.bot_id}:REVOKED-{secrets.token_hex(6)}",  # not shaped like a real token
        f"{tg.bot_id}{tg.bot_id}:AAH{secrets.token_urlsafe(24)}",  # shaped like one
    ):
        deployment = tmp_path / token[-6:]
        deployment.mkdir()
        refused = len(tg.errors)
        bot = BotProcess.for_fake(tg, deployment, BOT_TOKEN=token)
        await bot.start()
        assert await bot.wait() == 2
        log = bot.log
        assert [e.status for e in tg.errors[refused:]] == [401]  # the fake did refuse it
        assert_one_clear_line(log, "Telegram rejected the bot token (401 Unauthorized)")
        assert token not in log and token.partition(":")[2] not in log, log


async def test_an_unreachable_postgres_ends_with_one_line(tg: FakeTelegram, tmp_path: Path) -> None:
    password = f"pw-{secrets.token_hex(8)}"
    url = f"postgres://shop:{password}@127.0.0.1:{closed_port()}/shop"
    bot = BotProcess.for_fake(tg, tmp_path, database_url=url)
    await bot.start()
    assert await bot.wait() == 3
    log = bot.log
    assert_one_clear_line(log, "Cannot open the database postgres://shop:***@127.0.0.1:")
    assert "Connect call failed" in log
    assert password not in log and tg.token not in log


async def test_a_sqlite_file_that_cannot_be_created_ends_with_one_line(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    bot = BotProcess.for_fake(tg, tmp_path, database_url=f"sqlite://{blocker}/bot.sqlite3")
    await bot.start()
    assert await bot.wait() == 3
    assert_one_clear_line(bot.log, f"Cannot open the database sqlite://{blocker}/bot.sqlite3")


async def test_the_process_answers_an_edited_message(tg: FakeTelegram, tmp_path: Path) -> None:
    bot = BotProcess.for_fake(tg, tmp_path)
    await bot.start()
    try:
        ann = tg.user(31, first_name="Ann", language_code="en")
        hello = await ann.send("/help")
        await ann.reply(timeout=30)
        await ann.edit(hello, "/nearby")
        assert "I only read new messages" in (await ann.reply()).text
    finally:
        assert await bot.stop() == 0, bot.log[-2000:]
    assert tg.token not in bot.log
