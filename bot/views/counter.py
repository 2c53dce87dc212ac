"""How the counter reads: the card screen staff see (the customer's first name and tier only,
never phone or birthday), the purchase and top-up confirmations, the receipts the customer gets
at once, the spend approval in the customer's chat and the owner's alerts. Shared by the counter
(bot/handlers/counter.py) and the customer's approval (bot/handlers/spend.py)."""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.config import Config
from bot.formatting import format_price, h
from bot.i18n import has, t
from bot.models import MemberCard, SpendRequest, User
from bot.services import ledger
from bot.services.cards import CardError, display_number
from bot.services.counter import Activity
from bot.services.coupons import WalletItem
from bot.services.ledger import Quote
from bot.ui.base import Context, deps
from bot.ui.buttons.counter import (
    AdjustPoints,
    CardCoupons,
    ConfirmPurchase,
    ConfirmTopUp,
    CounterCard,
    DropCounter,
    PurchaseOption,
    RecentActivity,
    RecordPurchase,
    TopUp,
    VoidPurchase,
    VoidTopUp,
)
from bot.ui.buttons.redeem import ConfirmRedeem
from bot.ui.buttons.spend import ApproveSpend, DeclineSpend
from bot.ui.callbacks import CallbackData
from bot.ui.keyboards import inline
from bot.ui.text import fit_html, shorten
from bot.views.coupons import local_time

log = logging.getLogger(__name__)

Rows = list[list[tuple[str, CallbackData]]]
#: Coupons offered on the purchase confirmation (more are redeemed from 🎟 Redeem a coupon).
COUPONS_ON_CONFIRM = 3
COUPON_LABEL_MAX = 28


@dataclass(frozen=True)
class CardFacts:
    """What the counter shows of a card: the holder's first name and tier, never more."""

    card: MemberCard
    first_name: str
    tier_name: str
    shop_name: str
    stored_value: bool
    coupons: list[WalletItem]
    #: the viewer may adjust points / void (owners)
    may_adjust: bool
    may_void: bool


def money(cents: int, config: Config) -> str:
    return format_price(cents, config)


def card_screen(lang: str, facts: CardFacts, config: Config) -> tuple[str, InlineKeyboardMarkup]:
    card = facts.card
    lines = [
        t(lang, "counter.card_title", name=h(facts.first_name), tier=h(facts.tier_name)),
        t(lang, "counter.card_number", number=display_number(card.number), shop=h(facts.shop_name)),
        t(lang, "counter.card_points", count=card.points),
    ]
    if facts.stored_value:
        lines.append(t(lang, "counter.card_balance", balance=money(card.balance_cents, config)))
    if facts.coupons:
        lines.append(t(lang, "counter.card_coupons", count=len(facts.coupons)))
    lines += ["", t(lang, "counter.card_hint")]
    rows: Rows = [[(t(lang, "counter.buy_button"), RecordPurchase(card_id=card.id))]]
    second: list[tuple[str, CallbackData]] = []
    if facts.coupons:
        second.append((t(lang, "counter.coupons_button"), CardCoupons(card_id=card.id)))
    if facts.stored_value:
        second.append((t(lang, "counter.topup_button"), TopUp(card_id=card.id)))
    if second:
        rows.append(second)
    owner: list[tuple[str, CallbackData]] = []
    if facts.may_adjust:
        owner.append((t(lang, "counter.adjust_button"), AdjustPoints(card_id=card.id)))
    if facts.may_void:
        owner.append((t(lang, "counter.history_button"), RecentActivity(card_id=card.id)))
    if owner:
        rows.append(owner)
    rows.append([(t(lang, "counter.done_button"), DropCounter(cancel=False))])
    return "\n".join(lines), inline(rows)


def coupons_screen(lang: str, facts: CardFacts, tz_name: str) -> tuple[str, InlineKeyboardMarkup]:
    """The customer's coupons usable here, one ✅ Redeem button each (the redeem handler)."""
    name = h(facts.first_name)
    if not facts.coupons:
        text = t(lang, "counter.no_coupons", name=name)
    else:
        text = t(lang, "counter.coupons_title", name=name)
    rows: Rows = [
        [
            (
                f"✅ {shorten(item.coupon.title, COUPON_LABEL_MAX)}",
                ConfirmRedeem(claim_id=item.claim.id),
            )
        ]
        for item in facts.coupons
    ]
    rows.append([(t(lang, "counter.back_button"), CounterCard(card_id=facts.card.id))])
    return text, inline(rows)


