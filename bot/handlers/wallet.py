"""Customers' coupons: claiming one (shop page, pushed promotions), the wallet (/wallet and the
🎟 My coupons button), each coupon's QR card, and the reminder the day before one expires.

It also holds the coupon texts every coupon screen shares, so the merchant's preview, the
customer's card and the staff's confirmation describe a coupon in the very same words.

Callback data, validated on every press:
  cpn:claim:<coupon>[:<promotion>]   put one in the presser's wallet
  cpn:open:<claim>                   one of the presser's own coupons, as its QR card
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Bot, InputFile, Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import clock, sender
from bot.config import Config
from bot.formatting import format_price, h
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
from bot.i18n import LANGUAGES, t
from bot.keyboards import inline, menu_pattern
from bot.models import Audience, ClaimStatus, Coupon, CouponKind, Promotion, User
from bot.render.coupon import coupon_qr_png
from bot.services import coupons, outbox
from bot.services.codes import display_code, redeem_payload
from bot.services.coupons import CouponError, WalletItem

log = logging.getLogger(__name__)

PREFIX = "cpn"
#: Telegram shows at most 200 characters in a button's pop-up answer.
ALERT_MAX = 200
#: Coupons ready to use listed (each with a button), and used or expired ones under them.
WALLET_ACTIVE_MAX = 20
WALLET_HISTORY = 5
#: Claim refusals that hide a coupon's button from the shop page (nobody could claim it).
HIDDEN_ON_PAGE = frozenset({"ended", "paused", "expired", "sold_out"})
REMINDER_KIND = "reminder"
REMIND_AHEAD = timedelta(days=1)
REMIND_EVERY_SECONDS = 3600


class Offer(Protocol):
    """What describes a coupon's offer: a Coupon, or the RedeemPreview staff confirm."""

    title: str
    kind: CouponKind
    value: int
    terms: str
    min_spend_cents: int


# ------------------------------------------------------------------------ shared texts


@cache
def zone_of(name: str) -> ZoneInfo:
    """A time zone by name (UTC for an unknown one)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(moment: datetime, tz_name: str) -> str:
    """A moment as the reader's wall clock shows it, e.g. `2026-12-31 23:59`."""
    return moment.astimezone(zone_of(tz_name)).strftime("%Y-%m-%d %H:%M")


def value_text(lang: str, kind: CouponKind, value: int, config: Config) -> str:
    """The offer in a few words: `20% off` (`8折` in Chinese), `¥10.00 off`, a voucher, a gift."""
    if kind == CouponKind.PERCENT:
        # English counts what is taken off; Chinese names what is paid (20% off = 8折).
        paid = t(lang, "coupons.percent_style") == "paid"
        rate = f"{(100 - value) / 10:g}" if paid else str(value)
        return t(lang, "coupons.value_percent", rate=rate)
    if kind == CouponKind.GIFT:
        return t(lang, "coupons.value_gift")
    return t(lang, f"coupons.value_{kind.value}", amount=format_price(value, config))


def offer_lines(
    offer: Offer,
    lang: str,
    config: Config,
    *,
    shop_name: str | None = None,
    audience: Audience | None = None,
) -> list[str]:
    """Title, shop, value, minimum spend, terms and audience, one per line (HTML)."""
    lines = [f"🎟 <b>{h(offer.title)}</b>"]
    if shop_name:
        lines.append(f"🏪 {h(shop_name)}")
    lines.append(f"💰 {value_text(lang, offer.kind, offer.value, config)}")
    if offer.min_spend_cents:
        spend = format_price(offer.min_spend_cents, config)
        lines.append(t(lang, "coupons.line_min_spend", amount=spend))
    if offer.terms:
        lines.append(f"📝 {h(offer.terms)}")
    if audience == Audience.NEW_CUSTOMERS:
        lines.append(t(lang, "coupons.line_new_customers"))
    return lines


def validity_line(coupon: Coupon, lang: str, tz_name: str) -> str:
    """How long an unclaimed coupon is good for (fixed dates, or N days from claiming)."""
    if coupon.valid_days is not None:
        return t(lang, "coupons.line_valid_days", days=coupon.valid_days)
    until = local_time(coupon.valid_until, tz_name) if coupon.valid_until else ""
    if coupon.valid_from is not None:
        return t(
            lang,
            "coupons.line_valid_range",
            start=local_time(coupon.valid_from, tz_name),
            end=until,
        )
    return t(lang, "coupons.line_valid_until", end=until)


