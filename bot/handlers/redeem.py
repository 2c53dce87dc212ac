"""Staff redeem a customer's coupon at the counter, three ways that end in the same confirm step:
typing the code or sending a photo of the coupon's QR code (both through the counter,
bot/handlers/counter.py), or scanning it with the phone camera, which opens
`/start redeem_<code>` (here).

The confirmation (bot/views/redeem.py) shows the coupon, its terms and the customer's first
name; one tap redeems it (ConfirmRedeem, re-validated on press: the claim could be used or
paused meanwhile), or DropRedeem removes the buttons.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import CouponClaim, User
from bot.sender import notify
from bot.services import coupons
from bot.services.codes import REDEEM_LINK_KIND
from bot.services.coupons import CouponError
from bot.ui.base import Context, Deps, answer, expired, say
from bot.ui.buttons.redeem import ConfirmRedeem, DropRedeem, RedeemButton
from bot.ui.text import fit_html
from bot.views.coupons import error_text, local_time
from bot.views.redeem import check

# ---------------------------------------------------------------------------- confirm


async def confirm_press(update: Update, context: Context) -> None:
    """Redeem (exactly once however often it is tapped), or drop the confirmation."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    pressed = RedeemButton.pressed(update)
    assert isinstance(pressed, ConfirmRedeem | DropRedeem)
    claim_id = pressed.claim_id
    if isinstance(pressed, DropRedeem):
        await answer(update, t(lang, "coupons.redeem_dropped"))
        await _close(query.message, None)
        return
    now = clock.now()
    try:
        claim = await coupons.redeem(claim_id, user.id, now=now)
    except CouponError as error:
        if error.reason == "unknown":
            await expired(update, lang)
            return
        await answer(update)
        await _close(query.message, None)
        await say(update, error_text(lang, "redeem", error, user.timezone))
        return
    await answer(update, t(lang, "coupons.redeemed_toast"))
    done = t(lang, "coupons.redeemed", when=local_time(now, user.timezone))
    await _close(query.message, done)
    await _tell_customer(context, claim, now)
    notify()  # a first visit queued the shop's welcome: it follows the receipt at once


async def _close(message: object, footer: str | None) -> None:
    """Take the buttons off the confirmation, adding a footer line (e.g. "✅ Redeemed")."""
    if not isinstance(message, Message):
        return
    with suppress(TelegramError):  # too old to edit: the answer above already told
        if footer:
            text = (message.text_html or "") + "\n\n" + footer
            await message.edit_text(fit_html(text), reply_markup=None)
        else:
            await message.edit_reply_markup(None)


async def _tell_customer(context: Context, claim: CouponClaim, now: datetime) -> None:
    """A receipt for the customer, so a coupon never leaves a wallet unexplained."""
    customer = await User.get_or_none(id=claim.user_id)
    if customer is None:
        return
    item = await coupons.claim_by_id_for_user(claim.id, customer.id)
    text = t(
        customer.language,
        "coupons.used_receipt",
        title=h(item.coupon.title),
        shop=h(item.shop_name),
        when=local_time(now, customer.timezone),
    )
    with suppress(Forbidden, BadRequest):  # blocked the bot, or never started it
        await context.bot.send_message(customer.id, text)


async def open_redeem_link(update: Update, context: Context, token: str) -> None:
    """`/start redeem_<code>`: the coupon QR scanned with a phone camera."""
    await check(update, context, context.user, token)


# ------------------------------------------------------------------------------ wiring


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.deep_links[REDEEM_LINK_KIND] = open_redeem_link
    app.add_handler(CallbackQueryHandler(confirm_press, pattern=RedeemButton.pattern()))
