"""Joining a shop's membership card: from 💳 Join the card on the shop page, or from the link
`/start join_<shop id>` (the shop's poster or a card shared by someone) which shows the program
and the same button.

The form asks only what the program needs (name, phone, birthday) and only what the profile
does not hold yet; each answer is saved to the profile as well. Before the first question one
line says what the shop will see. When the card holds stored value or points can pay, a six-digit
consumption password is set, typed twice; each message holding it is deleted at once and it
never enters the draft (bot/ui/secret_input.py). It ends with the card's image and QR code.

States `cardjoin.<step>`; the draft holds the shop id and the fields still to ask, nothing more.
"""

from __future__ import annotations

from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import clock
from bot.formatting import format_price, h
from bot.i18n import t
from bot.models import CardProgram, Shop, User
from bot.services import cards, passwords, users
from bot.services.cards import CardError
from bot.services.shops import get_shop, public_shop
from bot.ui.base import Context, Deps, answer, deps, int_arg, say
from bot.ui.buttons.cards import JoinCard
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import choice_keyboard, inline
from bot.ui.secret_input import take_first_pin, take_second_pin
from bot.views import profile_fields
from bot.views.cards import needed_fields, needs_password, sees_line, send_card

FLOW = "cardjoin"
NAME, PHONE, BIRTHDAY = "cardjoin.name", "cardjoin.phone", "cardjoin.birthday"
PIN, PIN_AGAIN = "cardjoin.pin", "cardjoin.pin_again"
STATE_OF = {"name": NAME, "phone": PHONE, "birthday": BIRTHDAY}
#: A PIN step takes any message but a command or ❌ Cancel: whatever it is, it is deleted.
SECRET = ~filters.COMMAND & ~CANCEL_LABEL & ~filters.UpdateType.EDITED
PIN_PURPOSE = "join"


# ---------------------------------------------------------------------------- the link


async def open_join_link(update: Update, context: Context, token: str) -> None:
    """`/start join_<shop id>`: the program in short with 💳 Join the card (or, for a member,
    their card)."""
    user = context.user
    lang = user.language
    shop_id = int_arg(token)
    shop = await public_shop(shop_id) if shop_id is not None else None
    program = await cards.program_of(shop.id) if shop is not None else None
    if shop is None or program is None or not program.active:
        name = h(shop.name) if shop is not None else ""
        await say(
            update,
            t(lang, "cards.no_program", shop=name) if name else t(lang, "cards.shop_unavailable"),
        )
        return
    if await _already_member(update, context, shop):
        return
    lines = [t(lang, "cards.join_intro", shop=h(shop.name)), ""]
    tiers = sorted(program.tiers, key=lambda tier: tier.rank)
    if tiers:
        lines.append(t(lang, "cards.intro_tiers", tiers=" · ".join(h(tier.name) for tier in tiers)))
        unit = format_price(100, deps(context).config)
        lines.append(t(lang, "cards.intro_earn", count=tiers[0].points_per_unit, unit=unit))
    if program.stored_value:
        lines.append(t(lang, "cards.intro_value"))
    lines += ["", sees_line(lang, shop.name, needed_fields(program))]
    button = [[(t(lang, "cards.join_button"), JoinCard(shop_id=shop.id))]]
    await say(update, "\n".join(lines), reply_markup=inline(button))


async def _already_member(update: Update, context: Context, shop: Shop) -> bool:
    card = await cards.card_of(shop.id, context.user.id)
    if card is None:
        return False
    view = await cards.view_of(card)
    note = t(context.user.language, "cards.already_member", shop=h(shop.name))
    await send_card(update, context, view, note=note)
    return True


# --------------------------------------------------------------------------- the form


async def start(update: Update, context: Context) -> str | int:
    """💳 Join the card: check the program and membership again, say what the shop will see,
    then ask the first missing field (or set the password, or join at once)."""
    user = context.user
    lang = user.language
    shop_id = JoinCard.pressed(update).shop_id
    shop = await public_shop(shop_id)
    program = await cards.program_of(shop_id) if shop is not None else None
    if shop is None or program is None or not program.active:
        await answer(update, t(lang, "cards.shop_unavailable"), alert=True)
        return END
    await answer(update)
    if await _already_member(update, context, shop):
        return END
    fields = needed_fields(program)
    missing = [f for f in fields if f in users.missing_profile_fields(user)]
    new_draft(context, FLOW, shop_id=shop_id, queue=missing)
    lines = [t(lang, "cards.join_intro", shop=h(shop.name)), sees_line(lang, shop.name, fields)]
    if missing:
        lines += ["", t(lang, "cards.for_the_card")]
    await say(update, "\n".join(lines))
    return await _next(update, context, program)


