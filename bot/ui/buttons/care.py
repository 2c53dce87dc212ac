"""Care after a visit: the stars under "How was your visit?", the owner's answer to a
complaint, and /feedback's choice of shop."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class CareButton(CallbackData, prefix="care"):
    pass


class SurveyStars(CareButton, action="s"):
    """A score (1–5) for one visit's survey."""

    survey_id: Id
    stars: int


class AnswerComplaint(CareButton, action="a"):
    """The owner's "💬 Answer" under a complaint (alert or /feedback)."""

    complaint_id: Id


class FeedbackShop(CareButton, action="f"):
    """/feedback for one of several shops."""

    shop_id: Id
