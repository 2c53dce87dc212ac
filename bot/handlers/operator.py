"""Platform operators review new shops, and changes of a live shop's name, category or location:
each reaches every operator with Approve / Reject buttons, one tap decides, the merchant hears the
outcome in their own language, and /pending lists what is still waiting. Only ids in
`config.operators` may decide."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.config import Config
from bot.formatting import h
from bot.i18n import t
from bot.models import Shop, ShopChange, ShopStatus
from bot.services import shops
from bot.ui.base import (
    Context,
    Deps,
    answer,
    callback_args,
    current_user,
    deps,
    expired,
    int_arg,
    say,
)
from bot.views.operator import (
    PREFIX,
    change_buttons,
    change_labels,
    change_review_text,
    is_operator,
    language_of,
    review_buttons,
    review_text,
    status_label,
)
from bot.views.shop import card_for, send_shop_page

log = logging.getLogger(__name__)

#: How many pending shops /pending shows at once (one message each).
PENDING_PAGE = 10
_VERDICT = {"ok": True, "no": False}


async def notify_owner(bot: Bot, config: Config, shop: Shop) -> None:
    """Tell the merchant how their shop was decided, in their language."""
    lang = await language_of(shop.owner_id, config)
    key = (
        "operator.owner_approved"
        if shop.status == ShopStatus.APPROVED
        else "operator.owner_rejected"
    )
    try:
        await bot.send_message(
            shop.owner_id, t(lang, key, name=h(shop.name)), parse_mode=ParseMode.HTML
        )
    except TelegramError as exc:
        log.warning("could not tell the owner of shop %s the decision: %s", shop.id, exc)


async def review_press(update: Update, context: Context) -> None:
    """`opr:ok|no|view:<shop_id>` from a review message; operators only."""
    user = await current_user(update)
    lang = user.language
    config = deps(context).config
    query = update.callback_query
    assert query is not None
    args = callback_args(query, PREFIX, 2)
    shop_id = int_arg(args[1]) if args is not None else None
    if args is None or shop_id is None or args[0] not in (*_VERDICT, "view"):
        await expired(update, lang)
        return
    if not is_operator(config, user.id):
        await answer(update, t(lang, "common.not_allowed"), alert=True)
        return
    if args[0] == "view":
        await show_page(update, context, shop_id, lang)
        return
    try:
        shop = await shops.decide(shop_id, _VERDICT[args[0]])
    except shops.ShopError as err:
        await decision_refused(update, err.reason, shop_id, lang)
        return
    await answer(update, status_label(shop.status, lang))
    await close_review(update, shop, lang, decided_by=user.first_name)
    await notify_owner(context.bot, config, shop)


async def decision_refused(update: Update, reason: str, shop_id: int, lang: str) -> None:
    """A second tap, or another operator was quicker: say so and settle the stale message."""
    shop = await shops.get_shop(shop_id)
    if reason != "already_decided" or shop is None:
        await expired(update, lang)
        return
    await answer(
        update,
        t(lang, "operator.already_decided", status=status_label(shop.status, lang)),
        alert=True,
    )
    await close_review(update, shop, lang, decided_by=None)


async def close_review(update: Update, shop: Shop, lang: str, *, decided_by: str | None) -> None:
    """Replace the review's buttons with the outcome, so nobody taps it again."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    key = "operator.decided_by" if decided_by else "operator.decided"
    outcome = t(lang, key, status=status_label(shop.status, lang), name=h(decided_by or ""))
    try:
        await query.edit_message_text(
            await review_text(shop, lang, outcome),
            parse_mode=ParseMode.HTML,
            reply_markup=None,
        )
    except BadRequest as exc:  # deleted meanwhile, or already showing this outcome
        log.info("review message for shop %s not updated: %s", shop.id, exc)


async def show_page(update: Update, context: Context, shop_id: int, lang: str) -> None:
    shop = await shops.get_shop(shop_id)
    if shop is None or update.effective_chat is None:
        await expired(update, lang)
        return
    await answer(update)
    await send_shop_page(
        update.effective_chat, await card_for(shop), lang, deps(context).config, clock.now()
    )


#: The change actions of a review message (see bot.views.operator.change_data).
_CHANGE_ACTIONS = ("cok", "cno", "cmap")


