"""Care after a visit, as messages: the welcome's buttons and the satisfaction question as
outbox payloads (every language: the reader's is picked when it is sent), the owner's alert,
and /feedback's list."""

from __future__ import annotations

from typing import Any

from bot.formatting import h, stars
from bot.i18n import LANGUAGES, t
from bot.models import Complaint, Shop
from bot.services.care import STARS, Feedback, SurveyDue, Welcome
from bot.ui.buttons.care import AnswerComplaint, SurveyStars
from bot.ui.buttons.follows import FollowShop
from bot.ui.buttons.shop import ShopPage
from bot.ui.callbacks import CallbackData
from bot.ui.text import block, blocks, cut, fit, shorten
from bot.views.coupons import local_time

NAME_MAX = 32
LIST_TEXT_MIN = 200


def _button(key: str, data: CallbackData, **params: Any) -> dict[str, Any]:
    label = {lang: t(lang, key, **params) for lang in LANGUAGES}
    return {"text": label, "callback_data": data.pack()}


def welcome_buttons(welcome: Welcome) -> list[list[dict[str, Any]]]:
    """Under a welcome: the shop's page, and following it (if not yet)."""
    row = [_button("care.welcome_shop_button", ShopPage(shop_id=welcome.shop_id))]
    if not welcome.following:
        row.append(_button("follow.follow_button", FollowShop(shop_id=welcome.shop_id)))
    return [row]


def survey_payload(due: SurveyDue) -> dict[str, Any]:
    """ "How was your visit to <shop>?" with one button per score."""
    when = local_time(due.visited_at, due.shop_timezone)
    text = {
        lang: t(lang, "care.survey_question", shop=h(due.shop_name), when=when)
        for lang in LANGUAGES
    }
    row = [
        {"text": f"{n} ⭐", "callback_data": SurveyStars(survey_id=due.survey_id, stars=n).pack()}
        for n in STARS
    ]
    return {"text": text, "buttons": [row]}


def first_name(complaint: Complaint) -> str:
    return shorten(complaint.user.first_name or "—", NAME_MAX)


def owner_alert(lang: str, shop: Shop, complaint: Complaint, tz_name: str) -> str:
    """The owner's alert about a low score (HTML), with what the customer wrote if anything."""
    lines = [
        t(
            lang,
            "care.alert",
            shop=h(shop.name),
            name=h(first_name(complaint)),
            stars=stars(complaint.stars),
            when=local_time(complaint.created_at, tz_name),
        )
    ]
    if complaint.text:
        lines += ["", f"<i>{h(complaint.text)}</i>"]
    else:
        lines += ["", t(lang, "care.alert_no_text")]
    lines += ["", t(lang, "care.alert_hint")]
    return "\n".join(lines)


def answer_button(lang: str, complaint: Complaint) -> tuple[str, CallbackData]:
    return (
        t(lang, "care.answer_button", name=first_name(complaint)),
        AnswerComplaint(complaint_id=complaint.id),
    )


def feedback_text(lang: str, shop: Shop, feedback: Feedback) -> str:
    """/feedback: open complaints oldest first, then this month's figures (HTML, fitted)."""
    parts = blocks([t(lang, "care.feedback_title", shop=h(shop.name))])
    if not feedback.open:
        parts += blocks(["", t(lang, "care.feedback_none_open")])
    else:
        parts += blocks(["", t(lang, "care.feedback_open", count=len(feedback.open))])
    for n, complaint in enumerate(feedback.open, 1):
        head = (
            f"{n}. {stars(complaint.stars)} · {h(first_name(complaint))} · "
            f"{local_time(complaint.created_at, shop.timezone)}"
        )
        body: list[Any] = ["", head]
        if complaint.text:
            body.append(cut(complaint.text, LIST_TEXT_MIN, markup="<i>", end="</i>"))
        else:
            body.append(t(lang, "care.feedback_no_text"))
        parts.append(block(*body, drop=1))
    scores = " · ".join(
        f"{n}⭐ {feedback.scores[n]}" for n in sorted(feedback.scores, reverse=True)
    )
    tail = ["", t(lang, "care.feedback_answered", count=feedback.answered_this_month)]
    if scores:
        tail.append(t(lang, "care.feedback_scores", scores=scores))
    parts += blocks(tail)
    return fit(parts, more=lambda count: t(lang, "limits.more_items", count=count)).html
