"""Platform operators review new shops: each pending shop reaches every operator with Approve /
Reject buttons, one tap decides, the merchant hears the outcome in their own language, and
/pending lists what is still waiting. Only ids in `config.operators` may decide."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.config import Config
from bot.formatting import h
from bot.handlers.base import (
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
from bot.handlers.shop_view import ShopCard, card_for, send_shop_page
from bot.i18n import t
from bot.keyboards import inline
from bot.models import Shop, ShopStatus, User
from bot.services import shops
from bot.services.hours import WeeklyHours
from bot.services.phones import format_phone

log = logging.getLogger(__name__)

PREFIX = "opr"
#: How many pending shops /pending shows at once (one message each).
PENDING_PAGE = 10
_VERDICT = {"ok": True, "no": False}


def shop_summary(card: ShopCard, lang: str) -> str:
    """The shop's essentials in a few HTML lines: what an operator reviews and what its owner
    sees on top of the /myshop menu."""
    hours = WeeklyHours.from_json(card.hours).format(lang)
    lines = [
        f"<b>{h(card.name)}</b>",
        f"🏷 {t(lang, f'category.{card.category}')}",
        f"📍 {h(card.address)}" if card.address else f"📍 {card.lat:.5f}, {card.lng:.5f}",
    ]
    if card.phone:
        lines.append(f"☎️ {format_phone(card.phone)}")
    lines.append(f"🕘 {h('; '.join(hours))}" if hours else f"🕘 {t(lang, 'shop.no_hours')}")
    lines.append(f"📷 {t(lang, 'operator.photo_count', count=len(card.photos))}")
    if card.description:
        text = card.description if len(card.description) <= 300 else card.description[:299] + "…"
        lines += ["", h(text)]
    return "\n".join(lines)


def status_label(status: ShopStatus, lang: str) -> str:
    return t(lang, f"operator.status_{status.value}")


def is_operator(config: Config, user_id: int) -> bool:
    return user_id in config.operators


async def language_of(user_id: int, config: Config) -> str:
    """The user's chosen language, or the configured fallback for someone never seen."""
    user = await User.get_or_none(id=user_id)
    return user.language if user is not None else config.fallback_language


async def review_text(shop: Shop, lang: str) -> str:
    owner = await User.get_or_none(id=shop.owner_id)
    who = h(owner.first_name) if owner is not None else "?"
    if owner is not None and owner.username:
        who += f" @{h(owner.username)}"
    return "\n".join(
        [
            t(lang, "operator.review_title"),
            "",
            shop_summary(await card_for(shop), lang),
            "",
            t(lang, "operator.owner", owner=who, id=shop.owner_id),
        ]
    )


def review_buttons(shop_id: int, lang: str) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                (t(lang, "operator.approve"), f"{PREFIX}:ok:{shop_id}"),
                (t(lang, "operator.reject"), f"{PREFIX}:no:{shop_id}"),
            ],
            [(t(lang, "operator.view_page"), f"{PREFIX}:view:{shop_id}")],
        ]
    )


async def notify_operators(bot: Bot, config: Config, shop: Shop) -> None:
    """Send every operator the new shop with Approve / Reject buttons (unreachable operators
    are logged and skipped, the others still get it)."""
    for operator_id in sorted(config.operators):
        lang = await language_of(operator_id, config)
        try:
            await bot.send_message(
                operator_id,
                await review_text(shop, lang),
                parse_mode=ParseMode.HTML,
                reply_markup=review_buttons(shop.id, lang),
            )
        except TelegramError as exc:
            log.warning("could not tell operator %s about shop %s: %s", operator_id, shop.id, exc)


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
            f"{await review_text(shop, lang)}\n\n{outcome}",
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


async def pending_command(update: Update, context: Context) -> None:
    """/pending: the oldest shops waiting for a decision, each with its buttons."""
    user = await current_user(update)
    lang = user.language
    if not is_operator(deps(context).config, user.id):
        await say(update, t(lang, "operator.only"))
        return
    waiting = await shops.pending_shops()
    if not waiting:
        await say(update, t(lang, "operator.none_pending"))
        return
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
    app.add_handler(CallbackQueryHandler(review_press, pattern=rf"^{PREFIX}:"))
