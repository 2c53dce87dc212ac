"""What the owner's /greetings screens read about one occasion of a shop: its own switch, its
own text (None: the catalogue's default), its coupon, and which coupons may come with it.
Changes go through bot.services.greetings (set_occasion, update_settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from bot.models import Coupon, CouponStatus, HolidayGreeting
from bot.services import greetings
from bot.services.occasions import BIRTHDAY


@dataclass(frozen=True)
class OccasionChoice:
    """A shop's choice for one occasion (a holiday without a row: on, default text, no coupon)."""

    occasion: str
    enabled: bool
    text: str | None
    coupon: Coupon | None
    days_before: int
    all_enabled: bool  # the shop's switch for all its greetings


def offered(occasion: str) -> bool:
    """Birthdays, or a holiday the deployment greets on (config.yaml `greetings.holidays`)."""
    return occasion == BIRTHDAY or occasion in greetings.config().holidays


async def choice_of(shop_id: int, occasion: str) -> OccasionChoice:
    settings = await greetings.settings_of(shop_id)
    if occasion == BIRTHDAY:
        enabled, text, coupon_id = (
            settings.birthday_on,
            settings.birthday_text,
            settings.birthday_coupon_id,
        )
    else:
        row = await HolidayGreeting.get_or_none(shop_id=shop_id, occasion=occasion)
        enabled, text, coupon_id = (
            (row.enabled, row.text, row.coupon_id) if row else (True, None, None)
        )
    coupon = await Coupon.get_or_none(id=coupon_id, shop_id=shop_id) if coupon_id else None
    return OccasionChoice(
        occasion, enabled, text, coupon, settings.birthday_days_before, settings.enabled
    )


async def attachable_coupons(shop_id: int, now: datetime) -> list[Coupon]:
    """The shop's coupons a greeting can give (bot.services.coupons.grant: not ended, still
    valid, not a flash deal's copy), newest first. Stock and per-person limits do not apply."""
    return await Coupon.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now),
        shop_id=shop_id,
        status__in=[CouponStatus.ACTIVE, CouponStatus.PAUSED],
        flash_ends_at__isnull=True,
    ).order_by("-created_at", "-id")
