"""The customer approves, in their own chat, paying with points or stored value at the counter.

The request arrives with the amount and the shop, and ✅ Approve / ✖️ Decline (bot/ui/buttons/
spend.py, re-validated on every press: the request is the presser's own and still pending).
Approve asks for the six-digit consumption password, read by bot/ui/secret_input.py: the message
is deleted at once and the PIN goes straight to the ledger, never into user_data, the draft
(which holds only the request id) or a log. A wrong password says how many tries are left; the
fifth locks spending on the card for 15 minutes. On approval the purchase is recorded once (the
request's key) and both the staff's message and the customer's are edited with the result.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot import clock
from bot.i18n import t
from bot.models import SpendRequest
from bot.services import counter as counter_service
from bot.services import ledger
from bot.services.cards import CardError
from bot.ui.base import Context, Deps, answer, deps, expired, say
from bot.ui.buttons.spend import ApproveSpend, DeclineSpend
from bot.ui.flow import CANCEL_LABEL, END, Flow, add_flow, draft, flow_fallbacks, new_draft
from bot.ui.secret_input import take_pin
from bot.views import counter as views
from bot.views.coupons import local_time

FLOW = "spend"
PIN = "spend.pin"  # waiting for the password (the draft holds the request id only)
NOT_CANCEL = ~filters.COMMAND & ~CANCEL_LABEL


async def _own_pending(request_id: int, user_id: int) -> SpendRequest | None:
    """The request if it is this customer's and still waiting for them."""
    return await counter_service.pending_spend_for(request_id, user_id, now=clock.now())


async def _pressed_request(
    update: Update, context: Context, request_id: int
) -> SpendRequest | None:
    """The pressed request if it is the presser's and still waiting; else None once the
    press is answered as stale."""
    request = await _own_pending(request_id, context.user.id)
    if request is None:
        await _stale(update, context, request_id)
    return request


async def _stale(update: Update, context: Context, request_id: int) -> None:
    """A press on a request no longer waiting: the polite expired answer; one whose time ran
    out unanswered is closed in both chats now."""
    user = context.user
    lapsed = await counter_service.expire_if_due(request_id, user.id, now=clock.now())
    await expired(update, user.language)
    if lapsed is not None:
        request = await SpendRequest.get(id=lapsed.id).select_related("card__user", "card__shop")
        await _close_both(context, request, "expired", t(user.language, "spend.expired"))


async def approve_press(update: Update, context: Context) -> str | int | None:
    user = context.user
    pressed = ApproveSpend.pressed(update)
    request = await _pressed_request(update, context, pressed.request_id)
    if request is None:
        return None
    await answer(update)
    new_draft(context, FLOW, request_id=request.id)
    await say(update, t(user.language, "spend.ask_pin"))
    return PIN


async def got_pin(update: Update, context: Context) -> str | int:
    """The password: deleted from the chat at once, checked by the ledger, never kept."""
    user = context.user
    lang = user.language
    pin = await take_pin(update)
    request_id = draft(context, FLOW).get("request_id")
    if request_id is None:
        return END
    if pin is None:
        await say(update, t(lang, "spend.not_pin"))
        return PIN
    now = clock.now()
    try:
        result = await ledger.approve_spend(request_id, user.id, pin, now=now)
    except CardError as error:
        return await _refused(update, context, request_id, error)
    request = await SpendRequest.get(id=request_id).select_related("card__user", "card__shop")
    await views.edit_message(
        context,
        user.id,
        request.customer_message_id,
        _customer_header(context, request)
        + "\n\n"
        + t(lang, "spend.approved", when=local_time(now, user.timezone)),
    )
    await views.tell_staff_spend(context, request, "approved", now, result)
    await views.send_receipt(context, request.card_id, result, now)
    await views.alert_owner_if_suspicious(context, request.card_id, request.staff_id, now)
    return END


async def _refused(
    update: Update, context: Context, request_id: int, error: CardError
) -> str | int:
    user = context.user
    lang = user.language
    if error.reason == "wrong_password":
        left = int(error.details.get("left", 0))
        await say(update, t(lang, "spend.wrong_pin", count=left))
        return PIN
    request = await SpendRequest.get_or_none(id=request_id).select_related(
        "card__user", "card__shop"
    )
    if error.reason == "locked":
        until = error.details.get("until")
        shown = local_time(until, user.timezone) if until is not None else ""
        await say(update, t(lang, "spend.locked", until=shown))
        if request is not None:
            await _close_both(context, request, "locked", t(lang, "spend.locked", until=shown))
        return END
    if error.reason == "no_password":
        await say(update, t(lang, "spend.no_password"))
        return END
    if error.reason in ("insufficient_points", "insufficient_balance", "too_much", "coupon"):
        await say(update, t(lang, "spend.insufficient"))
        return END
    await say(update, t(lang, "spend.expired"))
    if request is not None and error.reason == "expired":
        await _close_both(context, request, "expired", t(lang, "spend.expired"))
    return END


async def _close_both(
    context: Context, request: SpendRequest, outcome: str, customer_text: str
) -> None:
    await views.edit_message(
        context,
        request.card.user_id,
        request.customer_message_id,
        _customer_header(context, request) + "\n\n" + customer_text,
    )
    await views.tell_staff_spend(context, request, outcome, clock.now(), None)


def _customer_header(context: Context, request: SpendRequest) -> str:
    """The request's first line (shop and amount), above its outcome."""
    lang = request.card.user.language
    return views.spend_summary_for_customer(lang, request, deps(context).config)


async def close_lapsed(app: Application, request_id: int) -> None:  # type: ignore[type-arg]
    """A request expired unanswered (the scheduler's spend-requests job): both chats told."""
    request = await SpendRequest.get_or_none(id=request_id).select_related(
        "card__user", "card__shop"
    )
    if request is None:
        return
    context = Context(app)
    customer_text = t(request.card.user.language, "spend.expired")
    await _close_both(context, request, "expired", customer_text)


async def decline_press(update: Update, context: Context) -> int | None:
    user = context.user
    lang = user.language
    pressed = DeclineSpend.pressed(update)
    request = await _pressed_request(update, context, pressed.request_id)
    if request is None:
        return None
    now = clock.now()
    try:
        await ledger.decline_spend(request.id, user.id, now=now)
    except CardError:
        await expired(update, lang)
        return None
    await answer(update, t(lang, "spend.declined"))
    request = await SpendRequest.get(id=request.id).select_related("card__user", "card__shop")
    await _close_both(context, request, "declined", t(lang, "spend.declined"))
    return END


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CallbackQueryHandler(approve_press, pattern=ApproveSpend.pattern()),
                CallbackQueryHandler(decline_press, pattern=DeclineSpend.pattern()),
            ],
            states={
                PIN: [
                    CallbackQueryHandler(decline_press, pattern=DeclineSpend.pattern()),
                    MessageHandler(NOT_CANCEL, got_pin),
                ],
            },
            fallbacks=flow_fallbacks(),
            allow_reentry=True,
        ),
    )
