"""What every handler needs: the app's dependencies, the current user and their language,
replies that work for both messages and button presses, and the 'expired button' answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.config import Config
from bot.i18n import t
from bot.models import Shop, User
from bot.services.geocoding import Geocoder
from bot.services.users import ensure_user, shops_of

Context = ContextTypes.DEFAULT_TYPE
DeepLinkOpener = Callable[[Update, Context, str], Awaitable[None]]
#: Extra inline rows for a shop page (coupons, follow...): (shop_id, viewer) -> rows
ShopPageRows = Callable[[int, User], Awaitable[list[list[tuple[str, str]]]]]


@dataclass
class Deps:
    """Process-wide collaborators, kept in `bot_data` (not persisted)."""

    config: Config
    geocoder: Geocoder | None = None
    bot_username: str = ""
    #: `/start <kind>_<token>` openers, by kind (shop, ...), wired in bot/app.py
    deep_links: dict[str, DeepLinkOpener] = field(default_factory=dict)
    #: features that add buttons to the shop page, wired by their register()
    shop_page_buttons: list[ShopPageRows] = field(default_factory=list)


def deps(context: Context) -> Deps:
    return context.application.bot_data["deps"]


async def current_user(update: Update) -> User:
    """The sender's row, created on first contact."""
    tg = update.effective_user
    assert tg is not None
    return await ensure_user(tg.id, tg.first_name or "", tg.username, tg.language_code)


async def shop_to_manage(
    update: Update, user: User, *, choose_key: str, choice_data: Callable[[Shop], str]
) -> Shop | None:
    """The shop a merchant command acts on: their only shop, or None after asking which one
    (buttons carry `choice_data(shop)`) or explaining that the command is for merchants."""
    shops = await shops_of(user.id)
    if not shops:
        await say(update, t(user.language, "common.merchant_only"))
        return None
    if len(shops) == 1:
        return shops[0]
    rows = [[InlineKeyboardButton(shop.name, callback_data=choice_data(shop))] for shop in shops]
    await say(update, t(user.language, choose_key), reply_markup=InlineKeyboardMarkup(rows))
    return None


async def say(update: Update, text: str, **kwargs: Any) -> Message:
    """Send a new message to the chat the update came from."""
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, **kwargs)


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Acknowledge a button press (Telegram shows a spinner until we do)."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=alert)


async def expired(update: Update, lang: str) -> None:
    """A stale or forged button: say so politely, change nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer(t(lang, "common.button_expired"), show_alert=True)


async def edit_in_place(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the pressed message; a double tap that changes nothing is not an error."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def callback_args(query: CallbackQuery, prefix: str, count: int) -> list[str] | None:
    """Split `prefix:a:b` callback data into exactly `count` args, or None if malformed."""
    data = query.data or ""
    parts = data.split(":")
    if parts[0] != prefix or len(parts) != count + 1:
        return None
    return parts[1:]


def callback_id(query: CallbackQuery, prefix: str, action: str) -> int | None:
    """The id in `prefix:action:<id>` callback data, or None for anything else (forged, stale)."""
    args = callback_args(query, prefix, 2)
    return int_arg(args[1]) if args and args[0] == action else None


def int_arg(value: str) -> int | None:
    """A positive integer id from callback data, or None for anything else."""
    return int(value) if value.isdigit() and len(value) < 12 else None
