"""What staff scan or type at the counter, and the coupon's redeem confirmation: shared by the
counter hub (bot/handlers/counter.py: typed codes, photos, the counter button) and the redeem
handler (bot/handlers/redeem.py: the scanned coupon link and the ✅ Redeem press).

A scan is read as one of three things: a coupon (its `?start=redeem_<code>` link or a bare
code), a card (its `?start=card_<token>` link, a short-lived signed token) or a typed member
number (digits)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import zxingcpp
from PIL import Image, UnidentifiedImageError
from telegram import Message, Update

from bot import clock
from bot.formatting import h
from bot.i18n import t
from bot.models import User
from bot.services import coupons
from bot.services.codes import REDEEM_LINK_KIND, display_code, verify_check
from bot.services.coupons import CouponError, RedeemPreview
from bot.services.numbers import ascii_digits
from bot.ui.base import Context, deps, say
from bot.ui.buttons.redeem import ConfirmRedeem, DropRedeem
from bot.ui.keyboards import inline
from bot.views.coupons import error_text, expiry_line, offer_lines

#: The deep link kind of a card's QR code: `/start card_<token>`.
CARD_LINK_KIND = "card"
#: Refusals worth another try in the same step (a typo, a blurred photo); the rest are final.
TRY_AGAIN = frozenset({"malformed", "bad_check", "unknown", "no_qr"})
#: Separators people type inside a member number.
_NUMBER_SEPARATORS = str.maketrans("", "", " -")


@dataclass(frozen=True)
class Scan:
    """What a QR code or a typed text names: a coupon code, a card token or a member number."""

    kind: Literal["coupon", "card", "number"]
    value: str


def read_link(text: str) -> Scan | None:
    """A coupon or card deep link (`…?start=redeem_<code>` / `card_<token>`), else None."""
    start = parse_qs(urlsplit(text.strip()).query).get("start", [""])[0]
    kind, _, token = start.partition("_")
    if kind == REDEEM_LINK_KIND and token:
        return Scan("coupon", token)
    if kind == CARD_LINK_KIND and token:
        return Scan("card", token)
    return None


def read_typed(text: str) -> Scan:
    """A typed text: digits are a member number, anything else a coupon code (the coupon
    service says why it is not one)."""
    linked = read_link(text)
    if linked is not None:
        return linked
    digits = ascii_digits(text).translate(_NUMBER_SEPARATORS)
    if digits.isascii() and digits.isdigit() and not verify_check(text):
        return Scan("number", digits)
    return Scan("coupon", text)


def read_qr_text(text: str) -> Scan | None:
    """A QR code's text: our links, or a bare coupon code; None for anything else (a shop
    poster, a Wi-Fi code...)."""
    linked = read_link(text)
    if linked is not None:
        return linked
    return Scan("coupon", text.strip()) if verify_check(text.strip()) else None


def decode_qr(data: bytes) -> Scan | None:
    """The coupon or card in a picture's QR codes, or None if none can be read."""
    try:
        image = Image.open(io.BytesIO(data))
        # QR only: printed text under a QR can fool the linear-barcode readers.
        results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    for result in results:
        scan = read_qr_text(result.text)
        if scan is not None:
            return scan
    return None


async def photo_scan(message: Message, context: Context) -> Scan | None:
    """Download the photo's largest size and read the coupon or card QR code in it."""
    photo = message.photo[-1]
    data = await (await context.bot.get_file(photo.file_id)).download_as_bytearray()
    return await asyncio.to_thread(decode_qr, bytes(data))


# ------------------------------------------------------------------- the coupon confirmation


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
    lines += preview_lines(preview, lang, user.timezone, context)
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
    """Outside a flow: confirm, or say why not."""
    error = await present(update, context, user, typed)
    if error is not None:
        await refuse(update, user, error)


def preview_lines(preview: RedeemPreview, lang: str, tz_name: str, context: Context) -> list[str]:
    lines = offer_lines(preview, lang, deps(context).config)
    lines.append(t(lang, "coupons.line_customer", name=h(preview.customer_first_name)))
    lines.append(t(lang, "coupons.line_code", code=display_code(preview.code)))
    lines.append(expiry_line(preview.expires_at, lang, tz_name))
    return lines