@dataclass(frozen=True)
class Choice:
    """One purchase confirmation's choices (all carried by its buttons)."""

    card_id: int
    cents: int
    claim_id: int | None
    points: bool
    value: bool
    key: str

    def option(self, **changes: object) -> PurchaseOption:
        values = {**self.__dict__, **changes}
        return PurchaseOption(**values)  # type: ignore[arg-type]

    def confirm(self) -> ConfirmPurchase:
        return ConfirmPurchase(**self.__dict__)

    @property
    def pays_from_card(self) -> bool:
        return self.points or self.value


def purchase_screen(
    lang: str,
    facts: CardFacts,
    choice: Choice,
    quote: Quote,
    config: Config,
) -> tuple[str, InlineKeyboardMarkup]:
    """Record this purchase? Amount, discount, coupon, points or stored value paying part, what
    is left to pay and the points to earn; buttons toggling each choice, then ✅ Confirm."""
    lines = [
        t(lang, "counter.confirm_title"),
        "",
        t(lang, "counter.line_customer", name=h(facts.first_name), tier=h(facts.tier_name)),
        t(lang, "counter.line_amount", amount=money(choice.cents, config)),
    ]
    tier_discount = quote.tier_discount_cents
    if tier_discount:
        lines.append(
            t(
                lang,
                "counter.line_discount",
                tier=h(facts.tier_name),
                percent=quote.discount_percent,
                amount=money(tier_discount, config),
            )
        )
    chosen = next((i for i in facts.coupons if i.claim.id == choice.claim_id), None)
    if chosen is not None:
        line = t(lang, "counter.line_coupon", title=h(chosen.coupon.title))
        coupon_discount = quote.coupon_discount_cents
        if coupon_discount:
            line += f": −{money(coupon_discount, config)}"
        lines.append(line)
    points = quote.points
    if points:
        value_of_points = quote.points_cents
        lines.append(
            t(
                lang,
                "counter.line_points_paid",
                points=points,
                amount=money(value_of_points, config),
            )
        )
    value = quote.value_cents
    if value:
        lines.append(t(lang, "counter.line_value_paid", amount=money(value, config)))
    lines.append(t(lang, "counter.line_to_pay", amount=money(quote.to_pay_cents, config)))
    lines.append(t(lang, "counter.line_earn", points=quote.points_earned))
    if choice.pays_from_card:
        lines += ["", t(lang, "counter.approval_note")]

    go = "counter.ask_approval_button" if choice.pays_from_card else "counter.confirm_button"
    rows: Rows = [[(t(lang, go), choice.confirm())]]
    for item in facts.coupons[:COUPONS_ON_CONFIRM]:
        on = item.claim.id == choice.claim_id
        label = ("☑ " if on else "☐ ") + shorten(item.coupon.title, COUPON_LABEL_MAX)
        rows.append([(label, choice.option(claim_id=None if on else item.claim.id))])
    pay: list[tuple[str, CallbackData]] = []
    max_points = quote.max_points
    if max_points or choice.points:
        label = t(lang, "counter.pay_points", points=max_points)
        pay.append(
            (("☑ " if choice.points else "☐ ") + label, choice.option(points=not choice.points))
        )
    if facts.stored_value and (facts.card.balance_cents > 0 or choice.value):
        label = t(lang, "counter.pay_value")
        pay.append(
            (("☑ " if choice.value else "☐ ") + label, choice.option(value=not choice.value))
        )
    for button in pay:
        rows.append([button])
    rows.append([(t(lang, "counter.cancel_button"), DropCounter(cancel=True))])
    return "\n".join(lines), inline(rows)


def topup_screen(
    lang: str, facts: CardFacts, cents: int, bonus_cents: int, key: str, config: Config
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t(lang, "counter.topup_confirm", amount=money(cents, config), name=h(facts.first_name))
    ]
    if bonus_cents:
        lines.append(t(lang, "counter.topup_bonus", bonus=money(bonus_cents, config)))
    rows: Rows = [
        [
            (
                t(lang, "counter.confirm_button"),
                ConfirmTopUp(card_id=facts.card.id, cents=cents, key=key),
            )
        ],
        [(t(lang, "counter.cancel_button"), DropCounter(cancel=True))],
    ]
    return "\n".join(lines), inline(rows)