async def _next(update: Update, context: Context, program: CardProgram | None = None) -> str | int:
    """The next missing field, else the password, else the card."""
    user = context.user
    queue: list[str] = draft(context, FLOW).get("queue", [])
    if queue:
        return await _ask(update, context, user, queue[0])
    if program is None:
        program = await cards.program_of(draft(context, FLOW)["shop_id"])
    if program is None or not program.active:
        await say(
            update, t(user.language, "cards.shop_unavailable"), reply_markup=ReplyKeyboardRemove()
        )
        return END
    if needs_password(program):
        await say(
            update,
            t(user.language, "cards.ask_pin"),
            reply_markup=choice_keyboard(user.language, []),
        )
        return PIN
    return await _join(update, context, pin=None)


async def _ask(update: Update, context: Context, user: User, field: str) -> str:
    await profile_fields.ask(update, context, user, field, skip=False)
    return STATE_OF[field]


async def _answered(update: Update, context: Context) -> str | int:
    queue: list[str] = draft(context, FLOW).get("queue", [])
    if queue:
        queue.pop(0)
    return await _next(update, context)


async def got_name(update: Update, context: Context) -> str | int:
    assert update.message is not None and update.message.text is not None
    if not await profile_fields.save_name(update, context.user, update.message.text):
        return NAME
    return await _answered(update, context)


async def got_phone_text(update: Update, context: Context) -> str | int:
    assert update.message is not None and update.message.text is not None
    return await _save_phone(update, context, update.message.text)


async def got_contact(update: Update, context: Context) -> str | int:
    user = context.user
    phone = await profile_fields.shared_phone(update, user)
    if phone is None:
        return PHONE
    return await _save_phone(update, context, phone, shared=True)


async def _save_phone(
    update: Update, context: Context, raw: str, *, shared: bool = False
) -> str | int:
    if not await profile_fields.save_phone(
        update, context, context.user, raw, international=shared
    ):
        return PHONE
    return await _answered(update, context)


async def got_birthday(update: Update, context: Context) -> str | int:
    assert update.message is not None and update.message.text is not None
    if not await profile_fields.save_birthday(update, context.user, update.message.text):
        return BIRTHDAY
    return await _answered(update, context)


# ------------------------------------------------------------------------- the password


async def got_pin(update: Update, context: Context) -> str:
    user = context.user
    if not await take_first_pin(update, context, PIN_PURPOSE):
        await say(update, t(user.language, "cards.pin_bad"))
        return PIN
    await say(update, t(user.language, "cards.ask_pin_again"))
    return PIN_AGAIN


async def got_pin_again(update: Update, context: Context) -> str | int:
    user = context.user
    pin, outcome = await take_second_pin(update, context, PIN_PURPOSE)
    if outcome == "start_over":
        await say(update, t(user.language, "cards.pin_start_over"))
        return PIN
    if pin is None:
        await say(update, t(user.language, "cards.pin_mismatch"))
        return PIN
    return await _join(update, context, pin=pin)


# ------------------------------------------------------------------------------ joining


async def _join(update: Update, context: Context, *, pin: str | None) -> str | int:
    user = context.user
    lang = user.language
    shop_id = draft(context, FLOW)["shop_id"]
    try:
        card = await cards.join(
            shop_id,
            user.id,
            now=clock.now(),
            name=user.name,
            phone=user.phone,
            birthday=user.birthday,
        )
    except CardError as error:
        return await _refused(update, context, shop_id, error)
    if pin is not None:
        await passwords.set_password(card.id, pin)
    view = await cards.view_of(await cards.card_by_id(card.id) or card)  # with its password
    await show_menu(update, user, t(lang, "cards.joined", shop=h(view.shop.name)))
    await send_card(update, context, view)
    return END


async def _refused(update: Update, context: Context, shop_id: int, error: CardError) -> str | int:
    user = context.user
    lang = user.language
    shop = await get_shop(shop_id)
    if error.reason == "already_member" and shop is not None:
        await _already_member(update, context, shop)
        return END
    field = error.details.get("field")
    if error.reason == "missing_field" and field in STATE_OF:
        # The program asks for more since the form began: ask that too.
        draft(context, FLOW)["queue"] = [field]
        return await _ask(update, context, user, str(field))
    await show_menu(update, user, t(lang, "cards.shop_unavailable"))
    return END


# ------------------------------------------------------------------------------- wiring


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    deps.deep_links["join"] = open_join_link
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[CallbackQueryHandler(start, pattern=JoinCard.pattern())],
            states={
                NAME: [MessageHandler(PLAIN_TEXT, got_name)],
                PHONE: [
                    MessageHandler(filters.CONTACT, got_contact),
                    MessageHandler(PLAIN_TEXT, got_phone_text),
                ],
                BIRTHDAY: [MessageHandler(PLAIN_TEXT, got_birthday)],
                PIN: [MessageHandler(SECRET, got_pin)],
                PIN_AGAIN: [MessageHandler(SECRET, got_pin_again)],
            },
            fallbacks=[
                *flow_fallbacks(),
                MessageHandler(~filters.COMMAND, profile_fields.not_text),
            ],
        ),
    )
