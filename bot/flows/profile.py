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

from bot.formatting import h
from bot.i18n import t
from bot.models import User
from bot.services import users
from bot.services.phones import format_phone
from bot.ui.base import Context, Deps, answer, say
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
from bot.ui.keyboards import inline, menu_pattern
from bot.views import profile_fields

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
    await profile_fields.ask(update, context, user, field, skip=True)
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
    if not await profile_fields.save_name(update, user, update.message.text):
        return NAME
    return await advance(update, context, user)


async def got_phone_text(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.text is not None
    return await _save_phone(update, context, user, update.message.text)


async def got_contact(update: Update, context: Context) -> str | int:
    user = context.user
    phone = await profile_fields.shared_phone(update, user)
    if phone is None:
        return PHONE
    return await _save_phone(update, context, user, phone)


async def _save_phone(update: Update, context: Context, user: User, raw: str) -> str | int:
    if not await profile_fields.save_phone(update, context, user, raw):
        return PHONE
    return await advance(update, context, user)


async def got_birthday(update: Update, context: Context) -> str | int:
    user = context.user
    assert update.message is not None and update.message.text is not None
    if not await profile_fields.save_birthday(update, user, update.message.text):
        return BIRTHDAY
    return await advance(update, context, user)


async def skip_birthday(update: Update, context: Context) -> str | int:
    return await advance(update, context, context.user)


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
                MessageHandler(~filters.COMMAND, profile_fields.not_text),
            ],
        ),
    )
