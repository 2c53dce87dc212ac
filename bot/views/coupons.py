"""How a coupon reads everywhere: the merchant's preview, the customer's card, the staff's
confirmation, pushes and reminders describe a coupon in the very same words."""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import InputFile, Update
from telegram.constants import ChatAction

from bot.config import Config
from bot.formatting import format_price, h
from bot.i18n import t
from bot.models import Audience, Coupon, CouponKind
from bot.render.coupon import coupon_qr_png
from bot.services.codes import display_code, redeem_payload
from bot.services.coupons import CouponError
from bot.ui.base import Context, answer, deps, say
from bot.ui.text import ALERT_MAX, CAPTION_MAX, Block, Line, block, cut, fit, units

#: The terms keep at least this many characters in a coupon's caption (the card's full text
#: follows the picture when they had to be shortened).
TERMS_FLOOR = 120


class Offer(Protocol):
    """What describes a coupon's offer: a Coupon, or the RedeemPreview staff confirm."""

    title: str
    kind: CouponKind
    value: int
    terms: str
    min_spend_cents: int


@cache
def zone_of(name: str) -> ZoneInfo:
    """A time zone by name (UTC for an unknown one)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, tz_name: str) -> str:
    """A moment as the reader's wall clock shows it, e.g. `2026-12-31 23:59`."""
    return moment.astimezone(zone_of(tz_name)).strftime("%Y-%m-%d %H:%M")


def coupon_name(coupon: Coupon, lang: str, tz_name: str) -> str:
    """A coupon as lists name it (plain text): a flash deal's copy is marked with its end, so
    it is never mistaken for the coupon whose offer it copies."""
    if coupon.flash_ends_at is None:
        return coupon.title
    end = local_time(coupon.flash_ends_at, tz_name)[5:]  # `12-31 12:30`
    return t(lang, "walk.flash_name", title=coupon.title, end=end)


def value_text(lang: str, kind: CouponKind, value: int, config: Config) -> str:
    """The offer in a few words: `20% off` (`8折` in Chinese), `¥10.00 off`, a voucher, a gift."""
    if kind == CouponKind.PERCENT:
        # English counts what is taken off; Chinese names what is paid (20% off = 8折).
        paid = t(lang, "coupons.percent_style") == "paid"
        rate = f"{(100 - value) / 10:g}" if paid else str(value)
        return t(lang, "coupons.value_percent", rate=rate)
    if kind == CouponKind.GIFT:
        return t(lang, "coupons.value_gift")
    return t(lang, f"coupons.value_{kind.value}", amount=format_price(value, config))


def offer_lines(
    offer: Offer,
    lang: str,
    config: Config,
    *,
    shop_name: str | None = None,
    audience: Audience | None = None,
) -> list[str]:
    """Title, shop, value, minimum spend, terms and audience, one per line (HTML)."""
    return [line.render() for line in offer_parts(offer, lang, config, shop_name, audience)]


def offer_parts(
    offer: Offer,
    lang: str,
    config: Config,
    shop_name: str | None = None,
    audience: Audience | None = None,
) -> list[Line]:
    """offer_lines, with the terms marked as what gives way where room is short."""
    lines = [Line(f"🎟 <b>{h(offer.title)}</b>")]
    if shop_name:
        lines.append(Line(f"🏪 {h(shop_name)}"))
    lines.append(Line(f"💰 {value_text(lang, offer.kind, offer.value, config)}"))
    if offer.min_spend_cents:
        spend = format_price(offer.min_spend_cents, config)
        lines.append(Line(t(lang, "coupons.line_min_spend", amount=spend)))
    if offer.terms:
        lines.append(cut(offer.terms, TERMS_FLOOR, markup="📝 ", name="terms"))
    if audience == Audience.NEW_CUSTOMERS:
        lines.append(Line(t(lang, "coupons.line_new_customers")))
    return lines


def validity_line(coupon: Coupon, lang: str, tz_name: str) -> str:
    """How long an unclaimed coupon is good for (fixed dates, or N days from claiming)."""
    if coupon.valid_days is not None:
        return t(lang, "coupons.line_valid_days", count=coupon.valid_days)
    until = local_time(coupon.valid_until, tz_name) if coupon.valid_until else ""
    if coupon.valid_from is not None:
        return t(
            lang,
            "coupons.line_valid_range",
            start=local_time(coupon.valid_from, tz_name),
            end=until,
        )
    return t(lang, "coupons.line_valid_until", end=until)


def expiry_line(expires_at: datetime | None, lang: str, tz_name: str) -> str:
    """When a claimed coupon must be used by."""
    if expires_at is None:
        return t(lang, "coupons.line_no_expiry")
    return t(lang, "coupons.line_use_by", end=local_time(expires_at, tz_name))


def card_text(
    coupon: Coupon,
    shop_name: str,
    code: str,
    validity: str,
    lang: str,
    config: Config,
    *,
    note: str = "",
) -> list[Block]:
    """The text of a coupon's QR card: the offer, its validity, the code, a hint."""
    lines: list[Line | str] = [note, ""] if note else []
    lines += offer_parts(coupon, lang, config, shop_name, coupon.audience)
    lines.append(validity)
    lines.append(t(lang, "coupons.line_code", code=display_code(code)))
    lines += ["", t(lang, "coupons.card_hint")]
    return [block(*lines)]


def redeem_link(bot_username: str, code: str) -> str:
    """What the coupon's QR code holds: opening it runs `/start redeem_<code>` for staff."""
    return f"https://t.me/{bot_username}?start={redeem_payload(code)}"


async def send_card(
    update: Update, context: Context, coupon: Coupon, code: str, text: list[Block]
) -> None:
    """The coupon as a picture (title, QR code, code in print) with its text as the caption;
    when the caption had to shorten the terms, the whole text follows as a message."""
    chat = update.effective_chat
    assert chat is not None
    link = redeem_link(deps(context).bot_username, code)
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(coupon_qr_png, link, display_code(code), coupon.title)
    caption = fit(text, CAPTION_MAX)
    await chat.send_photo(InputFile(png, filename=f"coupon-{code}.png"), caption=caption.html)
    if not caption.complete:
        await say(update, fit(text).html)


def error_text(
    lang: str, scope: str, error: CouponError, tz_name: str, *, html: bool = True
) -> str:
    """A refusal in the reader's words: `coupons.<scope>_<reason>`, moments in their time
    (`html=False` for plain text such as a pop-up)."""
    params: dict[str, Any] = {}
    for name, value in error.details.items():
        if isinstance(value, datetime):
            params[name] = local_time(value, tz_name)
        elif isinstance(value, str) and html:
            params[name] = h(value)
        else:
            params[name] = value
    return t(lang, f"coupons.{scope}_{error.reason}", **params)


async def tell(update: Update, text: str) -> None:
    """Plain text for a press: a pop-up when it fits, else a message (escaped: messages are
    HTML)."""
    if update.callback_query is not None and units(text) <= ALERT_MAX:
        await answer(update, text, alert=True)
        return
    await answer(update)
    await say(update, h(text))
