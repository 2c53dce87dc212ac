"""Keyboard builders: pure functions from language and data to markup."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.i18n import LANGUAGES, t
from bot.ui.callbacks import CallbackData

CONSUMER_MENU = (
    "menu.nearby",
    "menu.search",
    "menu.wallet",
    "menu.cards",
    "menu.profile",
    "menu.settings",
)
MERCHANT_MENU = ("menu.redeem", "menu.myshop", "menu.newshop")


def menu_keyboard(
    lang: str, *, consumer: bool, merchant: bool, counter: bool = False
) -> ReplyKeyboardMarkup:
    """The main menu, fitting the user's roles: the counter (redeeming a coupon) for anyone
    who may redeem at a shop, clerks included, above the owners' shop rows."""
    rows: list[list[str]] = []
    if consumer or not merchant:
        rows += [
            [t(lang, "menu.nearby"), t(lang, "menu.search")],
            [t(lang, "menu.wallet"), t(lang, "menu.cards")],
        ]
    if counter:
        rows += [[t(lang, "menu.redeem")]]
    if merchant:
        rows += [[t(lang, "menu.myshop"), t(lang, "menu.newshop")]]
    rows += [[t(lang, "menu.profile"), t(lang, "menu.settings")], [t(lang, "menu.help")]]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True)


def menu_pattern(key: str) -> re.Pattern[str]:
    """A regex matching a menu button's label in every language."""
    labels = sorted({t(lang, key) for lang in LANGUAGES})
    return re.compile("^(?:" + "|".join(re.escape(label) for label in labels) + ")$")


def any_label_pattern(keys: Iterable[str]) -> re.Pattern[str]:
    labels = sorted({t(lang, key) for key in keys for lang in LANGUAGES})
    return re.compile("^(?:" + "|".join(re.escape(label) for label in labels) + ")$")


def location_keyboard(lang: str, *, extra: Sequence[str] = ()) -> ReplyKeyboardMarkup:
    """Ask for the phone's location (plus optional extra buttons like saved places)."""
    rows = [[KeyboardButton(t(lang, "common.share_location"), request_location=True)]]
    if extra:
        rows.append(list(extra))
    rows.append([t(lang, "common.cancel_button")])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def contact_keyboard(lang: str) -> ReplyKeyboardMarkup:
    rows = [
        [KeyboardButton(t(lang, "profile.share_contact"), request_contact=True)],
        [t(lang, "common.cancel_button")],
    ]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def choice_keyboard(lang: str, labels: Sequence[str], *, skip: bool = False) -> ReplyKeyboardMarkup:
    rows = [[label] for label in labels]
    if skip:
        rows.append([t(lang, "common.skip")])
    rows.append([t(lang, "common.cancel_button")])
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def inline(rows: Sequence[Sequence[tuple[str, CallbackData]]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (label, button data)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data.pack()) for label, data in row]
            for row in rows
        ]
    )


def category_buttons(
    lang: str, categories: Sequence[str], data: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    """Categories two per row; a button carries the category's index (short, not free text)."""
    buttons = [(t(lang, f"category.{c}"), data(i)) for i, c in enumerate(categories)]
    return inline([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
