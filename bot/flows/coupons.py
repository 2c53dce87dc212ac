"""Merchants' coupons: /newcoupon, a guided flow that ends on a preview of the coupon exactly as
a customer gets it, and /coupons, the list with live counts and pause / resume / end early.

The flow is one persistent conversation; its draft (`draft(context, FLOW)`) holds plain
values, so a restart mid-flow resumes it. Every step validates and re-asks, changing nothing,
until the answer is usable; the coupon service has the last word when the coupon is published.

Button data: bot/ui/buttons/coupons.py, validated on every press (the presser's role must allow
it — a clerk only sees the list —, the coupon must be that shop's, the preview the latest one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.config import Config
from bot.formatting import format_price, h, parse_price
from bot.i18n import LANGUAGES, t
from bot.models import Audience, Coupon, CouponKind, CouponStatus, Shop, ShopStatus, User
from bot.services import card_programs, coupons
from bot.services.codes import generate_code
from bot.services.coupons import CouponError
from bot.services.numbers import ascii_digits, foreign_digits, parse_whole
from bot.services.staff import Permission, permissions_at, require, shop_if_allowed
from bot.services.visible import is_blank
from bot.ui.base import (
    Context,
    Deps,
    answer,
    deps,
    edit_in_place,
    expired,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.buttons.coupons import (
    ConfirmEndCoupon,
    CouponButton,
    CouponList,
    CouponListInPlace,
    DiscardCoupon,
    EndCoupon,
    NewCoupon,
    PauseCoupon,
    PublishCoupon,
    RedoCoupon,
    ResumeCoupon,
)
from bot.ui.callbacks import CallbackData, any_of
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    busy,
    cancel,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import (
    CONSUMER_MENU,
    MERCHANT_MENU,
    any_label_pattern,
    choice_keyboard,
    inline,
)
from bot.views.coupons import (
    card_text,
    coupon_name,
    error_text,
    expiry_line,
    send_card,
    validity_line,
    value_text,
    zone_of,
)

FLOW = "newcoupon"
# Conversation states (strings: they are persisted and must survive code edits).
KIND, VALUE, TITLE, TERMS = (
    "newcoupon.kind",
    "newcoupon.value",
    "newcoupon.title",
    "newcoupon.terms",
)
MIN_SPEND, STOCK, LIMIT = "newcoupon.min_spend", "newcoupon.stock", "newcoupon.limit"
VALIDITY, AUDIENCE, PREVIEW = "newcoupon.validity", "newcoupon.audience", "newcoupon.preview"
STEPS = (KIND, VALUE, TITLE, TERMS, MIN_SPEND, STOCK, LIMIT, VALIDITY, AUDIENCE)

KINDS = {
    "coupons.kind_percent": CouponKind.PERCENT,
    "coupons.kind_amount": CouponKind.AMOUNT,
    "coupons.kind_voucher": CouponKind.VOUCHER,
    "coupons.kind_gift": CouponKind.GIFT,
}
#: Who may claim; with a card program, each tier follows ("Gold members and above").
AUDIENCES = {
    "coupons.audience_everyone": Audience.EVERYONE,
    "coupons.audience_new": Audience.NEW_CUSTOMERS,
}
QUICK_DAYS = (7, 30)
QUICK_LIMITS = ("1", "2", "3")
LIST_MAX = 15  # coupons on one /coupons screen: active and paused first, then recently ended

MENU_LABELS = filters.Regex(any_label_pattern([*CONSUMER_MENU, *MERCHANT_MENU, "menu.help"]))
TEXT = PLAIN_TEXT & ~MENU_LABELS
ANYTHING_ELSE = filters.ALL & ~filters.COMMAND & ~CANCEL_LABEL & ~MENU_LABELS

_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
_BETWEEN_DATES = re.compile(r"^(?:\s|~|～|-|–|—|至|到|to|,|，)*$", re.IGNORECASE)
_DAYS = re.compile(r"^\s*([0-9]{1,4})\s*(?:d|days?|天|日)?\s*$", re.IGNORECASE)


def _labels(keys: dict[str, Any]) -> dict[str, Any]:
    """Button label (any language) -> value."""
    return {t(lang, key): value for key, value in keys.items() for lang in LANGUAGES}


def _quick_days() -> dict[str, int]:
    return {t(lang, "coupons.days_button", count=n): n for n in QUICK_DAYS for lang in LANGUAGES}


# ------------------------------------------------------------------------------ percent


_ZH_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")}


def percent_off(text: str, *, zhe: bool) -> int | None:
    """Percent off (1–99, how a coupon stores it) from what a merchant typed, or None.

    `20` or `20%` is 20 % off. A Chinese merchant (`zhe`) names what the customer pays, in 折:
    `8`, `8折` or `八折` is 20 % off, `8.5`, `85折` or `八五折` 15 % off (0.1–9.9, one decimal);
    a bare `85` is refused, as it could mean 85 % off as well as 8.5折. A `%` always means off.
    Digits other than ASCII, full-width and Chinese numerals (², ①, ٣) are refused: NFKC would
    read ² as 2 (see bot.services.numbers).
    """
    if any(ch not in _ZH_DIGITS for ch in foreign_digits(text)):
        return None
    cleaned = unicodedata.normalize("NFKC", text).replace(" ", "")
    if cleaned.endswith("%") or not zhe:
        number = parse_whole(cleaned.removesuffix("%"), grouping=False)
        return number if number is not None and 1 <= number <= 99 else None
    digits = "".join(_ZH_DIGITS.get(c, c) for c in cleaned.removesuffix("折"))
    if cleaned.endswith("折") and re.fullmatch(r"[1-9]{2}", digits):  # 85折 is 8.5折
        digits = f"{digits[0]}.{digits[1]}"
    match = re.fullmatch(r"([0-9])(?:\.([0-9]))?", digits)
    tenths = int(match[1]) * 10 + int(match[2] or 0) if match else 0  # 8.5折: 85 % paid
    return 100 - tenths if 0 < tenths < 100 else None


# ------------------------------------------------------------------------------ validity


class ValidityError(ValueError):
    """A typed validity that cannot be used; `reason` names the message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Validity:
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None


