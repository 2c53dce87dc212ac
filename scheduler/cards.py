"""Membership card jobs: points expiry (with a reminder before) and the yearly tier
re-qualification (with a notice before a downgrade). Sweeps, safe at any moment and any number
of times: the ledger keys expiries once per credit, the card row flags a downgrade notice once
per year, and each message's outbox campaign names its card and date, so a rerun queues
nothing twice. Messages go through the outbox (kind "card": not promotions, but quiet hours
still apply to these timed notes); texts from the cards_core catalogue in every language.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.formatting import h
from bot.i18n import LANGUAGES, t
from bot.models import Shop
from bot.services import ledger, outbox
from bot.services.card_common import settings
from scheduler.views import Views

CARD_KIND = "card"


async def _shop_day(shop_id: int, moment: datetime) -> str:
    """The date of `moment` where the shop is (names the message and is shown in it)."""
    shop = await Shop.get(id=shop_id)
    return moment.astimezone(ZoneInfo(shop.timezone)).strftime("%Y-%m-%d")


def _text(key: str, **params: Any) -> dict[str, Any]:
    return {"text": {lang: t(lang, key, **params) for lang in LANGUAGES}}


async def _to_holder(
    campaign: str, user_id: int, payload: dict[str, Any], *, now: datetime, until: datetime
) -> int:
    """One note to a card holder through the outbox; `campaign` names it once."""
    return await outbox.enqueue(
        campaign, CARD_KIND, [user_id], payload, not_before=now, expires_at=until
    )


async def expire_and_remind(views: Views, now: datetime) -> int:
    """Remind holders of points expiring within `cards.expiry_reminder_days`, then expire
    what is due. Returns the points expired."""
    ahead = timedelta(days=settings().expiry_reminder_days)
    queued = 0
    for notice in await ledger.expiring_soon(now, ahead):
        day = await _shop_day(notice.shop_id, notice.expires_at)
        payload = _text(
            "cards.points_expiring", count=notice.points, shop=h(notice.shop_name), date=day
        )
        queued += await _to_holder(
            f"pts-exp:{notice.card_id}:{day}",
            notice.user_id,
            payload,
            now=now,
            until=notice.expires_at,
        )
    expired = await ledger.expire_points(now)
    if queued:
        views.wake_sender()
    return expired


async def requalify_and_notify(views: Views, now: datetime) -> int:
    """Tell holders of a downgrade coming within `cards.downgrade_notice_days`, then start
    the new year of every card whose year ended (telling them their new tier). Returns how
    many tiers changed."""
    ahead = timedelta(days=settings().downgrade_notice_days)
    queued = 0
    for change in await ledger.downgrades_ahead(now, ahead):
        day = await _shop_day(change.shop_id, change.at)
        payload = _text(
            "cards.downgrade_notice",
            shop=h(change.shop_name),
            tier=h(change.old_tier.name),
            lower=h(change.new_tier.name),
            date=day,
        )
        queued += await _to_holder(
            f"tier-down:{change.card_id}:{day}", change.user_id, payload, now=now, until=change.at
        )
    changes = await ledger.requalify(now)
    for change in changes:
        day = await _shop_day(change.shop_id, change.at)
        payload = _text(
            "cards.tier_changed", shop=h(change.shop_name), tier=h(change.new_tier.name)
        )
        queued += await _to_holder(
            f"tier-new:{change.card_id}:{day}",
            change.user_id,
            payload,
            now=now,
            until=now + timedelta(days=7),
        )
    if queued:
        views.wake_sender()
    return len(changes)
