"""/start (with deep links), role choice, /help, /cancel outside any flow, and edited messages.

Edited messages have one rule everywhere, inside a flow or not: the bot reads new messages only.
An edit gets one short answer ("please send it again as a new message") and changes nothing —
it is never taken as the answer to whatever step the conversation has reached since. A live
location moving (also delivered as an edit) is passed over in silence."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.i18n import t
from bot.models import User
from bot.services import users
from bot.services.staff import granted_anywhere
from bot.ui.base import Context, answer, callback_args, current_user, deps, expired, say
from bot.ui.commands import CONSUMER_COMMANDS, merchant_commands
from bot.ui.flow import show_menu, unknown_text
from bot.ui.keyboards import inline, menu_pattern

ROLES = {"c": (True, False), "m": (False, True), "b": (True, True)}


async def start(update: Update, context: Context) -> None:
    user = await current_user(update)
    lang = user.language
    if context.args:
        kind, _, token = context.args[0].partition("_")
        opener = deps(context).deep_links.get(kind)
        if opener is None or not token:
            await say(update, t(lang, "start.bad_link"))
        else:
            await opener(update, context, token)
        if user.role_chosen:
            return
    if not user.role_chosen:
        await say(
            update,
            t(lang, "start.welcome", name=user.first_name),
            reply_markup=inline(
                [
                    [(t(lang, "start.role_consumer"), "role:c")],
                    [(t(lang, "start.role_merchant"), "role:m")],
                    [(t(lang, "start.role_both"), "role:b")],
                ]
            ),
        )
        return
    await show_menu(update, user, t(lang, "start.welcome_back", name=user.first_name))
    await remind_profile(update, user)


async def choose_role(update: Update, context: Context) -> None:
    user = await current_user(update)
    query = update.callback_query
    assert query is not None
    args = callback_args(query, "role", 1)
    if args is None or args[0] not in ROLES:
        await expired(update, user.language)
        return
    consumer, merchant = ROLES[args[0]]
    await users.set_roles(user, consumer=consumer, merchant=merchant)
    await answer(update)
    await query.edit_message_reply_markup(None)
    key = "start.role_set_merchant" if merchant else "start.role_set_consumer"
    await show_menu(update, user, t(user.language, key))
    await remind_profile(update, user)


async def remind_profile(update: Update, user: User) -> None:
    """Once per user: list every missing important profile field in one message."""
    missing = users.missing_profile_fields(user)
    if not missing or user.profile_reminded:
        return
    lang = user.language
    fields = "\n".join(f"• {t(lang, f'profile.field_{name}')}" for name in missing)
    await say(
        update,
        t(lang, "profile.reminder", fields=fields),
        reply_markup=inline([[(t(lang, "profile.complete_button"), "profile:edit")]]),
    )
    await users.mark_profile_reminded(user)


async def help_command(update: Update, context: Context) -> None:
    user = await current_user(update)
    lang = user.language
    lines = [t(lang, "help.intro"), ""]
    lines += [f"/{name} — {t(lang, f'cmd.{name}')}" for name in CONSUMER_COMMANDS]
    lines.append(f"/newshop — {t(lang, 'cmd.newshop')}")
    allowed = list(merchant_commands(await granted_anywhere(user.id)))
    allowed.remove("newshop")  # listed above, for everyone
    if allowed:
        lines += ["", t(lang, "help.merchant")]
        lines += [f"/{name} — {t(lang, f'cmd.{name}')}" for name in allowed]
    await say(update, "\n".join(lines))


async def cancel_outside_flow(update: Update, context: Context) -> None:
    user = await current_user(update)
    await show_menu(update, user, t(user.language, "common.nothing_to_cancel"))


async def stale_button(update: Update, context: Context) -> None:
    """Any button press no handler claimed: it is stale or forged."""
    user = await current_user(update)
    await expired(update, user.language)


async def edited_message(update: Update, context: Context) -> None:
    """An edited message, whatever the conversation: say it changed nothing; no flow sees it."""
    user = await current_user(update)
    await say(update, t(user.language, "guards.edited_message"))
    raise ApplicationHandlerStop


async def live_location_moved(update: Update, context: Context) -> None:
    """A live location update: not something the person did, so no answer; no flow sees it."""
    raise ApplicationHandlerStop


#: Runs before every other group, so edits never reach a flow's steps.
EDITS_GROUP = -1


def register(app: Application) -> None:  # type: ignore[type-arg]
    edited = filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edited & filters.LOCATION, live_location_moved), EDITS_GROUP)
    app.add_handler(MessageHandler(edited, edited_message), EDITS_GROUP)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.help")), help_command))
    app.add_handler(CallbackQueryHandler(choose_role, pattern=r"^role:"))


def register_last(app: Application) -> None:  # type: ignore[type-arg]
    """Catch-alls, registered after every other handler of group 0 (first match wins there)."""
    app.add_handler(CommandHandler("cancel", cancel_outside_flow))
    app.add_handler(MessageHandler(filters.ALL, unknown_text))
    app.add_handler(CallbackQueryHandler(stale_button))
