"""Customers' coupons: claiming one (shop page, pushed promotions), the wallet (/wallet and the
🎟 My coupons button), each coupon's QR card, and the words of the reminder the day before one
expires (scheduler/reminders.py decides when; bot/app.py passes it `reminder_payload`).

It also holds the coupon texts every coupon screen shares, so the merchant's preview, the
customer's card and the staff's confirmation describe a coupon in the very same words.

Button data (prefix `wlt`, bot/ui/buttons/wallet.py), validated on every press: ClaimCoupon
(from the shop page, or a push naming its promotion) and OpenCoupon (one's own coupon).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.formatting import h
from bot.i18n import LANGUAGES, t
from bot.models import ClaimStatus, Promotion, User
from bot.services import coupons
from bot.services.coupons import CouponError, WalletItem
from bot.ui.base import Context, Deps, answer, deps, expired, say
from bot.ui.buttons.wallet import ClaimCoupon, OpenCoupon
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline, menu_pattern
from bot.ui.text import block, blocks, fit
from bot.views.coupons import (
    card_text,
    coupon_name,
    error_text,
    expiry_line,
    local_time,
    send_card,
    tell,
)

#: Coupons ready to use listed (each with a button), and used or expired ones under them.
WALLET_ACTIVE_MAX = 20
WALLET_HISTORY = 5
#: Claim refusals that hide a coupon's button from the shop page (nobody could claim it).
#: A tier coupon is hidden from non-members and members below its tier ("tier_needed").
HIDDEN_ON_PAGE = frozenset({"ended", "paused", "expired", "sold_out", "tier_needed"})


# --------------------------------------------------------------------------- claiming


async def shop_page_coupon_rows(shop_id: int, user: User) -> list[list[tuple[str, CallbackData]]]:
    """One `🎟 <title>` claim button per coupon of the shop that can still be claimed (flash
    deals' copies are offered by their pushes only)."""
    rows: list[list[tuple[str, CallbackData]]] = []
    for coupon in await coupons.page_coupons(shop_id):
        try:
            await coupons.ensure_claimable(coupon, user.id, now=clock.now())
        except CouponError as error:
            if error.reason in HIDDEN_ON_PAGE:
                continue
        rows.append([(f"🎟 {coupon.title}", ClaimCoupon(coupon_id=coupon.id))])
    return rows


async def claim_press(update: Update, context: Context) -> None:
    """Claim the coupon (from a push: counted for its promotion) and send its QR card."""
    user = context.user
    lang = user.language
    pressed = ClaimCoupon.pressed(update)
    coupon_id, promotion_id = pressed.coupon_id, pressed.promotion_id
    if promotion_id is not None and not await Promotion.exists(
        id=promotion_id, coupon_id=coupon_id
    ):
        await expired(update, lang)
        return
    try:
        if promotion_id is None:
            claim = await coupons.claim_from_page(coupon_id, user.id, now=clock.now())
        else:
            claim = await coupons.claim(
                coupon_id, user.id, now=clock.now(), promotion_id=promotion_id
            )
    except CouponError as error:
        await tell(update, error_text(lang, "claim", error, user.timezone, html=False))
        return
    await answer(update, t(lang, "coupons.claimed_toast"))
    item = await coupons.claim_by_id_for_user(claim.id, user.id)
    await _send_item(update, context, user, item, note=t(lang, "coupons.claimed_note"))


async def _send_item(
    update: Update, context: Context, user: User, item: WalletItem, *, note: str = ""
) -> None:
    lang = user.language
    text = card_text(
        item.coupon,
        item.shop_name,
        item.claim.code,
        expiry_line(item.expires_at, lang, user.timezone),
        lang,
        deps(context).config,
        note=note,
    )
    await send_card(update, context, item.coupon, item.claim.code, text)


# ----------------------------------------------------------------------------- wallet


async def wallet_command(update: Update, context: Context) -> None:
    """/wallet and 🎟 My coupons: ready to use (tap to show), then recently used and expired."""
    user = context.user
    lang, tz = user.language, user.timezone
    held = await coupons.wallet(user.id, now=clock.now(), history=WALLET_HISTORY)
    if not any(held.values()):
        await say(update, t(lang, "coupons.wallet_empty"))
        return
    parts = blocks([t(lang, "coupons.wallet_title"), ""])
    rows: list[list[tuple[str, CallbackData]]] = []
    if held["active"]:
        parts.append(block(t(lang, "coupons.wallet_active")))
    for n, item in enumerate(held["active"][:WALLET_ACTIVE_MAX], 1):
        until = expiry_line(item.expires_at, lang, tz)
        name = coupon_name(item.coupon, lang, tz)
        line = f"{n}. <b>{h(name)}</b> — {h(item.shop_name)}\n    {until}"
        parts.append(block(line, drop=1))
        rows.append([(f"{n}. {name}", OpenCoupon(claim_id=item.claim.id))])
    if len(held["active"]) > WALLET_ACTIVE_MAX:
        more = len(held["active"]) - WALLET_ACTIVE_MAX
        parts.append(block(t(lang, "coupons.wallet_more", count=more)))
    for section in ("used", "expired"):
        if not held[section]:
            continue
        parts += blocks(["", t(lang, f"coupons.wallet_{section}")])
        for item in held[section]:
            moment = item.claim.redeemed_at if section == "used" else item.expires_at
            when = local_time(moment, tz) if moment else ""
            name = coupon_name(item.coupon, lang, tz)
            line = f"• {h(name)} — {h(item.shop_name)} · {when}"
            parts.append(block(line, drop=2))
    # Past coupons give way first; ready ones left out still have their buttons.
    text = fit(parts, more=lambda count: t(lang, "limits.more_items", count=count)).html
    await say(update, text, reply_markup=inline(rows) if rows else None)


async def open_press(update: Update, context: Context) -> None:
    """The presser's own coupon as its QR card; anyone else's is refused."""
    user = context.user
    lang = user.language
    try:
        item = await coupons.claim_by_id_for_user(OpenCoupon.pressed(update).claim_id, user.id)
    except CouponError:
        await expired(update, lang)
        return
    now = clock.now()
    if item.claim.status == ClaimStatus.REDEEMED:
        used = item.claim.redeemed_at or now
        text = t(lang, "coupons.open_used", when=local_time(used, user.timezone))
        await answer(update, text, alert=True)
        return
    if item.expires_at is not None and now >= item.expires_at:
        when = local_time(item.expires_at, user.timezone)
        await answer(update, t(lang, "coupons.open_expired", when=when), alert=True)
        return
    await answer(update)
    await _send_item(update, context, user, item)


# --------------------------------------------------------------------------- reminders


def reminder_payload(item: WalletItem) -> dict[str, Any]:
    """The reminder as an outbox payload: every language (times in the shop's zone), with a
    button to the card."""
    tz = item.coupon.shop.timezone
    when = local_time(item.expires_at, tz) if item.expires_at else ""
    text = {
        lang: t(
            lang,
            "coupons.reminder",
            title=h(item.coupon.title),
            shop=h(item.shop_name),
            when=when,
        )
        for lang in LANGUAGES
    }
    button = {lang: t(lang, "coupons.reminder_button") for lang in LANGUAGES}
    return {
        "text": text,
        "buttons": [[{"text": button, "callback_data": OpenCoupon(claim_id=item.claim.id).pack()}]],
    }


# ------------------------------------------------------------------------------ wiring


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.shop_page_buttons.append(shop_page_coupon_rows)
    app.add_handler(CallbackQueryHandler(claim_press, pattern=ClaimCoupon.pattern()))
    app.add_handler(CallbackQueryHandler(open_press, pattern=OpenCoupon.pattern()))
    app.add_handler(CommandHandler("wallet", wallet_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.wallet")), wallet_command))
