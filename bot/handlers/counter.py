"""The staff counter: one entry (the 🧾 Counter button, /redeem) for everything a customer brings
to the till. Staff send a photo of a card or coupon QR code, scan it with the phone camera
(`/start card_<token>` / `redeem_<code>`) or type the member number or coupon code; a card
answers with the customer's first name and tier (never phone or birthday), points, stored value
and what can be done: record a purchase (type the amount → confirm: four interactions at most),
with one of the customer's coupons and points or stored value paying part; redeem a coupon
alone; top up; and, for owners, adjust points and void a recent purchase or top-up.

Confirm buttons carry the whole transaction and a random idempotency key (ConfirmPurchase,
ConfirmTopUp), so a double tap, a retried request or a restart records it once; each press is
re-validated (the card exists, the presser may act at its shop). Paying with points or stored
value becomes a spend request approved in the customer's own chat (bot/handlers/spend.py).
Receipts go to the customer at once (context.bot, not the outbox: quiet hours do not apply).
"""

from __future__ import annotations

import logging
import re
import secrets
from contextlib import suppress
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import clock
from bot.formatting import h, parse_price
from bot.i18n import t
from bot.models import MemberCard, Tier, User
from bot.services import card_tokens, cards, ledger
from bot.services import counter as counter_service
from bot.services.cards import CardError
from bot.services.codes import verify_check
from bot.services.coupons import MAX_CENTS
from bot.services.numbers import ascii_digits
from bot.services.staff import NotAllowed, Permission, allows, require, shops_where
from bot.ui.base import (
    Context,
    Deps,
    answer,
    deps,
    edit_in_place,
    expired,
    refuse,
    refusing,
    say,
)
from bot.ui.buttons.counter import (
    AdjustPoints,
    CardCoupons,
    ConfirmPurchase,
    ConfirmTopUp,
    CounterButton,
    CounterCard,
    DropCounter,
    PurchaseOption,
    RecentActivity,
    RecordPurchase,
    TopUp,
    VoidPurchase,
    VoidTopUp,
)
from bot.ui.callbacks import any_of
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    Flow,
    add_flow,
    busy,
    draft,
    flow_fallbacks,
    new_draft,
    unknown_text,
)
from bot.ui.keyboards import CONSUMER_MENU, MERCHANT_MENU, any_label_pattern, menu_pattern
from bot.views import counter as views
from bot.views.cards import show_own_card
from bot.views.counter import CardFacts, Choice
from bot.views.coupons import local_time
from bot.views.redeem import CARD_LINK_KIND, TRY_AGAIN, Scan, photo_scan, present, read_typed
from bot.views.redeem import check as check_coupon
from bot.views.redeem import refuse as refuse_coupon

log = logging.getLogger(__name__)

FLOW = "counter"
INPUT = "counter.input"  # waiting for a member number, a coupon code or a QR photo
AMOUNT = "counter.amount"  # a card is shown: a typed amount records a purchase (or a top-up)
ADJUST = "counter.adjust"  # owners: "+50 reason"
#: Who may find a card and record a purchase at the counter (the owner and clerks).
COUNTER = Permission.RECORD_PURCHASE
MENU_LABELS = filters.Regex(any_label_pattern([*CONSUMER_MENU, *MERCHANT_MENU, "menu.help"]))
NOT_TEXT_OR_PHOTO = ~filters.TEXT & ~filters.PHOTO & ~filters.COMMAND & ~CANCEL_LABEL
KEY_BYTES = 9  # 12 URL-safe characters: unguessable, short enough for button data
ADJUST_TEXT = re.compile(r"^\s*([+\-−])\s*(\d{1,9})\s+(.+?)\s*$", re.S)
REASON_MAX = 200


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


# ------------------------------------------------------------------------ finding a card