def expiry_line(expires_at: datetime | None, lang: str, tz_name: str) -> str:
    """When a claimed coupon must be used by."""
    if expires_at is None:
        return t(lang, "coupons.line_no_expiry")
    return t(lang, "coupons.line_use_by", end=local_time(expires_at, tz_name))


def card_caption(
    coupon: Coupon,
    shop_name: str,
    code: str,
    validity: str,
    lang: str,
    config: Config,
    *,
    note: str = "",
) -> str:
    """The caption under a coupon's QR card: the offer, its validity, the code, a hint."""
    lines = [note, ""] if note else []
    lines += offer_lines(coupon, lang, config, shop_name=shop_name, audience=coupon.audience)
    lines.append(validity)
    lines.append(t(lang, "coupons.line_code", code=display_code(code)))
    lines += ["", t(lang, "coupons.card_hint")]
    return "\n".join(lines)


def redeem_link(bot_username: str, code: str) -> str:
    """What the coupon's QR code holds: opening it runs `/start redeem_<code>` for staff."""
    return f"https://t.me/{bot_username}?start={redeem_payload(code)}"


async def send_card(
    update: Update, context: Context, coupon: Coupon, code: str, caption: str
) -> None:
    """The coupon as a picture (title, QR code, code in print) with its caption."""
    chat = update.effective_chat
    assert chat is not None
    link = redeem_link(deps(context).bot_username, code)
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(coupon_qr_png, link, display_code(code), coupon.title)
    await chat.send_photo(
        InputFile(png, filename=f"coupon-{code}.png"), caption=caption, parse_mode=ParseMode.HTML
    )


def error_text(
    lang: str, scope: str, error: CouponError, tz_name: str, *, html: bool = True
) -> str:
    """A refusal in the reader's words: `coupons.<scope>_<reason>`, moments in their time
    (`html=False` for plain text such as a pop-up)."""
    params: dict[str, Any] = {}
    for name, value in error.details.items():
        if isinstance(value, datetime):
            params[name] = local_time(value, tz_name)
        elif isinstance(value, str) and html:
            params[name] = h(value)
        else:
            params[name] = value
    return t(lang, f"coupons.{scope}_{error.reason}", **params)


async def tell(update: Update, text: str) -> None:
    """Plain text for a press: a pop-up when it fits, else a message."""
    if update.callback_query is not None and len(text) <= ALERT_MAX:
        await answer(update, text, alert=True)
        return
    await answer(update)
    await say(update, text)


# --------------------------------------------------------------------------- claiming


async def shop_page_coupon_rows(shop_id: int, user: User) -> list[list[tuple[str, str]]]:
    """One `🎟 <title>` claim button per coupon of the shop that can still be claimed."""
    rows = []
    for coupon in await coupons.list_coupons(shop_id):
        try:
            await coupons.ensure_claimable(coupon, user.id, now=clock.now())
        except CouponError as error:
            if error.reason in HIDDEN_ON_PAGE:
                continue
        rows.append([(f"🎟 {coupon.title}", f"{PREFIX}:claim:{coupon.id}")])
    return rows


async def claim_press(update: Update, context: Context) -> None:
    """`cpn:claim:<coupon>[:<promotion>]`: claim it and send its QR card."""
    user = await current_user(update)
    lang = user.language
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")[2:]
    ids = [int_arg(part) for part in parts]
    if not 1 <= len(ids) <= 2 or None in ids:
        await expired(update, lang)
        return
    coupon_id, promotion_id = ids[0], ids[1] if len(ids) == 2 else None
    if promotion_id is not None and not await Promotion.exists(
        id=promotion_id, coupon_id=coupon_id
    ):
        await expired(update, lang)
        return
    try:
        claim = await coupons.claim(coupon_id, user.id, now=clock.now(), promotion_id=promotion_id)
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
    caption = card_caption(
        item.coupon,
        item.shop_name,
        item.claim.code,
        expiry_line(item.expires_at, lang, user.timezone),
        lang,
        deps(context).config,
        note=note,
    )
    await send_card(update, context, item.coupon, item.claim.code, caption)


