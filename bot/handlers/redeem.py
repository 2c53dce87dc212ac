"""Staff redeem a customer's coupon at the counter, three ways that end in the same confirm step:
typing the code (`/redeem CODE`, or `/redeem` and then the code), sending a photo of the
coupon's QR code, or scanning it with the phone camera, which opens `/start redeem_<code>`.

The confirmation shows the coupon, its terms and the customer's first name; one tap redeems it
(ConfirmRedeem, re-validated on press: the claim could be used or paused meanwhile), or
DropRedeem removes the buttons.
"""

from __future__ import annotations

import asyncio
import io
from contextlib import suppress
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image, UnidentifiedImageError
from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import CouponClaim, User
from bot.sender import notify
from bot.services import coupons
from bot.services.codes import REDEEM_LINK_KIND, display_code, verify_check
from bot.services.coupons import CouponError, RedeemPreview
from bot.services.staff import Permission, shops_where
from bot.ui.base import Context, Deps, answer, deps, expired, say
from bot.ui.buttons.redeem import ConfirmRedeem, DropRedeem, RedeemButton
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    Flow,
    add_flow,
    busy,
    flow_fallbacks,
    unknown_text,
)
from bot.ui.keyboards import CONSUMER_MENU, MERCHANT_MENU, any_label_pattern, inline, menu_pattern
from bot.ui.text import fit_html
from bot.views.coupons import error_text, expiry_line, local_time, offer_lines

FLOW = "redeem"
AWAIT_CODE = "redeem.code"  # the flow's one state (a string: it is persisted)
#: Refusals worth another try in the same step (a typo, a blurred photo); the rest are final.
TRY_AGAIN = frozenset({"malformed", "bad_check", "unknown", "no_qr"})
MENU_LABELS = filters.Regex(any_label_pattern([*CONSUMER_MENU, *MERCHANT_MENU, "menu.help"]))
NOT_TEXT_OR_PHOTO = ~filters.TEXT & ~filters.PHOTO & ~filters.COMMAND & ~CANCEL_LABEL


# ----------------------------------------------------------------------- reading a code


def code_from_qr_text(text: str) -> str | None:
    """The code in a coupon QR's text: the `?start=redeem_<code>` link, or a bare code."""
    text = text.strip()
    start = parse_qs(urlsplit(text).query).get("start", [""])[0]
    kind, _, token = start.partition("_")
    if kind == REDEEM_LINK_KIND and token:
        return token
    return text if verify_check(text) else None  # not ours: a shop poster, a Wi-Fi code...


def decode_qr(data: bytes) -> str | None:
    """The coupon code in a picture's QR codes, or None if none can be read."""
    try:
        image = Image.open(io.BytesIO(data))
        # QR only: printed text under a QR can fool the linear-barcode readers.
        results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    for result in results:
        code = code_from_qr_text(result.text)
        if code:
            return code
    return None


async def photo_code(message: Message, context: Context) -> str | None:
    """Download the photo's largest size and read the coupon code in it."""
    photo = message.photo[-1]
    data = await (await context.bot.get_file(photo.file_id)).download_as_bytearray()
    return await asyncio.to_thread(decode_qr, bytes(data))


# ---------------------------------------------------------------------------- confirm


async def present(
    update: Update, context: Context, user: User, typed: str | None
) -> CouponError | None:
    """Show the confirmation for a typed or scanned code (None: no QR code could be read);
    or return why not, for the caller to say."""
    if typed is None:
        return CouponError("no_qr")
    lang = user.language
    try:
        preview = await coupons.find_claim_for_redeem(typed, user.id, now=clock.now())
    except CouponError as error:
        return error
    lines = [t(lang, "coupons.redeem_confirm_title"), ""]
    lines += _preview_lines(preview, lang, user.timezone, context)
    buttons = [
        [
            (t(lang, "coupons.redeem_button"), ConfirmRedeem(claim_id=preview.claim_id)),
            (t(lang, "coupons.redeem_not_now"), DropRedeem(claim_id=preview.claim_id)),
        ]
    ]
    await say(update, "\n".join(lines), reply_markup=inline(buttons))
    return None


async def refuse(update: Update, user: User, error: CouponError, *, again: bool = False) -> None:
    """Say why the code cannot be redeemed (and, mid-flow, that another try is welcome)."""
    text = error_text(user.language, "redeem", error, user.timezone)
    if again:
        text += "\n\n" + t(user.language, "coupons.redeem_again")
    await say(update, text)