def error_text(lang: str, error: CardError, tz_name: str, config: Config) -> str:
    """A refusal from the card services in the staff's words (a generic one for a reason this
    screen has no words for): moments in the reader's time, cents as money."""
    params: dict[str, object] = {}
    key = f"counter.error_{error.reason}"
    if error.reason == "coupon":  # the coupon's own refusal, in the words /redeem uses
        key = f"coupons.redeem_{error.details.get('coupon_reason')}"
    for name, value in error.details.items():
        if isinstance(value, datetime):
            params[name] = local_time(value, tz_name)
        elif name == "payable" or name.endswith("_cents"):
            params[name.removesuffix("_cents")] = money(int(value), config)  # type: ignore[call-overload]
        else:
            params[name] = value
    if not has(key):
        fallback = "counter.error_coupon" if error.reason == "coupon" else "counter.error_other"
        return t(lang, fallback)
    try:
        return t(lang, key, **params)
    except (KeyError, IndexError):  # details this text does not name: the plain refusal
        return t(lang, "counter.error_other")


# --------------------------------------------------------------------------- the customer


def spend_request_screen(
    lang: str,
    *,
    shop_name: str,
    amount_cents: int,
    points: int,
    points_cents: int,
    value_cents: int,
    expires_at: datetime,
    tz_name: str,
    request_id: int,
    config: Config,
) -> tuple[str, InlineKeyboardMarkup]:
    """The approval request in the customer's own chat: amount, shop, Approve / Decline."""
    lines = [t(lang, "spend.request", shop=h(shop_name), amount=money(amount_cents, config))]
    if points:
        lines.append(
            t(lang, "spend.line_points", points=points, amount=money(points_cents, config))
        )
    if value_cents:
        lines.append(t(lang, "spend.line_value", amount=money(value_cents, config)))
    lines += ["", t(lang, "spend.request_note", until=local_time(expires_at, tz_name)[11:])]
    rows: Rows = [
        [
            (t(lang, "spend.approve_button"), ApproveSpend(request_id=request_id)),
            (t(lang, "spend.decline_button"), DeclineSpend(request_id=request_id)),
        ]
    ]
    return "\n".join(lines), inline(rows)


async def send_to(context: Context, user_id: int, text: str, **kwargs: object) -> int | None:
    """A transactional message (receipt, approval request): sent at once, never through the
    outbox or behind quiet hours. The message id, or None if the person cannot be reached."""
    try:
        message = await context.bot.send_message(user_id, fit_html(text), **kwargs)  # type: ignore[arg-type]
    except (Forbidden, BadRequest) as exc:
        log.info("transactional message not delivered (%s)", type(exc).__name__)
        return None
    return message.message_id


async def edit_message(
    context: Context, chat_id: int | None, message_id: int | None, text: str
) -> None:
    """Replace a message's text and take its buttons off (both sides of a spend approval)."""
    if not chat_id or not message_id:
        return
    with suppress(TelegramError):  # deleted, too old or unchanged: the new message tells
        await context.bot.edit_message_text(
            fit_html(text), chat_id=chat_id, message_id=message_id, reply_markup=None
        )


def first_name(user: User) -> str:
    return user.first_name or "—"


# ------------------------------------------------------------------------ receipts, alerts


async def _card(card_id: int) -> MemberCard:
    return await MemberCard.get(id=card_id).select_related("user", "shop", "tier")


