"""/start (with deep links), /help, /cancel outside any flow, and edited messages.

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

from bot.formatting import h
from bot.i18n import t
from bot.models import User
from bot.services import users
from bot.services.staff import granted_anywhere
from bot.ui.base import Context, deps, expired, say
from bot.ui.buttons.profile import CompleteProfile
from bot.ui.commands import CONSUMER_COMMANDS, merchant_commands
from bot.ui.flow import busy_press, show_menu, unknown_text, waiting_flow_wants
from bot.ui.keyboards import inline, menu_pattern


async def start(update: Update, context: Context) -> None:
    """/start: a first contact is a customer (shop owners become merchants with /newshop) and
    is greeted with the main menu, after the page a deep link opened; nobody is asked a role."""
    user = context.user
    lang = user.language
    first_contact = not user.role_chosen
    if first_contact:
        await users.set_roles(user, consumer=True, merchant=user.is_merchant)
    if context.args:
        await open_link(update, context, lang, context.args[0])
    if first_contact:
        await show_menu(update, user, t(lang, "walk.welcome", name=h(user.first_name)))
    elif not context.args:
        await show_menu(update, user, t(lang, "start.welcome_back", name=h(user.first_name)))
        await remind_profile(update, user)


async def open_link(update: Update, context: Context, lang: str, payload: str) -> None:
    """`/start <kind>_<token>`: the opener registered for the kind (shop page, redeem...)."""
    kind, _, token = payload.partition("_")
    opener = deps(context).deep_links.get(kind)
    if opener is None or not token:
        await say(update, t(lang, "start.bad_link"))
        return
    await opener(update, context, token)


async def remind_profile(update: Update, user: User) -> None:
    """Once per customer, on a later /start (never at first contact, never to people who run
    or staff a shop): every missing important profile field in one message."""
    missing = users.missing_profile_fields(user)
    if not missing or user.profile_reminded or user.is_merchant or await granted_anywhere(user.id):
        return
    lang = user.language
    fields = "\n".join(f"• {t(lang, f'profile.field_{name}')}" for name in missing)
    await say(
        update,
        t(lang, "profile.reminder", fields=fields),
        reply_markup=inline([[(t(lang, "profile.complete_button"), CompleteProfile())]]),
    )
    await users.mark_profile_reminded(user)


async def help_command(update: Update, context: Context) -> None:
    user = context.user
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
    user = context.user
    await show_menu(update, user, t(user.language, "common.nothing_to_cancel"))


async def stale_button(update: Update, context: Context) -> None:
    """Any button press no handler claimed: stale, forged or in an old format — unless a flow
    waiting under a newer one would take it once that one ends."""
    if waiting_flow_wants(context.application, update):
        await busy_press(update, context)
        return
    await expired(update, context.user.language)


async def edited_message(update: Update, context: Context) -> None:
    """An edited message, whatever the conversation: say it changed nothing; no flow sees it."""
    await say(update, t(context.user.language, "guards.edited_message"))
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


def register_last(app: Application) -> None:  # type: ignore[type-arg]
    """Catch-alls, registered after every other handler of group 0 (first match wins there)."""
    app.add_handler(CommandHandler("cancel", cancel_outside_flow))
    app.add_handler(MessageHandler(filters.ALL, unknown_text))
    app.add_handler(CallbackQueryHandler(stale_button))
