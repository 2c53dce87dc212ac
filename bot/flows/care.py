"""Care after a visit in the chat: the customer's score under "How was your visit?" (queued by
scheduler/care.py), what happens next, the owner's answer to a complaint, and /feedback.

- 1–2 ⭐: a complaint opens; the owner is told at once (a direct message, not the outbox) with
  a "💬 Answer" button; the customer gets an apology saying the answer will come here, and may
  write what went wrong (one message, or Skip; the owner gets it too).
- 3 ⭐: thanks. 4–5 ⭐: thanks and an invitation into the review flow (its own entry button,
  bot/ui/buttons/reviews.py WriteReview): the review comes out verified, as after any visit.
- A second press: already answered. Someone else's or a forged survey: expired.
- The owner's answer is delivered to the customer by the bot, and closes the complaint.
- /feedback (Permission.VIEW_FEEDBACK, the owner): open complaints oldest first, each with its
  Answer button; answered ones leave the list (this month's count and scores below).

Button data: bot/ui/buttons/care.py (prefix `care`)."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import clock
from bot.formatting import h, stars
from bot.i18n import t
from bot.models import Complaint, Shop, User
from bot.services import care
from bot.services.care import CareError, SurveyAnswer
from bot.services.staff import NotAllowed, Permission, require
from bot.ui.base import (
    Context,
    Deps,
    answer,
    expired,
    refuse,
    refusing,
    say,
    shop_to_manage,
)
from bot.ui.buttons.care import AnswerComplaint, FeedbackShop, SurveyStars
from bot.ui.buttons.reviews import WriteReview
from bot.ui.callbacks import CallbackData
from bot.ui.flow import (
    CANCEL_LABEL,
    END,
    PLAIN_TEXT,
    SKIP_LABEL,
    Flow,
    add_flow,
    draft,
    flow_fallbacks,
    new_draft,
    show_menu,
)
from bot.ui.keyboards import choice_keyboard, inline
from bot.ui.text import fit_html, shorten
from bot.views.care import answer_button, feedback_text, first_name, owner_alert

log = logging.getLogger(__name__)

FLOW = "care"
WHAT_WENT_WRONG, ANSWER = "care.wrong", "care.answer"
NOT_CANCEL = ~filters.COMMAND & ~CANCEL_LABEL
#: Answer buttons under /feedback (the oldest complaints; the rest follow once these close).
MAX_ANSWER_BUTTONS = 20


def _state(context: Context) -> dict:
    return draft(context, FLOW)


# ------------------------------------------------------------------------- the customer


async def press_stars(update: Update, context: Context) -> str | int | None:
    user = context.user
    lang = user.language
    pressed = SurveyStars.pressed(update)
    try:
        result = await care.answer_survey(
            pressed.survey_id, user.id, pressed.stars, now=clock.now()
        )
    except CareError as error:
        if error.reason == "answered":
            given = stars(int(error.details["stars"]))  # type: ignore[call-overload]
            await answer(update, t(lang, "care.already_answered", stars=given), alert=True)
        else:
            await expired(update, lang)
        return None  # nothing starts, and a flow under way goes on
    await answer(update, t(lang, "care.thanks_toast"))
    await _mark_answered(update, lang, result.stars)
    shop = h(result.shop.name)
    if result.complaint is not None:
        await _alert_owner(context, result.shop, result.complaint, added=False)
        new_draft(context, FLOW, complaint_id=result.complaint.id, shop=result.shop.name)
        text = t(lang, "care.sorry", shop=shop) + "\n\n" + t(lang, "care.ask_what_went_wrong")
        await say(update, text, reply_markup=choice_keyboard(lang, [], skip=True))
        return WHAT_WENT_WRONG
    await _thank(update, lang, result)
    return END


async def _mark_answered(update: Update, lang: str, given: int) -> None:
    """The question keeps its words and shows the score instead of the buttons."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    footer = t(lang, "care.you_gave", stars=stars(given))
    try:
        await query.message.edit_text(
            fit_html((query.message.text_html or "") + "\n\n" + footer), reply_markup=None
        )
    except TelegramError as exc:  # too old to edit: the score is kept all the same
        log.info("survey message not edited: %s", exc)


async def _thank(update: Update, lang: str, result: SurveyAnswer) -> None:
    shop = h(result.shop.name)
    if not result.high:
        await say(update, t(lang, "care.thanks", shop=shop))
        return
    invite = [[(t(lang, "care.review_button"), WriteReview(shop_id=result.shop.id))]]
    await say(update, t(lang, "care.invite_review", shop=shop), reply_markup=inline(invite))


async def got_what_went_wrong(update: Update, context: Context) -> str | int | None:
    user = context.user
    lang = user.language
    assert update.message is not None
    complaint_id = await _drafted_id(update, context, "complaint_id")
    if complaint_id is None:
        return END
    try:
        complaint = await care.add_complaint_text(complaint_id, user.id, update.message.text or "")
    except CareError as error:
        if await _type_again(update, lang, error):
            return None
        await show_menu(update, user, t(lang, "care.text_too_late"))
        return END
    await show_menu(update, user, t(lang, "care.text_sent", shop=h(complaint.shop.name)))
    await _alert_owner(context, complaint.shop, complaint, added=True)
    return END


async def _drafted_id(update: Update, context: Context, key: str) -> int | None:
    """The complaint id the draft holds under `key`; None once the user is told the button
    expired (the draft was lost: a restart, another flow)."""
    value = _state(context).get(key)
    if value is None:
        user = context.user
        await show_menu(update, user, t(user.language, "common.button_expired"))
    return value


async def _type_again(update: Update, lang: str, error: CareError) -> bool:
    """A text refused for its length (too long, empty): say so, True (the step stays)."""
    if error.reason not in ("too_long", "empty"):
        return False
    await say(update, t(lang, f"care.text_{error.reason}", **error.details))
    return True


