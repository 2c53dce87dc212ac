"""The customer's membership cards: /cards and 💳 My cards (every card as its image, nearest to
the saved home place first, else most recently used), 🔄 New QR in place, each card's history
paged with ◀ ▶, the shop page's 💳 Join the card / 💳 My card, and the password reset the holder
asks for and the shop's owner decides in their own chat. (The card link `/start card_<token>` is
answered by the counter, bot/handlers/counter.py: its holder gets `show_own_card` of
bot/views/cards.py.)

Button data: bot/ui/buttons/cards.py (prefix `crd`). Every press is checked again: the card is
the presser's and its program still exists; a reset is decided once, by the owner of its shop.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import clock
from bot.formatting import format_distance, h
from bot.i18n import t
from bot.models import MemberCard, User
from bot.services import cards, my_cards, passwords
from bot.services.cards import CardError, display_number
from bot.services.staff import works_at
from bot.ui.base import (
    Context,
    Deps,
    answer,
    deps,
    edit_in_place,
    expired,
    refusing,
    say,
)
from bot.ui.buttons.cards import (
    CardHistory,
    CardPassword,
    ChangePin,
    DecideReset,
    ForgotPin,
    JoinCard,
    NewQr,
    OpenCard,
    SetPin,
)
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline, menu_pattern
from bot.views.cards import (
    HISTORY_PER_PAGE,
    history_screen,
    refresh_card,
    send_card,
)

log = logging.getLogger(__name__)

#: Cards sent by /cards at once (each is a picture); the rest are named in one line.
CARDS_MAX = 10


# ------------------------------------------------------------------------------- /cards


async def cards_command(update: Update, context: Context) -> None:
    """Every card as its image: nearest to home first when a home place is saved."""
    user = context.user
    lang = user.language
    listing = await my_cards.my_cards(user.id)
    if not listing.cards:
        await say(update, t(lang, "cards.none"))
        return
    count = len(listing.cards)
    key = "cards.list_by_home" if listing.by_home else "cards.list_by_use"
    await say(update, t(lang, key))
    for view in listing.cards[:CARDS_MAX]:
        away = listing.distances.get(view.card.id)
        note = (
            "" if away is None else t(lang, "cards.from_home", distance=format_distance(away, lang))
        )
        await send_card(update, context, view, note=note)
    if count > CARDS_MAX:
        await say(update, t(lang, "cards.list_more", count=count - CARDS_MAX))


async def _own_card(update: Update, context: Context, card_id: int) -> MemberCard | None:
    """The presser's own card (shop and tier loaded), or None after answering "expired"
    (someone else's, or gone)."""
    card = await cards.card_by_id(card_id)
    if card is None or card.user_id != context.user.id:
        await expired(update, context.user.language)
        return None
    return card


async def _own_view(update: Update, context: Context, card_id: int) -> cards.CardView | None:
    card = await _own_card(update, context, card_id)
    return await cards.view_of(card) if card is not None else None


async def open_press(update: Update, context: Context) -> None:
    view = await _own_view(update, context, OpenCard.pressed(update).card_id)
    if view is None:
        return
    await answer(update)
    await send_card(update, context, view)


async def new_qr_press(update: Update, context: Context) -> None:
    """The card redrawn in place with a fresh QR; the old token expires on its own."""
    view = await _own_view(update, context, NewQr.pressed(update).card_id)
    if view is None:
        return
    await answer(update, t(context.user.language, "cards.qr_refreshed"))
    await refresh_card(update, context, view)


# ------------------------------------------------------------------------------ history


async def history_press(update: Update, context: Context) -> None:
    """Page 0 as a new message under the card; other pages in place."""
    pressed = CardHistory.pressed(update)
    user = context.user
    card = await _own_card(update, context, pressed.card_id)
    if card is None:
        return
    page = await cards.history(card.id, page=pressed.page, per_page=HISTORY_PER_PAGE)
    if pressed.page and pressed.page >= max(page.pages, 1):
        await expired(update, user.language)
        return
    await answer(update)
    text, markup = history_screen(
        card.shop.name,
        card.id,
        list(page.entries),
        pressed.page,
        page.pages,
        user.language,
        user.timezone,
        deps(context).config,
    )
    query = update.callback_query
    assert query is not None
    if pressed.page == 0 and query.message is not None and query.message.photo:
        await say(update, text, reply_markup=markup)
    else:
        await edit_in_place(query, text, markup)


# ------------------------------------------------------------------------------ password


async def password_press(update: Update, context: Context) -> None:
    """🔑 Password: change it with the old one, or ask the shop for a reset."""
    user = context.user
    lang = user.language
    card = await _own_card(update, context, CardPassword.pressed(update).card_id)
    if card is None:
        return
    await answer(update)
    rows: list[list[tuple[str, CallbackData]]] = [
        [(t(lang, "cards.change_pin_button"), ChangePin(card_id=card.id))],
        [(t(lang, "cards.forgot_pin_button"), ForgotPin(card_id=card.id))],
    ]
    await say(
        update, t(lang, "cards.password_menu", shop=h(card.shop.name)), reply_markup=inline(rows)
    )


async def forgot_press(update: Update, context: Context) -> None:
    """Ask the shop's owner to reset the password: they approve or refuse in their own chat
    (asking again while a request waits sends nothing new)."""
    user = context.user
    lang = user.language
    card = await _own_card(update, context, ForgotPin.pressed(update).card_id)
    if card is None:
        return
    now = clock.now()
    reset = await passwords.request_reset(card.id, now=now)
    if reset.created_at < now:
        await answer(update, t(lang, "cards.reset_pending", shop=card.shop.name), alert=True)
        return
    await answer(update)
    await say(update, t(lang, "cards.reset_asked", shop=h(card.shop.name)))
    owner = await User.get(id=card.shop.owner_id)
    olang = owner.language
    text = t(
        olang,
        "cards.reset_request",
        name=h(user.name or user.first_name),
        number=display_number(card.number),
        shop=h(card.shop.name),
    )
    approve = DecideReset(reset_id=reset.id, approve=True)
    refuse = DecideReset(reset_id=reset.id, approve=False)
    buttons = inline(
        [[(t(olang, "cards.approve_button"), approve), (t(olang, "cards.refuse_button"), refuse)]]
    )
    try:  # at once, not through the outbox: the customer is waiting
        await context.bot.send_message(owner.id, text, reply_markup=buttons)
    except TelegramError as exc:
        log.warning("owner of shop %s not told of a reset (%s)", card.shop_id, type(exc).__name__)


@refusing
async def decide_reset_press(update: Update, context: Context) -> None:
    """The owner's ✅ Approve / ✖️ Refuse: the service checks the presser owns the card's shop
    (anyone else is refused politely) and that the request is still pending."""
    user = context.user
    lang = user.language
    pressed = DecideReset.pressed(update)
    try:
        if pressed.approve:
            reset = await passwords.approve_reset(pressed.reset_id, user.id)
        else:
            reset = await passwords.refuse_reset(pressed.reset_id, user.id)
    except CardError as error:
        if error.reason == "decided":
            await answer(update, t(lang, "cards.reset_already_decided"), alert=True)
        else:
            await expired(update, lang)
        return
    await answer(update)
    card = await cards.card_by_id(reset.card_id)
    assert card is not None
    holder: User = card.user
    name = h(holder.name or holder.first_name)
    key = "cards.reset_approved_owner" if pressed.approve else "cards.reset_refused_owner"
    query = update.callback_query
    assert query is not None
    await edit_in_place(query, t(lang, key, name=name), None)
    await _tell_holder(context, holder, card, approved=pressed.approve)


async def _tell_holder(context: Context, holder: User, card: MemberCard, *, approved: bool) -> None:
    lang = holder.language
    shop = h(card.shop.name)
    if approved:
        text = t(lang, "cards.reset_approved", shop=shop)
        markup = inline([[(t(lang, "cards.set_pin_button"), SetPin(card_id=card.id))]])
    else:
        text, markup = t(lang, "cards.reset_refused", shop=shop), None
    try:
        await context.bot.send_message(holder.id, text, reply_markup=markup)
    except TelegramError as exc:  # blocked the bot, or never opened it
        log.info("card holder %s not told of a reset decision (%s)", holder.id, type(exc).__name__)


# ----------------------------------------------------------------------------- shop page


async def shop_page_card_row(shop_id: int, user: User) -> list[list[tuple[str, CallbackData]]]:
    """💳 My card for a member, 💳 Join the card for others, when the shop runs a program
    (not for the shop's own staff)."""
    card = await cards.card_of(shop_id, user.id)
    if card is not None:
        return [[(t(user.language, "cards.my_card_button"), OpenCard(card_id=card.id))]]
    program = await cards.program_of(shop_id)
    if program is None or not program.active or await works_at(user.id, shop_id):
        return []
    return [[(t(user.language, "cards.join_button"), JoinCard(shop_id=shop_id))]]


# ------------------------------------------------------------------------------- wiring


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    deps.shop_page_buttons.append(shop_page_card_row)
    app.add_handler(CommandHandler("cards", cards_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.cards")), cards_command))
    app.add_handler(CallbackQueryHandler(open_press, pattern=OpenCard.pattern()))
    app.add_handler(CallbackQueryHandler(new_qr_press, pattern=NewQr.pattern()))
    app.add_handler(CallbackQueryHandler(history_press, pattern=CardHistory.pattern()))
    app.add_handler(CallbackQueryHandler(password_press, pattern=CardPassword.pattern()))
    app.add_handler(CallbackQueryHandler(forgot_press, pattern=ForgotPin.pattern()))
    app.add_handler(CallbackQueryHandler(decide_reset_press, pattern=DecideReset.pattern()))