def parse_validity(text: str, zone: ZoneInfo, today: date) -> Validity:
    """`30` (days after claiming), `2026-12-31` (until then) or `2026-12-01 2026-12-31` (a
    range; the end day counts in full, in the shop's time zone). Full-width digits are fine,
    other digit systems are not (see bot.services.numbers)."""
    if foreign_digits(text):
        raise ValidityError("unreadable")
    text = ascii_digits(text)
    days = _DAYS.match(text)
    if days:
        count = int(days.group(1))
        if not 1 <= count <= coupons.MAX_VALID_DAYS:
            raise ValidityError("days")
        return Validity(valid_days=count)
    found = _DATE.findall(text)
    if not 1 <= len(found) <= 2 or not _BETWEEN_DATES.match(_DATE.sub(" ", text)):
        raise ValidityError("unreadable")
    try:
        dates = [date(int(y), int(m), int(d)) for y, m, d in found]
    except ValueError:
        raise ValidityError("no_such_date") from None
    start, end = (None, dates[0]) if len(dates) == 1 else dates
    if start is not None and end < start:
        raise ValidityError("order")
    if end < today:
        raise ValidityError("past")
    starts_later = start is not None and start > today
    return Validity(
        valid_from=datetime.combine(start, time(), zone) if starts_later else None,  # type: ignore[arg-type]
        valid_until=datetime.combine(end, time(23, 59, 59), zone),
    )


# ------------------------------------------------------------------------------- the draft


