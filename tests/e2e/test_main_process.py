"""`python -m bot` as a deployer runs it: a separate process, long polling, SQLite by default,
configured only through the environment — here pointed at the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e.conftest import OPERATOR_ID
from tests.fakes.telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


async def test_the_bot_process_answers_and_stops_cleanly(tg: FakeTelegram, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BOT_TOKEN": tg.token,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_API_FILE_URL": tg.base_file_url,
        "DATABASE_URL": f"sqlite://{tmp_path / 'bot.sqlite3'}",
        "PERSISTENCE_FILE": str(tmp_path / "state.pickle"),
        "BOT_OPERATORS": str(OPERATOR_ID),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        ann = tg.user(31, first_name="Ann", language_code="en")
        await ann.send("/start")
        assert "Hello Ann" in (await ann.reply(timeout=30)).text
        await ann.press(ann.last, text="🛍 I'm a customer")
        assert "Nearby" in (await ann.reply()).text  # the database works across tasks
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    log = stderr.decode()
    assert "bot @TestShopBot started" in log  # it does log...
    assert tg.token not in log  # ...but never the token
    assert (tmp_path / "bot.sqlite3").exists()
