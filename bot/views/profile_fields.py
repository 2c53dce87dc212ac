"""Asking for a profile field (name, mobile phone, birthday) and saving the answer: one place for
the questions, their keyboards, the parsing and the refusals, shared by /profile
(bot/flows/profile.py) and the card's join form (bot/flows/card_join.py), which may not import
each other. Each `save_*` says why an answer is refused and returns False; the flow keeps its
state then, and moves on when it returns True."""

from __future__ import annotations

from telegram import Update

from bot import clock
from bot.i18n import t
from bot.models import User
from bot.services import users
from bot.services.phones import InvalidPhone, example_phone, normalize_phone
from bot.ui.base import Context, deps, say
from bot.ui.keyboards import choice_keyboard, contact_keyboard


async def ask(update: Update, context: Context, user: User, field: str, *, skip: bool) -> None:
    """The question for `field` ("name", "phone", "birthday"); `skip`: the birthday may be
    skipped (a button says so)."""
    lang = user.language
    if field == "name":
        await say(update, t(lang, "profile.ask_name"), reply_markup=choice_keyboard(lang, []))
    elif field == "phone":
        region = deps(context).config.phone_region
        await say(
            update,
            t(lang, "profile.ask_phone", example=example_phone(region)),
            reply_markup=contact_keyboard(lang),
        )
    else:
        await say(
            update,
            t(lang, "profile.ask_birthday"),
            reply_markup=choice_keyboard(lang, [], skip=skip),
        )


async def save_name(update: Update, user: User, text: str) -> bool:
    try:
        await users.update_profile(user, name=text)
    except users.InvalidProfileValue:
        await say(update, t(user.language, "profile.bad_name"))
        return False
    return True


async def shared_phone(update: Update, user: User) -> str | None:
    """The number of a contact shared with Telegram's button when it is the user's own; else
    None once they are told to share their own."""
    assert update.message is not None and update.message.contact is not None
    contact = update.message.contact
    if contact.user_id != user.id:
        await say(update, t(user.language, "profile.not_own_contact"))
        return None
    return contact.phone_number


async def save_phone(
    update: Update, context: Context, user: User, raw: str, *, international: bool = False
) -> bool:
    """A mainland mobile is 11 digits: the phones service decides (libphonenumber);
    `international`: a number from Telegram's contact button, which carries its country."""
    region = deps(context).config.phone_region
    try:
        phone = normalize_phone(raw, region, international=international)
    except InvalidPhone:
        await say(update, t(user.language, "profile.bad_phone", example=example_phone(region)))
        return False
    await users.update_profile(user, phone=phone)
    return True


async def save_birthday(update: Update, user: User, text: str) -> bool:
    try:
        born = users.parse_birthday(text, clock.now().date())
    except users.InvalidProfileValue as err:
        await say(update, t(user.language, f"profile.{err.reason}"))
        return False
    await users.update_profile(user, birthday=born)
    return True


async def not_text(update: Update, context: Context) -> None:
    """Something else than text where a field's answer is expected."""
    await say(update, t(context.user.language, "profile.expected_text"))
