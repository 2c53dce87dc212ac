"""After any card scenario: every card equals its ledger (see bot.services.ledger.check_ledger).
Call `await assert_ledger_balanced()` while the scenario's database is open."""

from __future__ import annotations

from bot.services.ledger import check_ledger


async def assert_ledger_balanced() -> None:
    mismatches = await check_ledger()
    assert not mismatches, "ledger out of balance: " + "; ".join(map(str, mismatches))