async def skip_what_went_wrong(update: Update, context: Context) -> int:
    user = context.user
    shop = _state(context).get("shop", "")
    await show_menu(update, user, t(user.language, "care.text_skipped", shop=h(shop)))
    return END


async def text_only(update: Update, context: Context) -> None:
    await say(update, t(context.user.language, "care.text_only"))


# ----------------------------------------------------------------------------- the owner


async def _alert_owner(context: Context, shop: Shop, complaint: Complaint, *, added: bool) -> None:
    """Tell the shop's owner at once, in their language, with the button to answer."""
    owner = await User.get_or_none(id=shop.owner_id)
    if owner is None:
        return
    await complaint.fetch_related("user")
    lang = owner.language
    text = owner_alert(lang, shop, complaint, shop.timezone)
    if added:
        text = t(lang, "care.alert_added", name=h(first_name(complaint))) + "\n\n" + text
    try:
        await context.bot.send_message(
            owner.id, fit_html(text), reply_markup=inline([[answer_button(lang, complaint)]])
        )
    except (Forbidden, BadRequest) as exc:  # blocked the bot: /feedback still lists it
        log.info("complaint alert to owner %s not delivered: %s", owner.id, exc)


@refusing
async def start_answer(update: Update, context: Context) -> str | None:
    user = context.user
    lang = user.language
    pressed = AnswerComplaint.pressed(update)
    try:
        complaint = await care.complaint_to_answer(pressed.complaint_id, user.id)
    except CareError as error:
        if error.reason == "answered":
            await answer(update, t(lang, "care.already_closed"), alert=True)
        else:
            await expired(update, lang)
        return None
    await answer(update)
    new_draft(context, FLOW, answer_to=complaint.id)
    said = f"\n<i>{h(shorten(complaint.text, 300))}</i>" if complaint.text else ""
    text = t(
        lang,
        "care.ask_answer",
        name=h(first_name(complaint)),
        stars=stars(complaint.stars),
        text=said,
    )
    await say(update, text, reply_markup=choice_keyboard(lang, []))
    return ANSWER


async def got_answer(update: Update, context: Context) -> int | None:
    user = context.user
    lang = user.language
    assert update.message is not None
    complaint_id = await _drafted_id(update, context, "answer_to")
    if complaint_id is None:
        return END
    try:
        complaint = await care.answer_complaint(
            complaint_id, user.id, update.message.text or "", now=clock.now()
        )
    except NotAllowed as error:
        await refuse(update, lang, error)
        return END
    except CareError as error:
        if await _type_again(update, lang, error):
            return None
        await show_menu(update, user, t(lang, "care.already_closed"))
        return END
    delivered = await _deliver_answer(context, complaint)
    key = "care.answer_sent" if delivered else "care.answer_undelivered"
    await show_menu(update, user, t(lang, key, name=h(first_name(complaint))))
    return END


async def _deliver_answer(context: Context, complaint: Complaint) -> bool:
    """The shop's answer in the customer's chat (a direct message: they are waiting for it)."""
    customer: User = complaint.user
    lang = customer.language
    text = t(
        lang,
        "care.answer_to_customer",
        shop=h(complaint.shop.name),
        stars=stars(complaint.stars),
        answer=h(complaint.answer or ""),
    )
    try:
        await context.bot.send_message(customer.id, fit_html(text))
    except (Forbidden, BadRequest) as exc:
        log.info("complaint answer to %s not delivered: %s", customer.id, exc)
        return False
    return True


# ----------------------------------------------------------------------------- /feedback


async def feedback_command(update: Update, context: Context) -> None:
    user = context.user
    shop = await shop_to_manage(
        update,
        user,
        permission=Permission.VIEW_FEEDBACK,
        choose_key="care.feedback_pick_shop",
        choice_data=lambda s: FeedbackShop(shop_id=s.id),
    )
    if shop is not None:
        await show_feedback(update, user, shop)


async def show_feedback(update: Update, user: User, shop: Shop) -> None:
    lang = user.language
    found = await care.feedback(shop, clock.now())
    rows: list[list[tuple[str, CallbackData]]] = [
        [answer_button(lang, complaint)] for complaint in found.open[:MAX_ANSWER_BUTTONS]
    ]
    await say(update, feedback_text(lang, shop, found), reply_markup=inline(rows) if rows else None)


@refusing
async def feedback_shop_press(update: Update, context: Context) -> None:
    user = context.user
    shop = await require(user.id, FeedbackShop.pressed(update).shop_id, Permission.VIEW_FEEDBACK)
    await answer(update)
    await show_feedback(update, user, shop)


def register(app: Application, deps: Deps) -> None:  # type: ignore[type-arg]
    add_flow(
        app,
        Flow(
            FLOW,
            entry_points=[
                CallbackQueryHandler(press_stars, pattern=SurveyStars.pattern()),
                CallbackQueryHandler(start_answer, pattern=AnswerComplaint.pattern()),
            ],
            states={
                WHAT_WENT_WRONG: [
                    MessageHandler(SKIP_LABEL, skip_what_went_wrong),
                    MessageHandler(PLAIN_TEXT, got_what_went_wrong),
                    MessageHandler(NOT_CANCEL, text_only),
                ],
                ANSWER: [
                    MessageHandler(PLAIN_TEXT, got_answer),
                    MessageHandler(NOT_CANCEL, text_only),
                ],
            },
            fallbacks=flow_fallbacks(),
            allow_reentry=True,
        ),
    )
    app.add_handler(CommandHandler("feedback", feedback_command))
    app.add_handler(CallbackQueryHandler(feedback_shop_press, pattern=FeedbackShop.pattern()))
