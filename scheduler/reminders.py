"""Coupon expiry reminders: the day before an unused coupon expires, its holder is reminded once.

A sweep, safe to run at any moment and any number of times: the database says what is due.
After downtime the first run catches up: every unused coupon that entered its last day while the
bot was down and has not expired yet is reminded; one that expired meanwhile is not (the
reminder would be useless). Never twice: a claim is flagged `reminded`, and the outbox keeps one
row per (campaign, user) even if a crash struck between queueing and flagging.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services import coupons, outbox
from scheduler.views import Views

REMINDER_KIND = "reminder"
REMIND_AHEAD = timedelta(days=1)


def campaign_of(claim_id: int) -> str:
    """The outbox campaign of one claim's reminder."""
    return f"cpn-remind:{claim_id}"


async def remind_expiring(views: Views, now: datetime) -> int:
    """Queue a reminder for every unused coupon expiring within a day and not reminded yet;
    returns how many. The outbox delivers it (quiet hours respected) and drops it if the
    coupon expires first."""
    items = await coupons.claims_expiring_between(now, now + REMIND_AHEAD)
    for item in items:
        await outbox.enqueue(
            campaign_of(item.claim.id),
            REMINDER_KIND,
            [item.claim.user_id],
            views.reminder_payload(item),
            not_before=now,
            expires_at=item.expires_at,
        )
    await coupons.mark_reminded([item.claim.id for item in items])
    if items:
        views.wake_sender()
    return len(items)
