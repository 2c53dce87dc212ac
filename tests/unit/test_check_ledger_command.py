"""`python -m bot check-ledger` as a deployer runs it, on SQLite and PostgreSQL: a consistent
database exits 0 with its summary; a card whose points were changed behind the ledger's back
exits 1 and names it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

from bot.db import start_db, stop_db
from bot.models import MemberCard
from bot.services import ledger
from tests.cards_helpers import a_member, a_program, a_shop
from tests.fakes.bot_process import ROOT

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def check_ledger(db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "BOT_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot", "check-ledger"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_check_ledger_exit_codes(db_url: str) -> None:
    await start_db(db_url)
    try:
        shop = await a_shop(1, 2)
        await a_program(shop)
        card = await a_member(shop, 3, NOW)
        await ledger.record_purchase(shop.id, card, 5_000, 2, key="p", now=NOW)
        await ledger.top_up(card.id, 2, 60_000, key="t", now=NOW)
    finally:
        await stop_db()
    clean = check_ledger(db_url)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Checked 1 cards, 3 ledger rows and 1 card purchases" in clean.stdout
    assert "Every card equals its ledger." in clean.stdout

    await start_db(db_url)
    try:
        await MemberCard.filter(id=card.id).update(balance_cents=1)
    finally:
        await stop_db()
    broken = check_ledger(db_url)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"MISMATCH card {card.id}: balance stored 1, ledger says 65000" in broken.stdout
