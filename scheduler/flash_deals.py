"""The end of flash deals: a timer per running deal at its end (scheduler.runner.Timers).

The database is the truth: `due_moments` lists every running deal with the moment it is due
(its end, or now for one that sold out without being ended), and `end_if_due` ends one. After
downtime, deals whose end passed are ended at start: the status change is a conditional update
one caller wins (bot.services.promotions.end_flash), so whichever of the start-up catch-up, a
late timer or the sold-out check gets there first announces it, and nobody again.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import promotions
from scheduler.views import Views


async def due_moments(now: datetime) -> dict[int, datetime]:
    """Running flash deals (by promotion id) and when each is due to end."""
    moments = {}
    for promotion in await promotions.running_flash_deals():
        if promotions.end_reason(promotion, promotion.coupon, now) is not None:
            moments[promotion.id] = now
        elif promotion.ends_at is not None:
            moments[promotion.id] = promotion.ends_at
    return moments


async def end_if_due(views: Views, promotion_id: int, now: datetime) -> bool:
    """End the deal if its time is up (or it sold out) and let the bot announce it; False if
    it runs on or had ended already."""
    due = await promotions.due_flash_deal(promotion_id, now)
    if due is None:
        return False
    ended = await promotions.end_flash(promotion_id)
    if ended is None:  # ended by someone else meanwhile (the last unit claimed)
        return False
    await views.announce_flash_end(ended, due[1])
    return True