def draft_coupon(d: dict[str, Any]) -> Coupon:
    """The draft as an unsaved Coupon, so the preview renders exactly like the real thing."""
    return Coupon(
        shop_id=d["shop_id"],
        kind=CouponKind(d["kind"]),
        value=d.get("value", 0),
        title=d["title"],
        terms=d.get("terms", ""),
        min_spend_cents=d.get("min_spend", 0),
        stock=d.get("stock"),
        per_user_limit=d.get("limit", 1),
        valid_from=_moment(d.get("valid_from")),
        valid_until=_moment(d.get("valid_until")),
        valid_days=d.get("valid_days"),
        audience=Audience(d.get("audience", Audience.EVERYONE)),
        audience_tier=d.get("audience_tier"),
    )


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _is_complete(d: dict[str, Any]) -> bool:
    return all(k in d for k in ("shop_id", "kind", "title", "audience")) and (
        "valid_days" in d or "valid_until" in d
    )


# -------------------------------------------------------------------------------- asking


def prompt(step: str, lang: str, d: dict[str, Any], config: Config) -> tuple[str, list[str], bool]:
    """The question for `step`, its buttons, and whether it can be skipped."""
    kind = CouponKind(d["kind"]) if "kind" in d else CouponKind.PERCENT
    if step == KIND:
        return (
            t(lang, "coupons.ask_kind", shop=h(d["shop_name"])),
            [t(lang, k) for k in KINDS],
            False,
        )
    if step == VALUE and kind == CouponKind.PERCENT:
        return t(lang, "coupons.ask_value_percent"), [], False
    if step == VALUE:
        example = format_price(5000 if kind == CouponKind.VOUCHER else 1000, config)
        return t(lang, f"coupons.ask_value_{kind.value}", example=example), [], False
    if step == TITLE:  # the offer itself makes a fine title: one tap
        suggestion = [] if kind == CouponKind.GIFT else [value_text(lang, kind, d["value"], config)]
        return t(lang, "coupons.ask_title", max=coupons.TITLE_MAX), suggestion, False
    if step == TERMS:
        return t(lang, "coupons.ask_terms", max=coupons.TERMS_MAX), [], True
    if step == MIN_SPEND:
        return t(lang, "coupons.ask_min_spend", example=format_price(10000, config)), [], True
    if step == STOCK:
        return t(lang, "coupons.ask_stock"), [t(lang, "coupons.unlimited")], False
    if step == LIMIT:
        return t(lang, "coupons.ask_limit"), list(QUICK_LIMITS), False
    if step == VALIDITY:
        quick = [t(lang, "coupons.days_button", count=n) for n in QUICK_DAYS]
        return t(lang, "coupons.ask_validity", **_example_range(d)), quick, False
    tiers = [tier_label(lang, name) for _, name in d.get("tiers", [])]
    return t(lang, "coupons.ask_audience"), [t(lang, k) for k in AUDIENCES] + tiers, False


def tier_label(lang: str, name: str) -> str:
    """The audience button (and preview line) of a card tier: that tier or any higher one."""
    return t(lang, "coupons.audience_tier", tier=name)


def audience_text(lang: str, d: dict[str, Any]) -> str:
    if d.get("audience") == Audience.TIER:
        name = next((n for i, n in d.get("tiers", []) if i == d.get("audience_tier")), "")
        return tier_label(lang, h(name))
    return next(t(lang, k) for k, v in AUDIENCES.items() if v == d.get("audience"))


async def ask(update: Update, context: Context, user: User, step: str) -> str:
    """Ask for `step` with its keyboard; returns the state waiting for the answer."""
    lang = user.language
    text, buttons, skip = prompt(step, lang, draft(context, FLOW), deps(context).config)
    await say(update, text, reply_markup=choice_keyboard(lang, buttons, skip=skip))
    return step


async def accept(update: Update, context: Context, user: User, step: str, **values: Any) -> str:
    """A valid answer: keep it and ask the next question (the value is skipped for a gift)."""
    d = draft(context, FLOW)
    d.update(values)
    following = STEPS[STEPS.index(step) + 1 :]
    for nxt in following:
        if nxt == VALUE and d.get("kind") == CouponKind.GIFT:
            continue
        return await ask(update, context, user, nxt)
    return await show_preview(update, context, user)


