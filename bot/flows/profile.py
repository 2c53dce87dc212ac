"""/profile: name, mobile phone (typed or Telegram's contact button) and birthday.

Started from the reminder's button it walks through the missing fields only; from /profile it
shows the profile with a button per field."""

from __future__ import annotations

from typing import Any, get_args

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import User
from bot.services import users
from bot.services.phones import InvalidPhone, example_phone, format_phone, normalize_phone
from bot.ui.base import Context, Deps, answer, deps, say
from bot.ui.buttons.profile import CompleteProfile, EditProfileField, ProfileField
from bot.ui.flow import (
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import choice_keyboard, contact_keyboard, inline, menu_pattern

FLOW = "profile"
NAME, PHONE, BIRTHDAY = "profile.name", "profile.phone", "profile.birthday"
FIELDS: tuple[ProfileField, ...] = get_args(ProfileField)
STATE_OF = {"name": NAME, "phone": PHONE, "birthday": BIRTHDAY}


def summary(user: User, lang: str) -> str:
    none = t(lang, "profile.not_set")
    return t(
        lang,
        "profile.summary",
        name=h(user.name) if user.name else none,
        phone=format_phone(user.phone) if user.phone else none,
        birthday=user.birthday.isoformat() if user.birthday else none,
    )


async def show_profile(update: Update, context: Context) -> int:
    user = context.user
    lang = user.language
    buttons = [[(t(lang, f"profile.edit_{f}"), EditProfileField(field=f))] for f in FIELDS]
    await say(update, summary(user, lang), reply_markup=inline(buttons))
    return END


async def start_missing(update: Update, context: Context) -> str | int:
    """From the reminder: ask each missing field in turn."""
    await answer(update)
    user = context.user
    queue = users.missing_profile_fields(user)
    if not queue:
        await say(update, t(user.language, "profile.complete"))
        return END
    new_draft(context, FLOW, queue=queue)
    return await ask(update, context, user, queue[0])


async def start_field(update: Update, context: Context) -> str:
    field = EditProfileField.pressed(update).field
    await answer(update)
    new_draft(context, FLOW, queue=[field])
    return await ask(update, context, context.user, field)


async def ask(update: Update, context: Context, user: User, field: str) -> str:
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
            reply_markup=choice_keyboard(lang, [], skip=True),
        )
    return STATE_OF[field]


async def advance(update: Update, context: Context, user: User) -> str | int:
    """Next missing field, or the finished profile."""
    queue: list[str] = draft(context, FLOW).get("queue", [])
    if queue:
        queue.pop(0)
    if queue:
        return await ask(update, context, user, queue[0])
    await say(update, summary(user, user.language), reply_markup=ReplyKeyboardRemove())
    await show_menu(update, user, t(user.language, "profile.saved"))
    return END


async def got_name(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.text is not None
    try:
        await users.update_profile(user, name=update.message.text)
    except users.InvalidProfileValue:
        await say(update, t(user.language, "profile.bad_name"))
        return NAME
    return await advance(update, context, user)


async def got_phone_text(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.text is not None
    return await _save_phone(update, context, user, update.message.text)


async def got_contact(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.contact is not None
    contact = update.message.contact
    if contact.user_id != user.id:
        await say(update, t(user.language, "profile.not_own_contact"))
        return PHONE
    return await _save_phone(update, context, user, contact.phone_number)


async def _save_phone(update: Update, context: Context, user: User, raw: str) -> str | int:
    region = deps(context).config.phone_region
    try:
        phone = normalize_phone(raw, region)
    except InvalidPhone:
        await say(update, t(user.language, "profile.bad_phone", example=example_phone(region)))
        return PHONE
    await users.update_profile(user, phone=phone)
    return await advance(update, context, user)


async def got_birthday(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.text is not None
    try:
        born = users.parse_birthday(update.message.text, clock.now().date())
    except users.InvalidProfileValue as err:
        await say(update, t(user.language, f"profile.{err.reason}"))
        return BIRTHDAY
    await users.update_profile(user, birthday=born)
    return await advance(update, context, user)


async def skip_birthday(update: Update, context: Context) -> str | int:
    return await advance(update, context, context.user)


async def not_text(update: Update, context: Context) -> None:
    await say(update, t(context.user.language, "profile.expected_text"))


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    app.add_handler(CommandHandler("profile", show_profile))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.profile")), show_profile))
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CallbackQueryHandler(start_missing, pattern=CompleteProfile.pattern()),
                CallbackQueryHandler(start_field, pattern=EditProfileField.pattern()),
            ],
            states={
                NAME: [MessageHandler(PLAIN_TEXT, got_name)],
                PHONE: [
                    MessageHandler(filters.CONTACT, got_contact),
                    MessageHandler(PLAIN_TEXT, got_phone_text),
                ],
                BIRTHDAY: [
                    MessageHandler(SKIP_LABEL, skip_birthday),
                    MessageHandler(PLAIN_TEXT, got_birthday),
                ],
            },
            fallbacks=[
                *flow_fallbacks(),
                MessageHandler(~filters.COMMAND, not_text),
            ],
        ),
    )