async def check(update: Update, context: Context, user: User, typed: str | None) -> None:
    """Outside the flow: confirm, or say why not."""
    error = await present(update, context, user, typed)
    if error is not None:
        await refuse(update, user, error)


def _preview_lines(preview: RedeemPreview, lang: str, tz_name: str, context: Context) -> list[str]:
    lines = offer_lines(preview, lang, deps(context).config)
    lines.append(t(lang, "coupons.line_customer", name=h(preview.customer_first_name)))
    lines.append(t(lang, "coupons.line_code", code=display_code(preview.code)))
    lines.append(expiry_line(preview.expires_at, lang, tz_name))
    return lines


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


# ------------------------------------------------------------------------- entry points


async def redeem_command(update: Update, context: Context) -> str | int:
    """`/redeem CODE` checks the code at once; `/redeem` alone and the counter button of the
    merchant menu explain the three ways and wait for a code or a photo."""
    user = context.user
    lang = user.language
    if context.args:
        await check(update, context, user, " ".join(context.args))
        return END
    if not await shops_where(user.id, Permission.REDEEM):
        await say(update, t(lang, "coupons.redeem_staff_only"))
        return END
    # No keyboard of its own: the confirmation carries buttons, and the menu stays in place.
    await say(update, t(lang, "walk.redeem_how"))
    return AWAIT_CODE


async def got_text(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None
    return await _step(update, context, message.text or "")


async def got_photo(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None
    return await _step(update, context, await photo_code(message, context))


async def _step(update: Update, context: Context, typed: str | None) -> str | int:
    """One answer in the flow: a typo or an unreadable photo asks again; the rest ends it."""
    user = context.user
    error = await present(update, context, user, typed)
    if error is None:
        return END
    again = error.reason in TRY_AGAIN
    await refuse(update, user, error, again=again)
    return AWAIT_CODE if again else END


async def not_code(update: Update, context: Context) -> str:
    user = context.user
    await say(update, t(user.language, "coupons.redeem_expect_code"))
    return AWAIT_CODE


async def photo_outside_flow(update: Update, context: Context) -> None:
    """A photo outside any flow: staff most likely photographed a coupon QR code."""
    user = context.user
    if not await shops_where(user.id, Permission.REDEEM):
        await unknown_text(update, context)
        return
    message = update.effective_message
    assert message is not None
    await check(update, context, user, await photo_code(message, context))


async def open_redeem_link(update: Update, context: Context, token: str) -> None:
    """`/start redeem_<code>`: the coupon QR scanned with a phone camera."""
    await check(update, context, context.user, token)


# ------------------------------------------------------------------------------ wiring


class OutsideFlows(filters.UpdateFilter):
    """Updates from someone in none of the app's conversations: a photo sent mid-flow belongs
    to that flow (a promotion's picture, a review's), even one registered after this module.

    PTB has no public "is this chat in a conversation" call; ConversationHandler keeps the
    live states in `_conversations`, keyed by `_get_key(update)`."""

    def __init__(self, app: Application) -> None:  # type: ignore[type-arg]
        super().__init__(name="OutsideFlows")
        self._app = app

    def filter(self, update: Update) -> bool:
        for group in self._app.handlers.values():
            for handler in group:
                if isinstance(handler, ConversationHandler) and _in(handler, update):
                    return False
        return True


def _in(handler: ConversationHandler, update: Update) -> bool:  # type: ignore[type-arg]
    try:
        key = handler._get_key(update)
    except RuntimeError:
        return False
    return handler._conversations.get(key) is not None


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.deep_links[REDEEM_LINK_KIND] = open_redeem_link
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CommandHandler("redeem", redeem_command),
                MessageHandler(filters.Regex(menu_pattern("menu.redeem")), redeem_command),
            ],
            states={
                AWAIT_CODE: [
                    MessageHandler(MENU_LABELS, busy),
                    MessageHandler(PLAIN_TEXT, got_text),
                    MessageHandler(filters.PHOTO, got_photo),
                    MessageHandler(NOT_TEXT_OR_PHOTO, not_code),
                ]
            },
            fallbacks=flow_fallbacks(),
            allow_reentry=True,
        ),
    )
    app.add_handler(CallbackQueryHandler(confirm_press, pattern=RedeemButton.pattern()))
    app.add_handler(MessageHandler(filters.PHOTO & OutsideFlows(app), photo_outside_flow))
