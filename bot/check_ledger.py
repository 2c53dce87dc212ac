"""`python -m bot check-ledger`: verify a live database (DATABASE_URL or config.yaml) — every
card's points and stored value against the sum of its ledger, unspent points against its
points, nothing negative, every card purchase against its ledger rows. Read-only: it applies no
migrations. Prints a summary; exit code 0 when all is consistent, 1 on any mismatch, 3 when the
database cannot be opened."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from tortoise import Tortoise

from bot.config import Config
from bot.db import DatabaseUnavailable, check_reachable, tortoise_config, without_password
from bot.i18n import t
from bot.models import LedgerEntry, MemberCard, Purchase
from bot.services.ledger import Mismatch, check_ledger

LANG = "en"
SHOWN = 50  # mismatches printed one per line; the rest are counted


async def _check(db_url: str) -> tuple[list[Mismatch], dict[str, int], float]:
    await check_reachable(db_url)
    await Tortoise.init(config=tortoise_config(db_url))
    try:
        started = time.perf_counter()
        found = await check_ledger()
        took = time.perf_counter() - started
        counts = {
            "cards": await MemberCard.all().count(),
            "rows": await LedgerEntry.all().count(),
            "purchases": await Purchase.filter(card_id__isnull=False).count(),
        }
        return found, counts, took
    finally:
        await Tortoise.close_connections()


def run(config: Config, out: TextIO = sys.stdout) -> int:
    try:
        found, counts, took = asyncio.run(_check(config.database_url))
    except DatabaseUnavailable as exc:
        print(t(LANG, "main.database_unavailable", where=exc.where, reason=exc.reason), file=out)
        return 3
    where = without_password(config.database_url)
    print(t(LANG, "ledger.checked", where=where, seconds=f"{took:.2f}", **counts), file=out)
    for mismatch in found[:SHOWN]:
        print(
            t(
                LANG,
                "ledger.mismatch_line",
                card=mismatch.card_id,
                what=mismatch.what,
                stored=mismatch.stored,
                ledger=mismatch.ledger,
            ),
            file=out,
        )
    if found:
        print(t(LANG, "ledger.mismatches", count=len(found)), file=out)
        return 1
    print(t(LANG, "ledger.balanced"), file=out)
    return 0
