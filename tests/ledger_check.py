"""After a story: every card equals the sum of its ledger (a stand-in until cards-core's)."""

from __future__ import annotations

from bot.models import LedgerEntry, MemberCard


async def assert_ledger_balanced() -> None:
    for card in await MemberCard.all():
        entries = await LedgerEntry.filter(card_id=card.id)
        assert card.points == sum(e.points_delta for e in entries), card.id
        assert card.balance_cents == sum(e.balance_delta for e in entries), card.id
