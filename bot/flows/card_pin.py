"""A card's consumption password: 🔑 Set password (a card without one: joined before the program
took payments, or reset by the shop's owner) and ✏️ Change password (the current one first, then
the new one twice). Every message holding a password is deleted at once and none is kept in the
draft (bot/ui/secret_input.py): the draft holds the card id, and after the current password was
checked, when that was (a change must follow within a few minutes).

Wrong current passwords count towards the card's lockout like wrong ones at a spend."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import clock
from bot.i18n import t
from bot.models import MemberCard
from bot.services import cards, passwords
from bot.services.cards import CardError
from bot.ui.base import Context, Deps, answer, expired, say
from bot.ui.buttons.cards import ChangePin, SetPin
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import choice_keyboard
from bot.ui.secret_input import take_first_pin, take_pin, take_second_pin
from bot.views.cards import send_card
from bot.views.coupons import local_time

FLOW = "cardpin"
OLD, NEW, AGAIN = "cardpin.old", "cardpin.new", "cardpin.again"
SECRET = ~filters.COMMAND & ~CANCEL_LABEL & ~filters.UpdateType.EDITED
PURPOSE = "pin"
#: After the current password was checked, the new one must be set within this time.
CHECKED_FOR = timedelta(minutes=10)


async def _own_card(update: Update, context: Context, card_id: int) -> MemberCard | None:
    card = await cards.card_by_id(card_id)
    if card is None or card.user_id != context.user.id:
        await expired(update, context.user.language)
        return None
    return card


async def start_set(update: Update, context: Context) -> str | int:
    """🔑 Set password, on a card that has none."""
    user = context.user
    card = await _own_card(update, context, SetPin.pressed(update).card_id)
    if card is None:
        return END
    if card.password_hash:
        await expired(update, user.language)
        return END
    await answer(update)
    new_draft(context, FLOW, card_id=card.id, mode="set")
    await _say(update, context, "cards.ask_pin")
    return NEW


async def start_change(update: Update, context: Context) -> str | int:
    """✏️ Change password: the current one first."""
    user = context.user
    card = await _own_card(update, context, ChangePin.pressed(update).card_id)
    if card is None:
        return END
    await answer(update)
    if not card.password_hash:
        await show_menu(update, user, t(user.language, "cards.no_pin_to_change"))
        return END
    new_draft(context, FLOW, card_id=card.id, mode="change")
    await _say(update, context, "cards.ask_old_pin")
    return OLD


async def _say(update: Update, context: Context, key: str, **params: Any) -> None:
    lang = context.user.language
    await say(update, t(lang, key, **params), reply_markup=choice_keyboard(lang, []))


async def got_old(update: Update, context: Context) -> str | int:
    user = context.user
    pin = await take_pin(update)
    card_id = draft(context, FLOW)["card_id"]
    try:
        await passwords.check_password(card_id, pin or "", now=clock.now())
    except CardError as error:
        if error.reason == "locked":
            until = local_time(error.details["until"], user.timezone)
            await show_menu(update, user, t(user.language, "cards.locked", until=until))
            return END
        await _say(update, context, "cards.old_pin_wrong")
        return OLD
    draft(context, FLOW)["checked_at"] = clock.now().isoformat()
    await _say(update, context, "cards.ask_new_pin")
    return NEW


async def got_new(update: Update, context: Context) -> str:
    if not await take_first_pin(update, context, PURPOSE):
        await _say(update, context, "cards.pin_bad")
        return NEW
    await _say(update, context, "cards.ask_pin_again")
    return AGAIN


async def got_again(update: Update, context: Context) -> str | int:
    user = context.user
    lang = user.language
    pin, outcome = await take_second_pin(update, context, PURPOSE)
    if outcome == "start_over":
        await _say(update, context, "cards.pin_start_over")
        return NEW
    if pin is None:
        await _say(update, context, "cards.pin_mismatch")
        return NEW
    work = draft(context, FLOW)
    card_id = work["card_id"]
    if work.get("mode") == "change":
        checked = datetime.fromisoformat(work.get("checked_at", "1970-01-01T00:00:00+00:00"))
        if clock.now() - checked > CHECKED_FOR:  # too long ago: the current one again
            await _say(update, context, "cards.ask_old_pin")
            return OLD
    card = await cards.card_by_id(card_id)
    if card is None or card.user_id != user.id:
        await show_menu(update, user, t(lang, "common.button_expired"))
        return END
    try:
        if work.get("mode") == "change":
            await passwords.replace_password(card.id, pin)
        else:
            await passwords.set_password(card.id, pin)
    except CardError:  # set meanwhile (another chat), or reset meanwhile: nothing changed
        await show_menu(update, user, t(lang, "common.button_expired"))
        return END
    done = "cards.pin_changed" if work.get("mode") == "change" else "cards.pin_set"
    await show_menu(update, user, t(lang, done))
    await send_card(update, context, await cards.view_of(card))
    return END


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CallbackQueryHandler(start_set, pattern=SetPin.pattern()),
                CallbackQueryHandler(start_change, pattern=ChangePin.pattern()),
            ],
            states={
                OLD: [MessageHandler(SECRET, got_old)],
                NEW: [MessageHandler(SECRET, got_new)],
                AGAIN: [MessageHandler(SECRET, got_again)],
            },
            fallbacks=flow_fallbacks(),
        ),
    )
