"""Spend requests nobody answered: past their few minutes they expire, and both chats (the
staff's confirmation, the customer's request) are told at once that nothing was recorded."""

from __future__ import annotations

from datetime import datetime

from bot.services import ledger
from scheduler.views import Views


async def close_lapsed(views: Views, now: datetime) -> int:
    """Expire every pending request past its time (each once) and close it in both chats."""
    lapsed = await ledger.expire_requests(now)
    for request in lapsed:
        await views.spend_lapsed(request.id)
    return len(lapsed)
