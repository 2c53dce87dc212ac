"""What every handler needs: the app's dependencies, the current user (loaded once per update)
and their language, replies that work for both messages and button presses, the 'expired
button' answer, and the polite refusal of a merchant action the user's role does not allow."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ExtBot

from bot.config import Config
from bot.i18n import t
from bot.models import Shop, User
from bot.services.geocoding import Geocoder
from bot.services.staff import NotAllowed, Permission, require_any
from bot.services.users import ensure_user
from bot.ui.callbacks import CallbackData
from bot.ui.text import ALERT_MAX, fit_html, fit_message, shorten


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context of one update (PTB builds one per update and hands it to every handler):
    it carries the sender's row, loaded once by `load_user` before any other handler runs."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._db_user: User | None = None

    @property
    def user(self) -> User:
        """The sender's row. Services that change it (language, roles) change this very
        object, so the rest of the update sees the change."""
        if self._db_user is None:
            raise LookupError("this update has no user (or load_user did not run)")
        return self._db_user


Context = BotContext
DeepLinkOpener = Callable[[Update, Context, str], Awaitable[None]]
#: Extra inline rows for a shop page (coupons, follow...): (shop_id, viewer) -> rows
ShopPageRows = Callable[[int, User], Awaitable[list[list[tuple[str, CallbackData]]]]]


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


#: The group `load_user` runs in: before every other handler, the rule for edited messages
#: (group -1, bot/handlers/common.py) included.
LOAD_USER_GROUP = -2


async def load_user(update: object, context: Context) -> None:
    """Ensure the sender's row (created on first contact) and keep it on the context.

    Membership updates (the user blocked or unblocked the bot) are not the user writing to us:
    no row is touched. Updates from nobody (channel posts, polls) or from a bot go no further:
    every feature talks to a person."""
    if not isinstance(update, Update) or update.my_chat_member or update.chat_member:
        return
    tg = update.effective_user
    if tg is None or tg.is_bot:
        raise ApplicationHandlerStop
    context._db_user = await ensure_user(tg.id, tg.first_name or "", tg.username, tg.language_code)


async def shop_to_manage(
    update: Update,
    user: User,
    *,
    permission: Permission,
    choose_key: str,
    choice_data: Callable[[Shop], CallbackData],
) -> Shop | None:
    """The shop a merchant command acts on: the only one where the user's role grants
    `permission`, or None after asking which one (buttons carry `choice_data(shop)`) or saying
    politely why they may not."""
    try:
        shops = await require_any(user.id, permission)
    except NotAllowed as error:
        await refuse(update, user.language, error)
        return None
    if len(shops) == 1:
        return shops[0]
    rows = [
        [InlineKeyboardButton(shop.name, callback_data=choice_data(shop).pack())] for shop in shops
    ]
    await say(update, t(user.language, choose_key), reply_markup=InlineKeyboardMarkup(rows))
    return None


async def say(update: Update, text: str, **kwargs: Any) -> Message:
    """Send a new message to the chat the update came from (within Telegram's 4,096)."""
    chat = update.effective_chat
    assert chat is not None
    text = fit_message(text, parse_mode_of(chat.get_bot(), kwargs))
    return await chat.send_message(text, **kwargs)


def parse_mode_of(bot: Any, kwargs: dict[str, Any]) -> str | None:
    """The parse mode a send will use: the one passed, else the bot's default."""
    if "parse_mode" in kwargs:
        return kwargs["parse_mode"]
    defaults = getattr(bot, "defaults", None)
    return getattr(defaults, "parse_mode", None)


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Acknowledge a button press (Telegram shows a spinner until we do)."""
    if update.callback_query is not None:
        shown = shorten(text, ALERT_MAX) if text else text
        await update.callback_query.answer(shown, show_alert=alert)


async def expired(update: Update, lang: str) -> None:
    """A stale or forged button: say so politely, change nothing."""
    if update.callback_query is not None:
        await update.callback_query.answer(t(lang, "common.button_expired"), show_alert=True)


def refusal_text(lang: str, error: NotAllowed, *, pressed: bool) -> str:
    """Why a merchant action is refused: what the user's role there allows instead, or (not on
    the shop's staff at all) an expired button or a command for merchants."""
    if error.reason == "not_permitted" and error.role is not None:
        return t(lang, f"roles.not_permitted_{error.role.value}")
    return t(lang, "common.button_expired" if pressed else "common.merchant_only")


async def refuse(update: Update, lang: str, error: NotAllowed) -> None:
    """Say politely that the user may not do this (an alert on a button press)."""
    pressed = update.callback_query is not None
    text = refusal_text(lang, error, pressed=pressed)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await say(update, text)


T = TypeVar("T")


def refusing(
    callback: Callable[[Update, Context], Awaitable[T]],
) -> Callable[[Update, Context], Awaitable[T | None]]:
    """A handler whose permission checks (`staff.require`) may refuse: NotAllowed becomes a
    polite refusal and changes nothing — not even the state of a conversation (None keeps it;
    an entry point does not start one)."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: Context) -> T | None:
        try:
            return await callback(update, context)
        except NotAllowed as error:
            await refuse(update, context.user.language, error)
            return None

    return guarded


async def edit_in_place(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the pressed message; a double tap that changes nothing is not an error."""
    try:
        await query.edit_message_text(fit_html(text), reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


#: Ids are 32-bit signed columns on PostgreSQL: a larger number can name no row.
MAX_ID = 2**31 - 1


def int_arg(value: str) -> int | None:
    """An id or index (0 ≤ n < 2**31, ASCII digits) from a link or typed text, or None for
    anything else: forged, negative, too large for an id column, other digit systems."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= MAX_ID else None