async def change_press(update: Update, context: Context) -> None:
    """`opr:cok|cno|cmap:<change>` from a change's review message; operators only."""
    user = await current_user(update)
    lang = user.language
    config = deps(context).config
    query = update.callback_query
    assert query is not None
    args = callback_args(query, PREFIX, 2)
    change_id = int_arg(args[1]) if args is not None and args[0] in _CHANGE_ACTIONS else None
    if args is None or change_id is None:
        await expired(update, lang)
        return
    if not is_operator(config, user.id):
        await answer(update, t(lang, "common.not_allowed"), alert=True)
        return
    if args[0] == "cmap":
        await show_new_location(update, change_id, lang)
        return
    approve = args[0] == "cok"
    try:
        shop, change = await shops.decide_change(change_id, approve)
    except shops.ShopError:
        await answer(update, t(lang, "guards.change_gone"), alert=True)
        await _close(update, None, lang)
        return
    status = ShopStatus.APPROVED if approve else ShopStatus.REJECTED
    await answer(update, status_label(status, lang))
    outcome = t(
        lang, "operator.decided_by", status=status_label(status, lang), name=h(user.first_name)
    )
    await _close(update, outcome, lang)
    await notify_owner_of_change(context.bot, config, shop, change, approved=approve)


async def show_new_location(update: Update, change_id: int, lang: str) -> None:
    """The pin a change would move the shop to."""
    change = await shops.get_change(change_id)
    chat = update.effective_chat
    if change is None or change.lat is None or change.lng is None or chat is None:
        await answer(update, t(lang, "guards.change_gone"), alert=True)
        return
    await answer(update)
    await chat.send_location(change.lat, change.lng)


async def _close(update: Update, outcome: str | None, lang: str) -> None:
    """Take the buttons off a change's review, adding the outcome when there is one."""
    query = update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):
        return
    try:
        if outcome:
            text = f"{message.text_html}\n\n{outcome}"
            await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
        else:
            await message.edit_reply_markup(None)
    except BadRequest as exc:  # deleted meanwhile, or already closed
        log.info("change review message not updated: %s", exc)


async def notify_owner_of_change(
    bot: Bot, config: Config, shop: Shop, change: ShopChange, *, approved: bool
) -> None:
    """Tell the merchant how their change was decided, in their language."""
    lang = await language_of(shop.owner_id, config)
    key = "guards.change_approved" if approved else "guards.change_rejected"
    text = t(lang, key, shop=h(shop.name), fields=change_labels(change, lang))
    try:
        await bot.send_message(shop.owner_id, text, parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.warning(
            "could not tell the owner of shop %s about change %s: %s", shop.id, change.id, exc
        )


async def pending_command(update: Update, context: Context) -> None:
    """/pending: the oldest shops and changes waiting for a decision, each with its buttons."""
    user = await current_user(update)
    lang = user.language
    if not is_operator(deps(context).config, user.id):
        await say(update, t(lang, "operator.only"))
        return
    waiting = await shops.pending_shops()
    changes = await shops.pending_changes()
    if not waiting and not changes:
        await say(update, t(lang, "operator.none_pending"))
        return
    if waiting:
        await _list_pending_shops(update, waiting, lang)
    if changes:
        await say(update, t(lang, "guards.changes_count", count=len(changes)))
    for change in changes[:PENDING_PAGE]:
        await say(
            update,
            await change_review_text(change.shop, change, lang),
            parse_mode=ParseMode.HTML,
            reply_markup=change_buttons(change, lang),
        )
    if len(changes) > PENDING_PAGE:
        await say(update, t(lang, "guards.more_changes", count=len(changes) - PENDING_PAGE))


async def _list_pending_shops(update: Update, waiting: list[Shop], lang: str) -> None:
    await say(update, t(lang, "operator.pending_count", count=len(waiting)))
    for shop in waiting[:PENDING_PAGE]:
        await say(
            update,
            await review_text(shop, lang),
            parse_mode=ParseMode.HTML,
            reply_markup=review_buttons(shop.id, lang),
        )
    if len(waiting) > PENDING_PAGE:
        await say(update, t(lang, "operator.more_pending", count=len(waiting) - PENDING_PAGE))


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    app.add_handler(CommandHandler("pending", pending_command))
    app.add_handler(CallbackQueryHandler(change_press, pattern=rf"^{PREFIX}:c(ok|no|map):"))
    app.add_handler(CallbackQueryHandler(review_press, pattern=rf"^{PREFIX}:"))