async def find_card(user: User, scan: Scan) -> MemberCard:
    """The card a scan names, at a shop where the user works the counter; CardError
    not_found / other_shop / expired_qr / bad_qr otherwise."""
    shops = await shops_where(user.id, COUNTER)
    if not shops:
        raise NotAllowed("not_staff")
    refusal: CardError | None = None
    for shop in shops:
        try:
            return await cards.find_for_counter(shop.id, scan.value)
        except CardError as error:
            if error.reason not in ("not_found", "other_shop"):
                raise
            if refusal is None or error.reason == "other_shop":
                refusal = error
    assert refusal is not None
    raise refusal


async def facts_of(card_id: int, viewer: User) -> CardFacts:
    """The card as the counter shows it to this viewer (NotAllowed if they may not)."""
    card = await MemberCard.get_or_none(id=card_id).select_related("tier", "user", "shop")
    if card is None:
        raise CardError("not_found")
    await require(viewer.id, card.shop_id, COUNTER)
    program = await cards.program_of(card.shop_id)
    usable = await counter_service.usable_coupons(card.shop_id, card.user_id, now=clock.now())
    return CardFacts(
        card=card,
        first_name=views.first_name(card.user),
        tier_name=card.tier.name,
        shop_name=card.shop.name,
        stored_value=bool(program and program.stored_value),
        coupons=usable,
        may_adjust=await allows(viewer.id, card.shop_id, Permission.ADJUST_POINTS),
        may_void=await allows(viewer.id, card.shop_id, Permission.VOID),
    )


async def show_card(update: Update, context: Context, card_id: int, *, edit: bool = False) -> None:
    user = context.user
    facts = await facts_of(card_id, user)
    text, markup = views.card_screen(user.language, facts, deps(context).config)
    if edit and update.callback_query is not None:
        await edit_in_place(update.callback_query, text, markup)
    else:
        await say(update, text, reply_markup=markup)
    new_draft(context, FLOW, card_id=card_id, mode="buy")


async def answer_scan(update: Update, context: Context, scan: Scan | None) -> str | int:
    """Show what a scan or typed text names: a card (then wait for an amount), a coupon's
    redeem confirmation (the flow ends), or why not (a typo or a blurred photo: try again)."""
    user = context.user
    lang = user.language
    config = deps(context).config
    if scan is None:
        await say(update, t(lang, "counter.no_qr"))
        return INPUT
    if scan.kind == "coupon":
        error = await present(update, context, user, scan.value)
        if error is None:
            return END
        again = error.reason in TRY_AGAIN
        await refuse_coupon(update, user, error, again=again)
        return INPUT if again else END
    try:
        card = await find_card(user, scan)
    except CardError as error:
        # All digits but no card here: perhaps a coupon code that happens to be all digits.
        digits_coupon = scan.kind == "number" and error.reason == "not_found"
        if digits_coupon and await present(update, context, user, scan.value) is None:
            return END
        await say(update, views.error_text(lang, error, user.timezone, config))
        return INPUT
    await show_card(update, context, card.id)
    return AMOUNT


# ------------------------------------------------------------------------- entry points


async def counter_command(update: Update, context: Context) -> str | int:
    """`/redeem CODE` checks a coupon at once; `/redeem` alone and the 🧾 Counter button say
    the three ways and wait for a number, a code or a photo."""
    user = context.user
    lang = user.language
    if context.args:
        await check_coupon(update, context, user, " ".join(context.args))
        return END
    if not await shops_where(user.id, COUNTER):
        await say(update, t(lang, "coupons.redeem_staff_only"))
        return END
    await say(update, t(lang, "counter.how"))
    return INPUT


