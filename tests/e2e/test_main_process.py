"""`python -m bot` as a deployer runs it: a separate process, long polling, SQLite by default,
configured only through the environment — here pointed at the fake Bot API server."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import OPERATOR_ID
from tests.fakes.bot_process import BotProcess
from tests.fakes.telegram import FakeTelegram


async def test_the_bot_process_answers_and_stops_cleanly(tg: FakeTelegram, tmp_path: Path) -> None:
    bot = BotProcess.for_fake(tg, tmp_path, BOT_OPERATORS=str(OPERATOR_ID))
    await bot.start()
    try:
        ann = tg.user(31, first_name="Ann", language_code="en")
        await ann.send("/start")
        assert "Hello Ann" in (await ann.reply(timeout=30)).text
        await ann.send("/start")
        assert "Welcome back" in (await ann.reply()).text  # the database works across tasks
    finally:
        code = await bot.stop()
    assert code == 0, bot.log[-2000:]
    log = bot.log
    assert "bot @TestShopBot started" in log  # it does log...
    assert tg.token not in log  # ...but never the token
    assert (tmp_path / "bot.sqlite3").exists()
