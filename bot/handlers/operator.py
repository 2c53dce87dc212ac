"""Platform operators review new shops, and changes of a live shop's name, category or location:
each reaches every operator with Approve / Reject buttons, one tap decides, the merchant hears the
outcome in their own language, and /pending lists what is still waiting. Only ids in
`config.operators` may decide."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.config import Config
from bot.formatting import h
from bot.i18n import t
from bot.models import Shop, ShopChange, ShopStatus
from bot.services import shops
from bot.ui.base import Context, Deps, answer, deps, expired, say
from bot.ui.buttons.operator import (
    ApproveChange,
    ApproveShop,
    OperatorButton,
    RejectChange,
    RejectShop,
    ShowChangeLocation,
    ViewPendingShop,
)
from bot.ui.callbacks import any_of
from bot.views.operator import (
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


async def notify_owner(bot: Bot, config: Config, shop: Shop) -> None:
    """Tell the merchant how their shop was decided, in their language."""
    lang = await language_of(shop.owner_id, config)
    key = (
        "operator.owner_approved"
        if shop.status == ShopStatus.APPROVED
        else "operator.owner_rejected"
    )
    try:
        await bot.send_message(shop.owner_id, t(lang, key, name=h(shop.name)))
    except TelegramError as exc:
        log.warning("could not tell the owner of shop %s the decision: %s", shop.id, exc)


async def review_press(update: Update, context: Context) -> None:
    """Approve, reject or view a new shop from a review message; operators only."""
    user = context.user
    lang = user.language
    config = deps(context).config
    pressed = OperatorButton.pressed(update)
    assert isinstance(pressed, ApproveShop | RejectShop | ViewPendingShop)
    if not is_operator(config, user.id):
        await answer(update, t(lang, "common.not_allowed"), alert=True)
        return
    shop_id = pressed.shop_id
    if isinstance(pressed, ViewPendingShop):
        await show_page(update, context, shop_id, lang)
        return
    try:
        shop = await shops.decide(shop_id, isinstance(pressed, ApproveShop))
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
        await query.edit_message_text(await review_text(shop, lang, outcome), reply_markup=None)
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


async def change_press(update: Update, context: Context) -> None:
    """Approve, reject or see the new pin of a live shop's change; operators only."""
    user = context.user
    lang = user.language
    config = deps(context).config
    pressed = OperatorButton.pressed(update)
    assert isinstance(pressed, ApproveChange | RejectChange | ShowChangeLocation)
    change_id = pressed.change_id
    if not is_operator(config, user.id):
        await answer(update, t(lang, "common.not_allowed"), alert=True)
        return
    if isinstance(pressed, ShowChangeLocation):
        await show_new_location(update, change_id, lang)
        return
    approve = isinstance(pressed, ApproveChange)
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
            await message.edit_text(text, reply_markup=None)
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
        await bot.send_message(shop.owner_id, text)
    except TelegramError as exc:
        log.warning(
            "could not tell the owner of shop %s about change %s: %s", shop.id, change.id, exc
        )


async def pending_command(update: Update, context: Context) -> None:
    """/pending: the oldest shops and changes waiting for a decision, each with its buttons."""
    user = context.user
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
            reply_markup=review_buttons(shop.id, lang),
        )
    if len(waiting) > PENDING_PAGE:
        await say(update, t(lang, "operator.more_pending", count=len(waiting) - PENDING_PAGE))


def register(app: Application[Any, Any, Any, Any, Any, Any], deps: Deps) -> None:
    app.add_handler(CommandHandler("pending", pending_command))
    changes = any_of(ApproveChange, RejectChange, ShowChangeLocation)
    app.add_handler(CallbackQueryHandler(change_press, pattern=changes))
    app.add_handler(
        CallbackQueryHandler(review_press, pattern=any_of(ApproveShop, RejectShop, ViewPendingShop))
    )
