"""The customer's side of greetings: "🔕 No more greetings from <shop>" under a greeting (with
an undo), and /settings' switch for greetings from every shop. Each press says what changed
and turns its button into the opposite one."""

from __future__ import annotations

import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot.i18n import t
from bot.services import greetings
from bot.services.shops import get_shop
from bot.ui.base import Context, Deps, answer, expired
from bot.ui.buttons.greetings import AllGreetings, ResumeGreetings, StopGreetings
from bot.ui.callbacks import any_of
from bot.views.greetings import all_greetings_button, resume_button, stop_label


async def shop_press(update: Update, context: Context) -> None:
    """Stop or resume one shop's greetings, from under a greeting (a bundle has one per shop)."""
    user = context.user
    lang = user.language
    pressed = StopGreetings.unpack(update.callback_query.data) or ResumeGreetings.pressed(update)  # type: ignore[union-attr]
    shop = await get_shop(pressed.shop_id)
    if shop is None:
        await expired(update, lang)
        return
    if isinstance(pressed, StopGreetings):
        await greetings.opt_out(user.id, shop.id)
        await answer(update, t(lang, "greetingsui.stopped", shop=shop.name), alert=True)
        new = resume_button(lang, shop.id, shop.name)
    else:
        await greetings.opt_in(user.id, shop.id)
        await answer(update, t(lang, "greetingsui.resumed", shop=shop.name), alert=True)
        new = InlineKeyboardButton(
            stop_label(lang, shop.name), callback_data=StopGreetings(shop_id=shop.id).pack()
        )
    await _swap(update, new)


async def all_press(update: Update, context: Context) -> None:
    """/settings: greetings from every shop on or off (shops muted or stopped one by one stay
    so)."""
    user = context.user
    lang = user.language
    on = AllGreetings.pressed(update).on
    if on:
        await greetings.opt_in(user.id, None)
    else:
        await greetings.opt_out(user.id, None)
    await answer(update, t(lang, "greetingsui.all_on" if on else "greetingsui.all_off"))
    label, data = all_greetings_button(lang, receives=on)
    await _swap(update, InlineKeyboardButton(label, callback_data=data.pack()))


async def _swap(update: Update, new: InlineKeyboardButton) -> None:
    """Replace the pressed button (other buttons of the message stay). Best effort: a message
    too old to edit keeps its button, which still works."""
    query = update.callback_query
    assert query is not None
    markup = query.message.reply_markup if query.message else None  # type: ignore[union-attr]
    if not isinstance(markup, InlineKeyboardMarkup):
        return
    rows = [
        [new if button.callback_data == query.data else button for button in row]
        for row in markup.inline_keyboard
    ]
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    app.add_handler(
        CallbackQueryHandler(shop_press, pattern=any_of(StopGreetings, ResumeGreetings))
    )
    app.add_handler(CallbackQueryHandler(all_press, pattern=AllGreetings.pattern()))
