"""The shop page exactly as customers see it; the /newshop preview renders the same way.

The page always fits one message: when a long description and many services would not, the
descriptions are shortened and the last services left out, and a 📋 All services button opens
the services in full (pages of their own), where a 📷 button per service shows its photo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto

from bot.config import Config
from bot.formatting import format_hours, format_price, format_rating, h
from bot.i18n import t
from bot.models import Service, Shop, User
from bot.services import card_programs
from bot.services.hours import WeeklyHours
from bot.services.phones import format_phone
from bot.services.reviews import review_of
from bot.services.shops import ShopDraft, photos_of
from bot.services.staff import works_at
from bot.ui.base import ShopPageRows
from bot.ui.buttons.shop import AllServices, ServicePhoto, ServicesPage
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline
from bot.ui.text import (
    CAPTION_MAX,
    TEXT_MAX,
    Block,
    Fitted,
    Line,
    block,
    blocks,
    cut,
    fit,
    measure,
    pages,
)
from bot.views.reviews import review_buttons

#: The shop's own description keeps at least this many characters on its page, and each
#: service's description this many, before services are left out (they stay one tap away).
ABOUT_FLOOR = 300
SERVICE_FLOOR = 60
#: Services on one page of the full list (each may bring a 📷 button).
SERVICES_PER_PAGE = 10


@dataclass
class ServiceItem:
    """A service as customers see it."""

    name: str
    price_cents: int
    description: str = ""
    photo: str | None = None
    id: int | None = None


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
    services: list[ServiceItem] = field(default_factory=list)
    rating_sum: int = 0
    rating_count: int = 0
    #: None for a draft (the /newshop preview): no buttons lead anywhere yet
    shop_id: int | None = None
    #: the membership card's tiers, lowest first (none without a card program)
    card_tiers: list[str] = field(default_factory=list)


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
        services=[
            ServiceItem(s.name, s.price_cents, s.description, s.photo_file_id, s.id)
            for s in services
        ],
        rating_sum=shop.rating_sum,
        rating_count=shop.rating_count,
        shop_id=shop.id,
        card_tiers=[tier.name for tier in await card_programs.tiers_of(shop.id)],
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


def page_blocks(card: ShopCard, lang: str, config: Config, now: datetime) -> list[Block]:
    """The page (HTML blocks): name, category, rating, address, phone, hours with open-now,
    description, services with prices; what gives way first is marked."""
    hours = WeeklyHours.from_json(card.hours)
    lines = [f"<b>{h(card.name)}</b>", t(lang, f"category.{card.category}")]
    rating = format_rating(card.rating_sum, card.rating_count)
    lines.append(rating or t(lang, "shop.no_ratings"))
    if card.address:
        lines.append(f"📍 {h(card.address)}")
    if card.phone:
        lines.append(f"☎️ {format_phone(card.phone)}")
    if card.card_tiers:
        tiers = " → ".join(h(name) for name in card.card_tiers)
        lines.append(t(lang, "cardprog.shop_line", tiers=tiers))
    status = t(lang, "shop.open_now") if open_now(card, now) else t(lang, "shop.closed_now")
    lines += ["", f"🕘 {t(lang, 'shop.hours')} · {status}"]
    shown = format_hours(hours, lang)
    lines += [f"  {line}" for line in shown] or [f"  {t(lang, 'shop.no_hours')}"]
    parts = blocks(lines)
    if card.description:
        parts += [block(""), block(cut(card.description, ABOUT_FLOOR, name="about"))]
    if card.services:
        parts.append(block("", f"<b>{t(lang, 'shop.services')}</b>"))
        parts += [service_block(item, config, SERVICE_FLOOR) for item in card.services]
    return parts


def service_block(item: ServiceItem, config: Config, floor: int, *, camera: bool = False) -> Block:
    """`• name — price` (📷 when it has a photo and `camera`), its description in italics."""
    mark = " 📷" if camera and item.photo else ""
    lines: list[Line | str] = [f"• {h(item.name)} — {format_price(item.price_cents, config)}{mark}"]
    if item.description:
        lines.append(cut(item.description, floor, markup="  <i>", end="</i>"))
    return block(*lines, drop=1)


def fit_page(card: ShopCard, lang: str, config: Config, now: datetime) -> Fitted:
    """The page within one message; services left out are counted in a note."""
    return fit(
        page_blocks(card, lang, config, now),
        more=lambda count: t(lang, "limits.more_services", count=count),
    )


def page_text(card: ShopCard, lang: str, config: Config, now: datetime) -> str:
    return fit_page(card, lang, config, now).html


async def send_shop_page(
    chat: Chat,
    card: ShopCard,
    lang: str,
    config: Config,
    now: datetime,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Map pin (venue), photos, then the page text with its buttons (📋 All services first
    when the page could not hold them all, or when services have photos to see)."""
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
    page = fit_page(card, lang, config, now)
    await chat.send_message(
        page.html,
        reply_markup=_with_services_button(reply_markup, card, page, lang),
    )


