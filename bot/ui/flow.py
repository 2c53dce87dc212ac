"""Pieces every flow shares: leaving with /cancel from any step, refusing other commands
mid-flow, and the main menu."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import t
from bot.models import User
from bot.services.staff import Permission, granted_anywhere
from bot.ui.base import Context, current_user, say
from bot.ui.keyboards import any_label_pattern, menu_keyboard

END = ConversationHandler.END
CANCEL_LABEL = filters.Regex(any_label_pattern(["common.cancel_button"]))
SKIP_LABEL = filters.Regex(any_label_pattern(["common.skip"]))
PLAIN_TEXT = filters.TEXT & ~filters.COMMAND & ~CANCEL_LABEL


async def show_menu(update: Update, user: User, text: str) -> None:
    counter = Permission.REDEEM in await granted_anywhere(user.id)
    await say(
        update,
        text,
        reply_markup=menu_keyboard(
            user.language, consumer=user.is_consumer, merchant=user.is_merchant, counter=counter
        ),
    )


async def cancel(update: Update, context: Context) -> int:
    """Leave the current flow, forget its draft, and show the main menu."""
    user = await current_user(update)
    if context.user_data is not None:
        context.user_data.pop("draft", None)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await show_menu(update, user, t(user.language, "common.cancelled"))
    return END


async def busy(update: Update, context: Context) -> None:
    """Another command mid-flow: keep the flow, tell the user how to leave it."""
    user = await current_user(update)
    await say(update, t(user.language, "common.finish_or_cancel"))


def flow_fallbacks() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("cancel", cancel),
        MessageHandler(CANCEL_LABEL, cancel),
        MessageHandler(filters.COMMAND, busy),
    ]


def draft(context: Context) -> dict:
    """The current flow's draft, kept in persisted user_data so a restart resumes it."""
    assert context.user_data is not None
    return context.user_data.setdefault("draft", {})


async def unknown_text(update: Update, context: Context) -> None:
    """Anything no handler understood: point to the menu instead of staying silent."""
    user = await current_user(update)
    await show_menu(update, user, t(user.language, "common.not_understood"))