async def reask(update: Update, user: User, key: str, **params: Any) -> None:
    """Say what was wrong; the step's keyboard stays as it was."""
    await say(update, t(user.language, key, **params))


def _zone(d: dict[str, Any]) -> ZoneInfo:
    """The shop's time zone: typed dates are its calendar days."""
    return zone_of(d.get("tz", "UTC"))


def _example_range(d: dict[str, Any]) -> dict[str, str]:
    """Tomorrow to a month from today, as an example of a typed date range."""
    today = clock.now().astimezone(_zone(d)).date()
    return {
        "start": (today + timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=30)).isoformat(),
    }


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


# ----------------------------------------------------------------------------- the steps


async def new_command(update: Update, context: Context) -> str | int:
    """/newcoupon: for the user's shop, or a choice of shop when they run several."""
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.CREATE_COUPONS,
        choose_key="coupons.pick_shop_new",
        choice_data=lambda s: NewCoupon(shop_id=s.id),
    )
    return END if shop is None else await begin(update, context, user, shop)


@refusing
async def new_press(update: Update, context: Context) -> str | int:
    """➕ under the list, or the shop picked for /newcoupon."""
    user = context.user
    shop_id = NewCoupon.pressed(update).shop_id
    shop = await require(user.id, shop_id, Permission.CREATE_COUPONS)
    await answer(update)
    return await begin(update, context, user, shop)


async def begin(update: Update, context: Context, user: User, shop: Shop) -> str:
    tiers = [[tier.id, tier.name] for tier in await card_programs.tiers_of(shop.id)]
    new_draft(context, FLOW, shop_id=shop.id, shop_name=shop.name, tz=shop.timezone, tiers=tiers)
    return await ask(update, context, user, KIND)


async def got_kind(update: Update, context: Context) -> str:
    user = context.user
    kind = _labels(KINDS).get(_text(update).strip())
    if kind is None:
        await reask(update, user, "coupons.choose_button")
        return KIND
    return await accept(update, context, user, KIND, kind=kind.value)


