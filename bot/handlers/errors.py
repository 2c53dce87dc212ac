"""The last resort when a handler raises: the person is never left in silence (a short apology in
their language; a pressed button is always answered, so no spinner keeps turning), and the error
is logged for the deployer with the update id, the exception's type and where it was raised —
never its message, which can quote what people typed (names, phones, message text)."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import language_for, t
from bot.services import users
from bot.ui.base import Context

log = logging.getLogger(__name__)


def describe(error: BaseException | None) -> str:
    """The exception's type and stack (with its causes), without any exception message."""
    parts: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        kind = type(error)
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(f"{kind.__module__}.{kind.__qualname__}\n{frames}".rstrip())
        error = error.__cause__ or error.__context__
    return "\n  caused by ".join(parts) or "unknown error"


async def on_error(update: object, context: Context) -> None:
    """Registered in the composition root; PTB calls it for every exception a handler, a job or
    the polling loop raised."""
    if not isinstance(update, Update):
        job = getattr(context.job, "name", None)
        log.error("error outside an update (job %s): %s", job, describe(context.error))
        return
    log.error("update %s failed: %s", update.update_id, describe(context.error))
    await apologise(update)


async def apologise(update: Update) -> None:
    """Say sorry where the person will see it: the button's own answer (which also stops its
    spinner), else a message in the chat."""
    text = t(await _language(update), "guards.error_apology")
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(text, show_alert=True)
            return
        except TelegramError:  # the handler had answered it before failing
            pass
    chat = update.effective_chat
    if chat is None:
        return
    try:
        await chat.send_message(text)
    except TelegramError as exc:  # blocked, or Telegram itself is the trouble
        log.warning("update %s: apology not delivered (%s)", update.update_id, type(exc).__name__)


async def _language(update: Update) -> str:
    """The language the person chose, or their Telegram one when the database is the trouble."""
    person = update.effective_user
    if person is None:
        return language_for(None)
    try:
        chosen = await users.chosen_language(person.id)
    except Exception:  # the database may be what failed
        chosen = None
    return chosen or language_for(person.language_code)