async def got_text(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None
    return await answer_scan(update, context, read_typed(message.text or ""))


async def got_photo(update: Update, context: Context) -> str | int:
    message = update.effective_message
    assert message is not None
    return await answer_scan(update, context, await photo_scan(message, context))


async def not_input(update: Update, context: Context) -> str:
    await say(update, t(context.user.language, "counter.expect_input"))
    return INPUT


async def photo_outside_flow(update: Update, context: Context) -> None:
    """A photo outside any flow: staff most likely photographed a card or coupon QR code."""
    user = context.user
    if not await shops_where(user.id, COUNTER):
        await unknown_text(update, context)
        return
    message = update.effective_message
    assert message is not None
    scan = await photo_scan(message, context)
    if scan is not None and scan.kind == "coupon":
        await check_coupon(update, context, user, scan.value)
        return
    if scan is None:
        await say(update, t(user.language, "counter.no_qr"))
        return
    await _card_outside_flow(update, context, scan)


async def _card_outside_flow(update: Update, context: Context, scan: Scan) -> None:
    user = context.user
    try:
        card = await find_card(user, scan)
    except CardError as error:
        await say(
            update, views.error_text(user.language, error, user.timezone, deps(context).config)
        )
        return
    await show_card(update, context, card.id)


async def open_card_link(update: Update, context: Context, token: str) -> None:
    """`/start card_<token>`: staff of the card's shop scanned it → the counter; the holder
    opened their own → their card; anyone else → a polite refusal."""
    user = context.user
    lang = user.language
    config = deps(context).config
    staff_at = {shop.id for shop in await shops_where(user.id, COUNTER)}
    try:
        card_id = await card_tokens.verify(token, clock.now())
    except CardError as error:
        text = views.error_text(lang, error, user.timezone, config) if staff_at else None
        await say(update, text or t(lang, "counter.not_your_card"))
        return
    card = await MemberCard.get_or_none(id=card_id)
    if card is not None and card.shop_id in staff_at:  # type: ignore[attr-defined]
        await show_card(update, context, card.id)
        return
    if card is not None and await show_own_card(update, context, card.id):
        return
    if staff_at:
        await say(update, views.error_text(lang, CardError("other_shop"), user.timezone, config))
        return
    await say(update, t(lang, "counter.not_your_card"))


# --------------------------------------------------------------------- card screen actions


@refusing
async def card_press(update: Update, context: Context) -> str | int | None:
    """The card screen's buttons: show it again, coupons, record a purchase, top up, adjust."""
    user = context.user
    lang = user.language
    pressed = CounterButton.pressed(update)
    card_id: int = pressed.card_id  # type: ignore[attr-defined]
    facts = await _pressed_facts(update, card_id, user)
    if facts is None:
        return None
    name = h(facts.first_name)
    if isinstance(pressed, CounterCard):
        await answer(update)
        await show_card(update, context, card_id, edit=True)
        return AMOUNT
    if isinstance(pressed, CardCoupons):
        await answer(update)
        text, markup = views.coupons_screen(lang, facts, user.timezone)
        await say(update, text, reply_markup=markup)
        return None
    if isinstance(pressed, RecordPurchase):
        await answer(update)
        new_draft(context, FLOW, card_id=card_id, mode="buy")
        await say(update, t(lang, "counter.ask_amount", name=name))
        return AMOUNT
    if isinstance(pressed, TopUp):
        if not facts.stored_value:
            await answer(update, t(lang, "counter.no_stored_value"), alert=True)
            return None
        await answer(update)
        new_draft(context, FLOW, card_id=card_id, mode="topup")
        await say(update, t(lang, "counter.ask_topup", name=name))
        return AMOUNT
    if isinstance(pressed, AdjustPoints):
        await require(user.id, facts.card.shop_id, Permission.ADJUST_POINTS)
        await answer(update)
        new_draft(context, FLOW, card_id=card_id, mode="adjust")
        await say(update, t(lang, "counter.ask_adjust", name=name, points=facts.card.points))
        return ADJUST
    return None


async def got_amount(update: Update, context: Context) -> str | int:
    """An amount for the card shown (a purchase, or a top-up), or another card or coupon."""
    user = context.user
    lang = user.language
    config = deps(context).config
    message = update.effective_message
    assert message is not None
    text = message.text or ""
    state = draft(context, FLOW)
    cents = parse_price(text, MAX_CENTS // 100)
    if cents is None or cents == 0 or "card_id" not in state:
        scan = read_typed(text)
        if _names_something(scan, text) or "card_id" not in state:
            return await answer_scan(update, context, scan)
        await say(update, t(lang, "counter.bad_amount", max=views.money(MAX_CENTS, config)))
        return AMOUNT
    try:
        facts = await facts_of(state["card_id"], user)
    except (CardError, NotAllowed):
        await say(update, t(lang, "counter.error_not_found"))
        return END
    key = new_key()
    if state.get("mode") == "topup":
        bonus = await counter_service.top_up_bonus(facts.card.shop_id, cents)
        screen = views.topup_screen(lang, facts, cents, bonus, key, config)
    else:
        choice = Choice(facts.card.id, cents, None, False, False, key)
        screen = await _purchase_screen(lang, facts, choice, config)
    await say(update, screen[0], reply_markup=screen[1])
    return END


#: A member number is longer than any amount typed at a till.
MIN_NUMBER_DIGITS = 8


def _names_something(scan: Scan, text: str) -> bool:
    """Whether text typed where an amount was expected is rather the next customer's card
    number, a card link or a well-formed coupon code."""
    if scan.kind == "number":
        return len(scan.value) >= MIN_NUMBER_DIGITS
    return scan.kind == "card" or verify_check(text)


async def _purchase_screen(
    lang: str, facts: CardFacts, choice: Choice, config: Any
) -> tuple[str, Any]:
    quote = await counter_service.quote_purchase(
        facts.card.id,
        choice.cents,
        coupon_claim_id=choice.claim_id,
        use_points=choice.points,
        use_value=choice.value,
    )
    return views.purchase_screen(lang, facts, choice, quote, config)


# ------------------------------------------------------------------ confirming a purchase


@refusing
async def option_press(update: Update, context: Context) -> None:
    """Another coupon, or points / stored value paying part: the confirmation again."""
    user = context.user
    pressed = PurchaseOption.pressed(update)
    query = update.callback_query
    assert query is not None
    facts = await _pressed_facts(update, pressed.card_id, user)
    if facts is None:
        return
    if await counter_service.purchase_by_key(pressed.key) is not None:
        await answer(update, t(user.language, "counter.already"), alert=True)
        return
    choice = Choice(**{f: getattr(pressed, f) for f in Choice.__dataclass_fields__})
    try:
        text, markup = await _purchase_screen(user.language, facts, choice, deps(context).config)
    except CardError as error:
        await _refuse_in_popup(update, user, deps(context).config, error)
        return
    await answer(update)
    await edit_in_place(query, text, markup)


@refusing
async def confirm_press(update: Update, context: Context) -> None:
    """✅ Confirm: record the purchase once (its key), or ask the customer to approve paying
    with points or stored value."""
    user = context.user
    lang = user.language
    config = deps(context).config
    pressed = ConfirmPurchase.pressed(update)
    query = update.callback_query
    assert query is not None
    facts = await _pressed_facts(update, pressed.card_id, user)
    if facts is None:
        return
    now = clock.now()
    card = facts.card
    if pressed.points or pressed.value:
        await _ask_approval(update, context, facts, pressed)
        return
    try:
        result = await ledger.record_purchase(
            card.shop_id,
            card,
            pressed.cents,
            user.id,
            key=pressed.key,
            now=now,
            coupon_claim_id=pressed.claim_id,
        )
    except CardError as error:
        await _refuse_in_popup(update, user, config, error)
        return
    if not await _toasted(update, lang, result.replayed):
        return
    text = _shown(query) + "\n\n" + recorded_line(lang, facts, result, now, user.timezone)
    await edit_in_place(query, text, None)
    await after_purchase(context, card.id, user.id, result, now)


def recorded_line(lang: str, facts: CardFacts, result: Any, now: Any, tz_name: str) -> str:
    line = t(
        lang,
        "counter.recorded",
        when=local_time(now, tz_name),
        name=h(facts.first_name),
        earned=result.points_earned,
        points=result.card.points,
    )
    return line + _upgraded(lang, facts, result.upgraded_to)


async def after_purchase(
    context: Context, card_id: int, staff_id: int, result: Any, now: Any
) -> None:
    """The customer's receipt (and upgrade) at once, then the owner's suspicious-activity
    alert if this transaction crossed the shop's daily limit."""
    await views.send_receipt(context, card_id, result, now)
    await views.alert_owner_if_suspicious(context, card_id, staff_id, now)


async def _ask_approval(
    update: Update, context: Context, facts: CardFacts, pressed: ConfirmPurchase
) -> None:
    """Points or stored value pay part: a spend request, approved in the customer's chat."""
    user = context.user
    lang = user.language
    config = deps(context).config
    query = update.callback_query
    assert query is not None
    quote = await counter_service.quote_purchase(
        facts.card.id,
        pressed.cents,
        coupon_claim_id=pressed.claim_id,
        use_points=pressed.points,
        use_value=pressed.value,
    )
    now = clock.now()
    try:
        request = await ledger.request_spend(
            facts.card.id,
            user.id,
            pressed.cents,
            points=quote.points,
            value_cents=quote.value_cents,
            key=pressed.key,
            now=now,
            coupon_claim_id=pressed.claim_id,
        )
    except CardError as error:
        await _refuse_in_popup(update, user, config, error)
        return
    if request.customer_message_id is not None:  # a second tap: asked already
        await answer(update, t(lang, "counter.asked_toast"))
        return
    customer = facts.card.user
    text, markup = views.spend_request_screen(
        customer.language,
        shop_name=facts.shop_name,
        amount_cents=request.amount_cents,
        points=request.points,
        points_cents=quote.points_cents,
        value_cents=request.value_cents,
        expires_at=request.expires_at,
        tz_name=customer.timezone,
        request_id=request.id,
        config=config,
    )
    sent = await views.send_to(context, customer.id, text, reply_markup=markup)
    if sent is None:
        await ledger.decline_spend(request.id, customer.id, now=now)
        await answer(update)
        await say(update, t(lang, "counter.customer_unreachable", name=h(facts.first_name)))
        return
    await counter_service.note_spend_messages(
        request.id,
        staff_chat_id=query.message.chat.id if query.message else user.id,
        staff_message_id=query.message.message_id if query.message else 0,
        customer_message_id=sent,
    )
    await answer(update, t(lang, "counter.asked_toast"))
    waiting = t(
        lang,
        "counter.waiting",
        name=h(facts.first_name),
        until=local_time(request.expires_at, user.timezone)[11:],
    )
    await edit_in_place(query, _shown(query) + "\n\n" + waiting, None)


def _shown(query: CallbackQuery) -> str:
    """The pressed message's text as sent (HTML), to extend with the outcome ('' if it is too
    old for Telegram to show)."""
    message = query.message
    return (message.text_html or "") if isinstance(message, Message) else ""


async def _pressed_facts(update: Update, card_id: int, user: User) -> CardFacts | None:
    """The card behind a pressed button, or None once the presser is told it expired."""
    try:
        return await facts_of(card_id, user)
    except CardError:
        await expired(update, user.language)
        return None


async def _refuse_in_popup(update: Update, user: User, config: Any, error: CardError) -> None:
    await answer(
        update, _plain(views.error_text(user.language, error, user.timezone, config)), alert=True
    )


async def _toasted(update: Update, lang: str, replayed: bool) -> bool:
    """The press's toast: recorded (True), or already recorded by a first tap (False)."""
    if replayed:
        await answer(update, t(lang, "counter.already"), alert=True)
        return False
    await answer(update, t(lang, "counter.recorded_toast"))
    return True


def _upgraded(lang: str, facts: CardFacts, tier: Tier | None) -> str:
    """The line saying the card moved up a tier ('' when it did not)."""
    if tier is None:
        return ""
    return "\n" + t(lang, "counter.upgraded", name=h(facts.first_name), tier=h(tier.name))


def _plain(html_text: str) -> str:
    """A refusal shown in a pop-up (plain text)."""
    return re.sub(r"<[^>]+>", "", html_text)


# ------------------------------------------------------------------------------- top-up


@refusing
async def topup_press(update: Update, context: Context) -> None:
    user = context.user
    lang = user.language
    config = deps(context).config
    pressed = ConfirmTopUp.pressed(update)
    query = update.callback_query
    assert query is not None
    facts = await _pressed_facts(update, pressed.card_id, user)
    if facts is None:
        return
    now = clock.now()
    try:
        result = await ledger.top_up(
            pressed.card_id, user.id, pressed.cents, key=pressed.key, now=now
        )
    except CardError as error:
        await _refuse_in_popup(update, user, config, error)
        return
    if not await _toasted(update, lang, result.replayed):
        return
    done = t(
        lang,
        "counter.topup_done",
        when=local_time(now, user.timezone),
        amount=views.money(pressed.cents, config),
        bonus=views.money(result.bonus_cents, config),
        balance=views.money(result.card.balance_cents, config),
    )
    done += _upgraded(lang, facts, result.upgraded_to)
    await edit_in_place(query, _shown(query) + "\n\n" + done, None)
    await views.send_topup_receipt(context, pressed.card_id, pressed.cents, result, now)
    await views.alert_owner_if_suspicious(context, pressed.card_id, user.id, now)


# --------------------------------------------------------------------------- owners only


async def got_adjust(update: Update, context: Context) -> str | int:
    """ "+50 birthday gift": the owner's change of points with its reason, applied once."""
    user = context.user
    lang = user.language
    config = deps(context).config
    message = update.effective_message
    assert message is not None
    match = ADJUST_TEXT.match(ascii_digits(message.text or ""))
    state = draft(context, FLOW)
    if match is None or "card_id" not in state:
        await say(update, t(lang, "counter.bad_adjust"))
        return ADJUST
    delta = int(match[2]) * (1 if match[1] == "+" else -1)
    reason = match[3][:REASON_MAX]
    now = clock.now()
    try:
        facts = await facts_of(state["card_id"], user)
        await require(user.id, facts.card.shop_id, Permission.ADJUST_POINTS)
        await ledger.adjust_points(
            facts.card.id,
            user.id,
            delta,
            reason,
            key=f"adj-{message.chat_id}-{message.message_id}",
            now=now,
        )
    except NotAllowed as error:
        await refuse(update, lang, error)
        return END
    except CardError as error:
        await say(update, views.error_text(lang, error, user.timezone, config))
        return ADJUST
    shown = f"{delta:+d}"
    points = (await MemberCard.get(id=facts.card.id)).points
    await say(
        update,
        t(
            lang,
            "counter.adjusted",
            delta=shown,
            reason=h(reason),
            name=h(facts.first_name),
            points=points,
        ),
    )
    await views.send_adjust_receipt(context, facts.card.id, shown, reason, points)
    return END


@refusing
async def history_press(update: Update, context: Context) -> None:
    """The card's recent purchases and top-ups, each within the program's days with its void
    button (owners)."""
    user = context.user
    lang = user.language
    pressed = RecentActivity.pressed(update)
    facts = await _pressed_facts(update, pressed.card_id, user)
    if facts is None:
        return
    await require(user.id, facts.card.shop_id, Permission.VOID)
    await answer(update)
    days, recent = await counter_service.recent_activity(facts.card.id, now=clock.now())
    text, markup = views.history_screen(
        lang, facts, recent, days, user.timezone, deps(context).config
    )
    await say(update, text, reply_markup=markup)


@refusing
async def void_press(update: Update, context: Context) -> None:
    """↩️ Void: ask once more, then reverse it in one transaction and tell the customer."""
    user = context.user
    lang = user.language
    config = deps(context).config
    button = CounterButton.pressed(update)
    query = update.callback_query
    assert query is not None
    now = clock.now()
    try:
        if isinstance(button, VoidPurchase):
            item = await counter_service.purchase_activity(button.purchase_id)
        else:
            assert isinstance(button, VoidTopUp)
            item = await counter_service.top_up_activity(button.entry_id)
    except CardError:
        await expired(update, lang)
        return
    facts = await facts_of(item.card_id, user)
    await require(user.id, facts.card.shop_id, Permission.VOID)
    line = views.activity_line(lang, item, user.timezone, config)
    if not button.sure:
        await answer(update)
        text, markup = views.void_confirm_screen(lang, facts, item, line)
        await edit_in_place(query, text, markup)
        return
    try:
        if isinstance(button, VoidPurchase):
            await ledger.void_purchase(button.purchase_id, user.id, now=now)
        else:
            await ledger.void_top_up(button.entry_id, user.id, now=now)
    except CardError as error:
        await _refuse_in_popup(update, user, config, error)
        return
    await answer(update, t(lang, "counter.voided", when=local_time(now, user.timezone)))
    await edit_in_place(
        query, line + "\n\n" + t(lang, "counter.voided", when=local_time(now, user.timezone)), None
    )
    await views.send_void_receipt(context, facts.card.id, item)


async def drop_press(update: Update, context: Context) -> None:
    """✖️ Done takes a card screen's buttons off; ✖️ Cancel also says nothing was recorded."""
    await answer(update)
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    if DropCounter.pressed(update).cancel:
        text = _shown(query) + "\n\n" + t(context.user.language, "counter.cancelled")
        await edit_in_place(query, text, None)
    else:
        with suppress(TelegramError):  # too old to edit: nothing to take back
            await query.edit_message_reply_markup(None)


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
    deps.deep_links[CARD_LINK_KIND] = open_card_link
    card_buttons = any_of(CounterCard, CardCoupons, RecordPurchase, TopUp, AdjustPoints)
    entry = [
        CommandHandler("redeem", counter_command),
        MessageHandler(filters.Regex(menu_pattern("menu.redeem")), counter_command),
        CallbackQueryHandler(card_press, pattern=card_buttons),
    ]
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=entry,
            states={
                INPUT: [
                    MessageHandler(MENU_LABELS, busy),
                    MessageHandler(PLAIN_TEXT, got_text),
                    MessageHandler(filters.PHOTO, got_photo),
                    MessageHandler(NOT_TEXT_OR_PHOTO, not_input),
                ],
                AMOUNT: [
                    MessageHandler(MENU_LABELS, busy),
                    MessageHandler(PLAIN_TEXT, got_amount),
                    MessageHandler(filters.PHOTO, got_photo),
                    MessageHandler(NOT_TEXT_OR_PHOTO, not_input),
                ],
                ADJUST: [
                    MessageHandler(MENU_LABELS, busy),
                    MessageHandler(PLAIN_TEXT, got_adjust),
                ],
            },
            fallbacks=flow_fallbacks(),
            allow_reentry=True,
        ),
    )
    app.add_handler(CallbackQueryHandler(option_press, pattern=PurchaseOption.pattern()))
    app.add_handler(CallbackQueryHandler(confirm_press, pattern=ConfirmPurchase.pattern()))
    app.add_handler(CallbackQueryHandler(topup_press, pattern=ConfirmTopUp.pattern()))
    app.add_handler(CallbackQueryHandler(history_press, pattern=RecentActivity.pattern()))
    app.add_handler(CallbackQueryHandler(void_press, pattern=any_of(VoidPurchase, VoidTopUp)))
    app.add_handler(CallbackQueryHandler(drop_press, pattern=DropCounter.pattern()))
    app.add_handler(MessageHandler(filters.PHOTO & OutsideFlows(app), photo_outside_flow))