async def got_value(update: Update, context: Context) -> str:
    user = context.user
    kind = CouponKind(draft(context, FLOW)["kind"])
    text = _text(update).strip()
    if kind == CouponKind.PERCENT:
        zhe = t(user.language, "coupons.percent_style") == "paid"
        off = percent_off(text, zhe=zhe)
        if off is None:
            await reask(update, user, "coupons.bad_percent")
            return VALUE
        return await accept(update, context, user, VALUE, value=off)
    cents = parse_price(text, coupons.MAX_CENTS // 100)
    if not cents:
        top = format_price(coupons.MAX_CENTS, deps(context).config)
        await reask(update, user, "coupons.bad_amount", max=top)
        return VALUE
    return await accept(update, context, user, VALUE, value=cents)


async def got_title(update: Update, context: Context) -> str:
    user = context.user
    try:
        title = coupons.clean_title(_text(update))
    except CouponError:
        await reask(update, user, "coupons.create_bad_title", max=coupons.TITLE_MAX)
        return TITLE
    return await accept(update, context, user, TITLE, title=title)


async def got_terms(update: Update, context: Context) -> str:
    user = context.user
    text = "" if is_blank(_text(update)) else _text(update)
    terms = "\n".join(line.rstrip() for line in text.strip().splitlines())
    if len(terms) > coupons.TERMS_MAX:
        await reask(update, user, "coupons.create_bad_terms", max=coupons.TERMS_MAX)
        return TERMS
    return await accept(update, context, user, TERMS, terms=terms)


async def skip_terms(update: Update, context: Context) -> str:
    return await accept(update, context, context.user, TERMS, terms="")


async def got_min_spend(update: Update, context: Context) -> str:
    user = context.user
    cents = parse_price(_text(update), coupons.MAX_CENTS // 100)
    if cents is None:
        await reask(update, user, "coupons.create_bad_min_spend")
        return MIN_SPEND
    return await accept(update, context, user, MIN_SPEND, min_spend=cents)


async def skip_min_spend(update: Update, context: Context) -> str:
    return await accept(update, context, context.user, MIN_SPEND, min_spend=0)


async def got_stock(update: Update, context: Context) -> str:
    user = context.user
    text = _text(update).strip()
    if text in _labels({"coupons.unlimited": None}):
        return await accept(update, context, user, STOCK, stock=None)
    stock = parse_whole(text)
    if stock is None or not 1 <= stock <= coupons.MAX_STOCK:
        await reask(update, user, "coupons.create_bad_stock", max=f"{coupons.MAX_STOCK:,}")
        return STOCK
    return await accept(update, context, user, STOCK, stock=stock)


async def got_limit(update: Update, context: Context) -> str:
    user = context.user
    limit = parse_whole(_text(update))
    if limit is None or not 1 <= limit <= coupons.MAX_PER_USER:
        await reask(update, user, "coupons.create_bad_limit", max=coupons.MAX_PER_USER)
        return LIMIT
    return await accept(update, context, user, LIMIT, limit=limit)


async def got_validity(update: Update, context: Context) -> str:
    user = context.user
    d = draft(context, FLOW)
    text = _text(update).strip()
    quick = _quick_days().get(text)
    zone = _zone(d)
    try:
        validity = (
            Validity(valid_days=quick)
            if quick
            else parse_validity(text, zone, clock.now().astimezone(zone).date())
        )
    except ValidityError as error:
        params: dict[str, Any] = {}
        if error.reason == "days":
            params["max"] = coupons.MAX_VALID_DAYS
        elif error.reason == "unreadable":
            params.update(_example_range(d))
        await reask(update, user, f"coupons.validity_{error.reason}", **params)
        return VALIDITY
    for name in ("valid_from", "valid_until", "valid_days"):
        d.pop(name, None)
    values: dict[str, Any] = {}
    if validity.valid_days is not None:
        values["valid_days"] = validity.valid_days
    if validity.valid_until is not None:
        values["valid_until"] = validity.valid_until.isoformat()
    if validity.valid_from is not None:
        values["valid_from"] = validity.valid_from.isoformat()
    return await accept(update, context, user, VALIDITY, **values)


async def got_audience(update: Update, context: Context) -> str:
    user = context.user
    text = _text(update).strip()
    audience = _labels(AUDIENCES).get(text)
    tier_id = next(
        (
            tier_id
            for tier_id, name in draft(context, FLOW).get("tiers", [])
            for lang in LANGUAGES
            if tier_label(lang, name) == text
        ),
        None,
    )
    if tier_id is not None:
        return await accept(
            update, context, user, AUDIENCE, audience=Audience.TIER.value, audience_tier=tier_id
        )
    if audience is None:
        await reask(update, user, "coupons.choose_button")
        return AUDIENCE
    return await accept(
        update, context, user, AUDIENCE, audience=audience.value, audience_tier=None
    )


async def expect_text(update: Update, context: Context) -> None:
    """A photo, sticker or location where a typed answer is due: ask again, same step."""
    await reask(update, context.user, "coupons.expect_text")


# ------------------------------------------------------------------------------ preview


async def show_preview(update: Update, context: Context, user: User) -> str:
    """The coupon card exactly as a customer who claims it now receives it (with a sample
    code), then the settings customers don't see, and Publish / Start over / Cancel."""
    lang = user.language
    config = deps(context).config
    d = draft(context, FLOW)
    coupon = draft_coupon(d)
    now = clock.now()
    expiry = expiry_line(coupons.claim_expiry(coupon, now), lang, user.timezone)
    note = t(lang, "coupons.claimed_note")
    code = generate_code()
    text = card_text(coupon, d["shop_name"], code, expiry, lang, config, note=note)
    await send_card(update, context, coupon, code, text)
    stock = (
        t(lang, "coupons.unlimited")
        if coupon.stock is None
        else t(lang, "coupons.stock_total", total=f"{coupon.stock:,}")
    )
    audience = audience_text(lang, d)
    summary = t(
        lang,
        "coupons.preview_summary",
        title=h(coupon.title),
        stock=stock,
        limit=coupon.per_user_limit,
        validity=validity_line(coupon, lang, user.timezone),
        audience=audience,
    )
    sent = await say(update, summary, reply_markup=_preview_buttons(lang))
    d["preview_msg"] = sent.message_id
    return PREVIEW


def _preview_buttons(lang: str) -> InlineKeyboardMarkup:
    return inline(
        [
            [(t(lang, "coupons.publish"), PublishCoupon())],
            [(t(lang, "coupons.start_over"), RedoCoupon())],
            [(t(lang, "coupons.discard"), DiscardCoupon())],
        ]
    )


async def preview_press(update: Update, context: Context) -> str | int | None:
    """A button under the latest preview; older previews have expired."""
    user = context.user
    lang = user.language
    query = update.callback_query
    assert query is not None
    d = draft(context, FLOW)
    if query.message is None or query.message.message_id != d.get("preview_msg"):
        await expired(update, lang)
        return None
    pressed = CouponButton.pressed(update)
    await query.edit_message_reply_markup(None)
    if isinstance(pressed, DiscardCoupon):
        return await cancel(update, context)
    await answer(update)
    if isinstance(pressed, RedoCoupon):
        shop = await shop_if_allowed(user.id, d["shop_id"], Permission.CREATE_COUPONS)
        if shop is not None:
            return await begin(update, context, user, shop)
        await show_menu(update, user, t(lang, "common.not_allowed"))
        return END
    return await publish(update, context, user)


async def publish(update: Update, context: Context, user: User) -> int:
    lang = user.language
    d = draft(context, FLOW)
    shop = await shop_if_allowed(user.id, d.get("shop_id", 0), Permission.CREATE_COUPONS)
    if shop is None or not _is_complete(d):
        await show_menu(update, user, t(lang, "common.not_allowed"))
        return END
    proposed = draft_coupon(d)
    try:
        coupon = await coupons.create_coupon(
            shop.id,
            kind=proposed.kind,
            value=proposed.value,
            title=proposed.title,
            terms=proposed.terms,
            min_spend_cents=proposed.min_spend_cents,
            stock=proposed.stock,
            per_user_limit=proposed.per_user_limit,
            valid_from=proposed.valid_from,
            valid_until=proposed.valid_until,
            valid_days=proposed.valid_days,
            audience=proposed.audience,
            audience_tier=proposed.audience_tier,
        )
    except CouponError as error:
        text = error_text(lang, "create", error, user.timezone)
        await show_menu(update, user, text)
        return END
    text = t(lang, "coupons.published", title=h(coupon.title))
    if shop.status != ShopStatus.APPROVED:
        text += "\n\n" + t(lang, "coupons.published_pending")
    text += "\n\n" + t(lang, "walk.counter_hint")
    await show_menu(update, user, text)
    return END


async def expect_preview(update: Update, context: Context) -> None:
    await reask(update, context.user, "coupons.expect_preview")


# ----------------------------------------------------------------------------- the list


async def list_command(update: Update, context: Context) -> None:
    """/coupons: the shop's coupons with live counts, or a choice of shop."""
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.VIEW_COUPONS,
        choose_key="coupons.pick_shop_list",
        choice_data=lambda s: CouponList(shop_id=s.id),
    )
    if shop is not None:
        text, markup = await list_screen(shop, user, deps(context).config)
        await say(update, text, reply_markup=markup)


async def list_screen(
    shop: Shop, user: User, config: Config
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Each coupon with its state and counts (stock left, claimed, redeemed), and the buttons
    the user's role allows (none for a clerk: the list is read-only)."""
    lang = user.language
    granted = await permissions_at(user.id, shop.id)
    manage = Permission.MANAGE_COUPONS in granted
    lines = [t(lang, "coupons.list_title", shop=h(shop.name)), ""]
    rows: list[list[tuple[str, CallbackData]]] = []
    listed = (await coupons.list_coupons(shop.id))[:LIST_MAX]
    if not listed:
        lines.append(t(lang, "coupons.list_empty"))
    for n, coupon in enumerate(listed, 1):
        stats = await coupons.coupon_stats(coupon.id)
        left = (
            t(lang, "coupons.unlimited")
            if stats.stock_left is None
            else t(lang, "coupons.stock_left", left=f"{stats.stock_left:,}", total=coupon.stock)
        )
        value = value_text(lang, coupon.kind, coupon.value, config)
        lines.append(f"{n}. <b>{h(coupon_name(coupon, lang, shop.timezone))}</b> · {value}")
        counts = t(lang, "coupons.counts", claimed=stats.claimed, redeemed=stats.redeemed)
        status = t(lang, f"coupons.status_{coupon.status.value}")
        lines.append(f"    {status} · {left} · {counts}")
        rows += _coupon_buttons(coupon, n, lang) if manage else []
    if listed:
        lines += ["", t(lang, "coupons.list_hint" if manage else "roles.coupons_read_only")]
    if Permission.CREATE_COUPONS in granted:
        rows.append([(t(lang, "coupons.new_button"), NewCoupon(shop_id=shop.id))])
    return "\n".join(lines), inline(rows) if rows else None


def _coupon_buttons(coupon: Coupon, n: int, lang: str) -> list[list[tuple[str, CallbackData]]]:
    ids = {"shop_id": coupon.shop_id, "coupon_id": coupon.id}
    if coupon.status == CouponStatus.ENDED:
        return []
    toggle: tuple[str, CallbackData] = (
        (t(lang, "coupons.resume_button", n=n), ResumeCoupon(**ids))
        if coupon.status == CouponStatus.PAUSED
        else (t(lang, "coupons.pause_button", n=n), PauseCoupon(**ids))
    )
    return [[toggle, (t(lang, "coupons.end_button", n=n), EndCoupon(**ids))]]


@refusing
async def list_press(update: Update, context: Context) -> None:
    """Every list button; a coupon or shop the presser does not manage changes nothing."""
    user = context.user
    if not await _list_action(update, context, user, CouponButton.pressed(update)):
        await expired(update, user.language)


async def _list_action(update: Update, context: Context, user: User, pressed: CouponButton) -> bool:
    match pressed:
        case CouponList(shop_id=shop_id) | CouponListInPlace(shop_id=shop_id):
            shop = await require(user.id, shop_id, Permission.VIEW_COUPONS)
            await answer(update)
            if isinstance(pressed, CouponListInPlace):
                await _refresh(update, context, user, shop)
            else:
                text, markup = await list_screen(shop, user, deps(context).config)
                await say(update, text, reply_markup=markup)
            return True
        case PauseCoupon(shop_id=shop_id, coupon_id=coupon_id):
            return await _change(
                update, context, user, shop_id, coupon_id, coupons.pause, "coupons.paused_toast"
            )
        case ResumeCoupon(shop_id=shop_id, coupon_id=coupon_id):
            return await _change(
                update, context, user, shop_id, coupon_id, coupons.resume, "coupons.resumed_toast"
            )
        case ConfirmEndCoupon(shop_id=shop_id, coupon_id=coupon_id):
            return await _change(
                update, context, user, shop_id, coupon_id, coupons.end, "coupons.ended_toast"
            )
        case EndCoupon(shop_id=shop_id, coupon_id=coupon_id):
            return await _ask_end(update, context, user, shop_id, coupon_id)
    return False  # a flow's button pressed outside the flow


async def _refresh(update: Update, context: Context, user: User, shop: Shop) -> None:
    """The list again, in place of the pressed message."""
    query = update.callback_query
    assert query is not None
    text, markup = await list_screen(shop, user, deps(context).config)
    await edit_in_place(query, text, markup)


async def _change(
    update: Update,
    context: Context,
    user: User,
    shop_id: int,
    coupon_id: int,
    change: Callable[[int, int], Awaitable[Coupon]],
    toast: str,
) -> bool:
    """Pause, resume or end one coupon of a shop whose coupons the user may manage (the
    service checks the coupon is the shop's), then show the list again in place."""
    shop = await require(user.id, shop_id, Permission.MANAGE_COUPONS)
    lang = user.language
    try:
        coupon = await change(coupon_id, shop.id)
    except CouponError as error:
        if error.reason == "not_found":
            return False
        text = error_text(lang, "manage", error, user.timezone, html=False)
        await answer(update, text, alert=True)
    else:
        await answer(update, t(lang, toast, title=coupon.title))
    await _refresh(update, context, user, shop)
    return True


async def _ask_end(
    update: Update, context: Context, user: User, shop_id: int, coupon_id: int
) -> bool:
    """Ending is for good: ask first, in place of the list."""
    shop = await require(user.id, shop_id, Permission.MANAGE_COUPONS)
    coupon = next((c for c in await coupons.list_coupons(shop.id) if c.id == coupon_id), None)
    if coupon is None:
        return False
    lang = user.language
    await answer(update)
    if coupon.status == CouponStatus.ENDED:
        await _refresh(update, context, user, shop)
        return True
    markup = inline(
        [
            [(t(lang, "coupons.end_yes"), ConfirmEndCoupon(shop_id=shop.id, coupon_id=coupon.id))],
            [(t(lang, "common.back"), CouponListInPlace(shop_id=shop.id))],
        ]
    )
    text = t(lang, "coupons.end_confirm", title=h(coupon.title))
    await edit_in_place(update.callback_query, text, markup)  # type: ignore[arg-type]
    return True


# ------------------------------------------------------------------------------- wiring


Callback = Callable[[Update, Context], Awaitable[object]]


def _text_step(on_text: Callback, *, skip: Callback | None = None) -> list[BaseHandler]:  # type: ignore[type-arg]
    handlers: list[BaseHandler] = []  # type: ignore[type-arg]
    if skip is not None:
        handlers.append(MessageHandler(SKIP_LABEL, skip))
    handlers += [MessageHandler(TEXT, on_text), MessageHandler(ANYTHING_ELSE, expect_text)]
    return handlers


def register(app: Application, _deps: Deps) -> None:  # type: ignore[type-arg]
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CommandHandler("newcoupon", new_command),
                CallbackQueryHandler(new_press, pattern=NewCoupon.pattern()),
            ],
            states={
                KIND: _text_step(got_kind),
                VALUE: _text_step(got_value),
                TITLE: _text_step(got_title),
                TERMS: _text_step(got_terms, skip=skip_terms),
                MIN_SPEND: _text_step(got_min_spend, skip=skip_min_spend),
                STOCK: _text_step(got_stock),
                LIMIT: _text_step(got_limit),
                VALIDITY: _text_step(got_validity),
                AUDIENCE: _text_step(got_audience),
                PREVIEW: [
                    CallbackQueryHandler(
                        preview_press, pattern=any_of(PublishCoupon, RedoCoupon, DiscardCoupon)
                    ),
                    MessageHandler(ANYTHING_ELSE, expect_preview),
                ],
            },
            fallbacks=[*flow_fallbacks(), MessageHandler(MENU_LABELS, busy)],
            allow_reentry=True,
        ),
    )
    app.add_handler(CommandHandler("coupons", list_command))
    app.add_handler(CallbackQueryHandler(list_press, pattern=CouponButton.pattern()))