def _with_services_button(
    markup: InlineKeyboardMarkup | None, card: ShopCard, page: Fitted, lang: str
) -> InlineKeyboardMarkup | None:
    wanted = not page.complete or any(item.photo for item in card.services)
    if card.shop_id is None or not card.services or not wanted:
        return markup
    label = t(lang, "limits.all_services", count=len(card.services))
    data = AllServices(shop_id=card.shop_id, page=0).pack()
    row = [InlineKeyboardButton(label, callback_data=data)]
    return InlineKeyboardMarkup([row, *(markup.inline_keyboard if markup else ())])


def services_screen(
    card: ShopCard, lang: str, config: Config, now: datetime, number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `number` (from 0; past the end: the last) of the services in full, with the
    shop's description first when its page had to shorten it; a 📷 button per service with a
    photo, and previous / next."""
    body: list[Block] = []
    if "about" in fit_page(card, lang, config, now).cut:
        body.append(block(cut(card.description, ABOUT_FLOOR), ""))
    listed = [
        (item, service_block(item, config, SERVICE_FLOOR, camera=True)) for item in card.services
    ]
    body += [part for _, part in listed]
    widest = t(lang, "limits.services_title", shop=h(card.name), page="99/99")
    paged = pages(body, TEXT_MAX - measure(widest) - 2, most=SERVICES_PER_PAGE)
    number = min(max(number, 0), len(paged) - 1)
    title = t(lang, "limits.services_title", shop=h(card.name), page=f"{number + 1}/{len(paged)}")
    text = fit([block(title, ""), *paged[number]]).html
    on_page = [item for item, part in listed if any(part is p for p in paged[number])]
    rows: list[list[tuple[str, CallbackData]]] = [
        [(f"📷 {item.name}", ServicePhoto(service_id=item.id))]
        for item in on_page
        if item.photo and item.id is not None
    ]
    nav: list[tuple[str, CallbackData]] = []
    assert card.shop_id is not None  # a saved shop: a draft has no services to page through
    if number > 0:
        nav.append((t(lang, "results.prev"), ServicesPage(shop_id=card.shop_id, page=number - 1)))
    if number + 1 < len(paged):
        nav.append((t(lang, "results.next"), ServicesPage(shop_id=card.shop_id, page=number + 1)))
    if nav:
        rows.append(nav)
    return text, inline(rows) if rows else None


def service_caption(item: ServiceItem, shop_name: str, config: Config) -> str:
    """A service's photo caption: name, price, shop, and its description as far as fits."""
    lines = [
        f"<b>{h(item.name)}</b> — {format_price(item.price_cents, config)}",
        f"🏪 {h(shop_name)}",
    ]
    parts = blocks(lines)
    if item.description:
        parts.insert(1, block(cut(item.description, SERVICE_FLOOR, markup="<i>", end="</i>")))
    return fit(parts, CAPTION_MAX).html


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