# ----------------------------------------------------------------------------- wallet


async def wallet_command(update: Update, context: Context) -> None:
    """/wallet and 🎟 My coupons: ready to use (tap to show), then recently used and expired."""
    user = await current_user(update)
    lang, tz = user.language, user.timezone
    held = await coupons.wallet(user.id, now=clock.now(), history=WALLET_HISTORY)
    if not any(held.values()):
        await say(update, t(lang, "coupons.wallet_empty"))
        return
    lines = [t(lang, "coupons.wallet_title"), ""]
    rows = []
    if held["active"]:
        lines.append(t(lang, "coupons.wallet_active"))
    for n, item in enumerate(held["active"][:WALLET_ACTIVE_MAX], 1):
        until = expiry_line(item.expires_at, lang, tz)
        lines.append(f"{n}. <b>{h(item.coupon.title)}</b> — {h(item.shop_name)}\n    {until}")
        rows.append([(f"{n}. {item.coupon.title}", f"{PREFIX}:open:{item.claim.id}")])
    if len(held["active"]) > WALLET_ACTIVE_MAX:
        more = len(held["active"]) - WALLET_ACTIVE_MAX
        lines.append(t(lang, "coupons.wallet_more", count=more))
    for section in ("used", "expired"):
        if not held[section]:
            continue
        lines += ["", t(lang, f"coupons.wallet_{section}")]
        for item in held[section]:
            moment = item.claim.redeemed_at if section == "used" else item.expires_at
            when = local_time(moment, tz) if moment else ""
            lines.append(f"• {h(item.coupon.title)} — {h(item.shop_name)} · {when}")
    await say(
        update,
        "\n".join(lines),
        parse_mode=ParseMode.HTML,
        reply_markup=inline(rows) if rows else None,
    )


async def open_press(update: Update, context: Context) -> None:
    """`cpn:open:<claim>`: the presser's own coupon as its QR card; anyone else's is refused."""
    user = await current_user(update)
    lang = user.language
    query = update.callback_query
    assert query is not None
    args = callback_args(query, PREFIX, 2)
    claim_id = int_arg(args[1]) if args is not None and args[0] == "open" else None
    try:
        if claim_id is None:
            raise CouponError("not_found")
        item = await coupons.claim_by_id_for_user(claim_id, user.id)
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


async def remind_expiring(bot: Bot, now: datetime) -> int:
    """Queue a reminder for every unused coupon expiring within a day, once per coupon, and
    wake the outbox worker; returns how many were queued. `bot` is unused: the outbox worker
    delivers (quiet hours respected) and the reminder expires with the coupon."""
    del bot
    items = await coupons.claims_expiring_between(now, now + REMIND_AHEAD)
    for item in items:
        await outbox.enqueue(
            f"cpn-remind:{item.claim.id}",
            REMINDER_KIND,
            [item.claim.user_id],
            reminder_payload(item),
            not_before=now,
            expires_at=item.expires_at,
        )
    await coupons.mark_reminded([item.claim.id for item in items])
    if items:
        sender.notify()
    return len(items)


def reminder_payload(item: WalletItem) -> dict[str, Any]:
    """The reminder in every language (times in the shop's zone), with a button to the card."""
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
        "buttons": [[{"text": button, "callback_data": f"{PREFIX}:open:{item.claim.id}"}]],
    }


async def _remind_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await remind_expiring(context.bot, clock.now())
    except Exception:  # a failed round must not stop the next one
        log.exception("coupon reminders failed; trying again next round")


# ------------------------------------------------------------------------------ wiring


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    deps.shop_page_buttons.append(shop_page_coupon_rows)
    app.add_handler(CallbackQueryHandler(claim_press, pattern=rf"^{PREFIX}:claim:"))
    app.add_handler(CallbackQueryHandler(open_press, pattern=rf"^{PREFIX}:open:"))
    app.add_handler(CommandHandler("wallet", wallet_command))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.wallet")), wallet_command))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _remind_job, interval=REMIND_EVERY_SECONDS, first=60, name="coupon-reminders"
        )
    else:
        log.warning("no job queue (python-telegram-bot[job-queue]): coupon reminders are off")
