"""The shop page exactly as customers see it; the /newshop preview renders the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Chat, InlineKeyboardMarkup, InputMediaPhoto
from telegram.constants import ParseMode

from bot.config import Config
from bot.formatting import format_hours, format_price, format_rating, h
from bot.i18n import t
from bot.models import Service, Shop, User
from bot.services.hours import WeeklyHours
from bot.services.phones import format_phone
from bot.services.reviews import review_of
from bot.services.shops import ShopDraft, photos_of
from bot.services.staff import works_at
from bot.ui.base import ShopPageRows
from bot.ui.keyboards import inline
from bot.views.reviews import review_buttons


@dataclass
class ShopCard:
    """What a shop page shows, from a saved shop or a draft."""

    name: str
    category: str
    lat: float
    lng: float
    address: str
    phone: str
    hours: dict
    description: str
    timezone: str
    photos: list[str] = field(default_factory=list)
    services: list[tuple[str, int, str]] = field(default_factory=list)
    rating_sum: int = 0
    rating_count: int = 0


async def card_for(shop: Shop) -> ShopCard:
    services = await Service.filter(shop=shop, hidden=False).order_by("position", "id")
    return ShopCard(
        name=shop.name,
        category=shop.category,
        lat=shop.lat,
        lng=shop.lng,
        address=shop.address,
        phone=shop.phone,
        hours=shop.hours,
        description=shop.description,
        timezone=shop.timezone,
        photos=await photos_of(shop.id),
        services=[(s.name, s.price_cents, s.description) for s in services],
        rating_sum=shop.rating_sum,
        rating_count=shop.rating_count,
    )


def card_from_draft(draft: ShopDraft) -> ShopCard:
    return ShopCard(
        name=draft.name,
        category=draft.category,
        lat=draft.lat,
        lng=draft.lng,
        address=draft.address,
        phone=draft.phone,
        hours=draft.hours,
        description=draft.description,
        timezone=draft.timezone,
        photos=list(draft.photos),
    )


def open_now(card: ShopCard, now: datetime) -> bool:
    return hours_open(card.hours, card.timezone, now)


def hours_open(hours: dict, timezone: str, now: datetime) -> bool:
    """Whether stored opening hours say open at `now` (for lists that hold no ShopCard)."""
    return WeeklyHours.from_json(hours).is_open(now.astimezone(ZoneInfo(timezone)))


def page_text(card: ShopCard, lang: str, config: Config, now: datetime) -> str:
    """The page body (HTML): category, hours with open-now, phone, description, services."""
    hours = WeeklyHours.from_json(card.hours)
    lines = [f"<b>{h(card.name)}</b>", t(lang, f"category.{card.category}")]
    rating = format_rating(card.rating_sum, card.rating_count)
    lines.append(rating or t(lang, "shop.no_ratings"))
    if card.address:
        lines.append(f"📍 {h(card.address)}")
    if card.phone:
        lines.append(f"☎️ {format_phone(card.phone)}")
    status = t(lang, "shop.open_now") if open_now(card, now) else t(lang, "shop.closed_now")
    lines += ["", f"🕘 {t(lang, 'shop.hours')} · {status}"]
    shown = format_hours(hours, lang)
    lines += [f"  {line}" for line in shown] or [f"  {t(lang, 'shop.no_hours')}"]
    if card.description:
        lines += ["", h(card.description)]
    if card.services:
        lines += ["", f"<b>{t(lang, 'shop.services')}</b>"]
        for name, cents, description in card.services:
            lines.append(f"• {h(name)} — {format_price(cents, config)}")
            if description:
                lines.append(f"  <i>{h(description)}</i>")
    return "\n".join(lines)


async def send_shop_page(
    chat: Chat,
    card: ShopCard,
    lang: str,
    config: Config,
    now: datetime,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Map pin (venue), photos, then the page text with its buttons."""
    await chat.send_venue(
        latitude=card.lat,
        longitude=card.lng,
        title=card.name,
        address=card.address or t(lang, f"category.{card.category}"),
    )
    if len(card.photos) == 1:
        await chat.send_photo(card.photos[0])
    elif len(card.photos) > 1:
        await chat.send_media_group([InputMediaPhoto(p) for p in card.photos])
    await chat.send_message(
        page_text(card, lang, config, now), parse_mode=ParseMode.HTML, reply_markup=reply_markup
    )


#: Button data that opens a shop's page (the shop page handler answers it).
PREFIX = "shop"


def shop_data(shop_id: int) -> str:
    """Callback data of a button opening the shop's page."""
    return f"{PREFIX}:{shop_id}"


async def page_buttons(
    shop: Shop, user: User, extra_rows: list[ShopPageRows] = ()
) -> InlineKeyboardMarkup | None:
    """Reviews, and writing (or editing) one unless the viewer runs the shop."""
    can_write = not await works_at(user.id, shop.id)
    has_own = can_write and await review_of(shop.id, user.id) is not None
    rows = review_buttons(
        user.language, shop.id, count=shop.rating_count, can_write=can_write, has_own=has_own
    )
    for extra in extra_rows:
        rows += await extra(shop.id, user)
    return inline(rows) if rows else None