async def send_receipt(context: Context, card_id: int, result: Any, now: datetime) -> None:
    """The customer's receipt of a purchase (with an upgrade, if any), at once."""
    card = await _card(card_id)
    customer = card.user
    lang, tz_name = customer.language, customer.timezone
    config = deps(context).config
    purchase = result.purchase
    lines = [
        t(
            lang,
            "counter.receipt",
            shop=h(card.shop.name),
            amount=money(purchase.amount_cents, config),
            when=local_time(now, tz_name),
        )
    ]
    if purchase.discount_cents:
        lines.append(
            t(lang, "counter.receipt_discount", amount=money(purchase.discount_cents, config))
        )
    if purchase.points_spent:
        lines.append(t(lang, "counter.receipt_points_spent", points=purchase.points_spent))
    if purchase.value_spent_cents:
        lines.append(
            t(lang, "counter.receipt_value_spent", amount=money(purchase.value_spent_cents, config))
        )
    if purchase.points_spent or purchase.value_spent_cents:
        lines.append(t(lang, "counter.receipt_paid", amount=money(result.due_cents, config)))
    lines.append(
        t(lang, "counter.receipt_points", earned=purchase.points_earned, points=card.points)
    )
    if purchase.value_spent_cents:
        lines.append(t(lang, "counter.receipt_balance", balance=money(card.balance_cents, config)))
    if result.upgraded_to:
        lines += [
            "",
            t(lang, "counter.receipt_upgrade", tier=h(card.tier.name), shop=h(card.shop.name)),
        ]
    await send_to(context, customer.id, "\n".join(lines))


async def send_topup_receipt(
    context: Context, card_id: int, cents: int, result: Any, now: datetime
) -> None:
    card = await _card(card_id)
    customer = card.user
    config = deps(context).config
    lang = customer.language
    text = t(
        lang,
        "counter.topup_receipt",
        shop=h(card.shop.name),
        amount=money(cents, config),
        when=local_time(now, customer.timezone),
        bonus=money(result.bonus_cents, config),
        balance=money(card.balance_cents, config),
    )
    if result.upgraded_to:
        text += "\n\n" + t(
            lang, "counter.receipt_upgrade", tier=h(card.tier.name), shop=h(card.shop.name)
        )
    await send_to(context, customer.id, text)


async def send_adjust_receipt(
    context: Context, card_id: int, delta: str, reason: str, points: int
) -> None:
    card = await _card(card_id)
    text = t(
        card.user.language,
        "counter.adjust_receipt",
        shop=h(card.shop.name),
        delta=delta,
        reason=h(reason),
        points=points,
    )
    await send_to(context, card.user_id, text)


async def alert_owner_if_suspicious(
    context: Context, card_id: int, staff_id: int | None, now: datetime
) -> None:
    """After a counter transaction: the owner's alert when the card or the clerk crossed the
    shop's daily limit (the ledger says so once per card or clerk per day)."""
    card = await _card(card_id)
    alert = await ledger.suspicious(card.shop_id, card_id, staff_id, now)
    if alert is None:
        return
    owner = await User.get_or_none(id=card.shop.owner_id)
    if owner is None:
        return
    lang = owner.language
    if alert.subject == "card":
        text = t(
            lang,
            "counter.alert_card",
            shop=h(card.shop.name),
            count=alert.count,
            name=h(first_name(card.user)),
            number=display_number(card.number),
        )
    else:
        clerk = await User.get_or_none(id=alert.staff_id)
        text = t(
            lang,
            "counter.alert_staff",
            shop=h(card.shop.name),
            count=alert.count,
            clerk=h(first_name(clerk)) if clerk else "—",
        )
    await send_to(context, owner.id, text)


async def tell_staff_spend(
    context: Context, request: SpendRequest, outcome: str, now: datetime, result: Any
) -> None:
    """Edit the staff's confirmation with the customer's answer (approved: what was recorded;
    declined, expired or locked: nothing was)."""
    staff = await User.get_or_none(id=request.staff_id) if request.staff_id else None
    if staff is None or not request.staff_chat_id:
        return
    card = await _card(request.card_id)
    lang, name = staff.language, h(first_name(card.user))
    if outcome == "approved":
        text = t(lang, "counter.spend_approved", name=name, when=local_time(now, staff.timezone))
        text += "\n" + t(
            lang,
            "counter.recorded",
            when=local_time(now, staff.timezone),
            name=name,
            earned=result.purchase.points_earned,
            points=card.points,
        )
        if result.upgraded_to:
            text += "\n" + t(lang, "counter.upgraded", name=name, tier=h(card.tier.name))
    else:
        text = t(lang, f"counter.spend_{outcome}", name=name)
    config = deps(context).config
    summary = t(
        lang, "counter.spend_summary", name=name, amount=money(request.amount_cents, config)
    )
    if outcome == "approved":
        summary += "\n" + "\n".join(paid_lines(lang, result, config))
    await edit_message(
        context, request.staff_chat_id, request.staff_message_id, summary + "\n\n" + text
    )


def paid_lines(lang: str, result: Any, config: Config) -> list[str]:
    """How a recorded purchase was paid, for the staff: discount, points, stored value and the
    money left to take at the till."""
    purchase = result.purchase
    lines = []
    if purchase.discount_cents:
        lines.append(
            t(lang, "counter.receipt_discount", amount=money(purchase.discount_cents, config))
        )
    points_cents = (
        purchase.amount_cents
        - purchase.discount_cents
        - purchase.value_spent_cents
        - result.due_cents
    )
    if purchase.points_spent:
        lines.append(
            t(
                lang,
                "counter.line_points_paid",
                points=purchase.points_spent,
                amount=money(points_cents, config),
            )
        )
    if purchase.value_spent_cents:
        lines.append(
            t(lang, "counter.line_value_paid", amount=money(purchase.value_spent_cents, config))
        )
    lines.append(t(lang, "counter.line_to_pay", amount=money(result.due_cents, config)))
    return lines


def spend_summary_for_customer(lang: str, request: SpendRequest, config: Config) -> str:
    return t(
        lang,
        "spend.summary",
        shop=h(request.card.shop.name),
        amount=money(request.amount_cents, config),
    )


# ------------------------------------------------------------------------ owners: void


def activity_line(lang: str, item: Activity, tz_name: str, config: Config) -> str:
    key = "counter.history_purchase" if item.kind == "purchase" else "counter.history_topup"
    line = t(lang, key, when=local_time(item.at, tz_name), amount=money(item.amount_cents, config))
    return t(lang, "counter.history_voided", line=line) if item.voided else line


def _void_button(item: Activity, *, sure: bool) -> CallbackData:
    if item.kind == "purchase":
        return VoidPurchase(purchase_id=item.id, sure=sure)
    return VoidTopUp(entry_id=item.id, sure=sure)


def history_screen(
    lang: str,
    facts: CardFacts,
    recent: list[Activity],
    void_days: int,
    tz_name: str,
    config: Config,
) -> tuple[str, InlineKeyboardMarkup]:
    """The card's recent purchases and top-ups; those still voidable get a button."""
    lines = [t(lang, "counter.history_title", name=h(facts.first_name)), ""]
    lines += [activity_line(lang, item, tz_name, config) for item in recent]
    if not recent:
        lines.append(t(lang, "counter.history_empty"))
    voidable = [item for item in recent if item.voidable]
    rows: Rows = []
    if voidable:
        lines += ["", t(lang, "counter.history_hint", days=void_days)]
        for item in voidable:
            what = local_time(item.at, tz_name)[5:] + " · " + money(item.amount_cents, config)
            rows.append(
                [(t(lang, "counter.void_button", what=what), _void_button(item, sure=False))]
            )
    rows.append([(t(lang, "counter.back_button"), CounterCard(card_id=facts.card.id))])
    return "\n".join(lines), inline(rows)


def void_confirm_screen(
    lang: str, facts: CardFacts, item: Activity, line: str
) -> tuple[str, InlineKeyboardMarkup]:
    text = t(lang, "counter.void_sure", line=line, name=h(facts.first_name))
    rows: Rows = [
        [(t(lang, "counter.void_yes"), _void_button(item, sure=True))],
        [(t(lang, "counter.back_button"), CounterCard(card_id=facts.card.id))],
    ]
    return text, inline(rows)


async def send_void_receipt(context: Context, card_id: int, item: Activity) -> None:
    """The customer is told what was voided and where their points or stored value stand."""
    card = await _card(card_id)
    customer = card.user
    config = deps(context).config
    lang = customer.language
    line = activity_line(lang, item, customer.timezone, config)
    if item.kind == "purchase":
        text = t(
            lang, "counter.void_receipt", shop=h(card.shop.name), line=line, points=card.points
        )
    else:
        balance = money(card.balance_cents, config)
        text = t(
            lang, "counter.void_receipt_topup", shop=h(card.shop.name), line=line, balance=balance
        )
    await send_to(context, customer.id, text)
