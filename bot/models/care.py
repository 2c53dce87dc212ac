"""Care after a visit: the satisfaction question asked once per visit, and the complaints a low
score opens until the shop answers them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class SurveySource(StrEnum):
    """The visit a survey asks about: a redeemed coupon (claim id) or a purchase (its id)."""

    REDEEM = "redeem"
    PURCHASE = "purchase"


class SurveyStatus(StrEnum):
    WAITING = "waiting"  # not due yet (or the job has not run since)
    SENT = "sent"  # queued in the outbox (kind "survey"; its gate keeps quiet hours)
    DROPPED = "dropped"  # too old when the job saw it, or the shop already asked that day


class Survey(Model):
    """"How was your visit?" — one per visit: unique (source, ref_id), so a redemption or a
    purchase is asked about once, however often the job or the bot restarts."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="surveys", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="surveys", on_delete=fields.CASCADE)
    source = fields.CharEnumField(SurveySource, max_length=8)
    ref_id = fields.IntField()
    visited_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    status = fields.CharEnumField(SurveyStatus, max_length=8, default=SurveyStatus.WAITING)
    sent_at = fields.DatetimeField(null=True)  # when it went into the outbox
    stars = fields.SmallIntField(null=True)
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "surveys"
        unique_together = (("source", "ref_id"),)
        indexes = (("status", "due_at"), ("shop_id", "user_id", "sent_at"))


class ComplaintStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class Complaint(Model):
    """A low score (1–2 ⭐), with what the customer wrote (optional), open until the owner's
    answer has been delivered through the bot. One per survey."""

    id = fields.IntField(primary_key=True)
    survey = fields.OneToOneField(
        "models.Survey", related_name="complaint", on_delete=fields.CASCADE
    )
    shop = fields.ForeignKeyField(
        "models.Shop", related_name="complaints", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField(
        "models.User", related_name="complaints", on_delete=fields.CASCADE
    )
    stars = fields.SmallIntField()
    text = fields.TextField(default="")
    status = fields.CharEnumField(ComplaintStatus, max_length=8, default=ComplaintStatus.OPEN)
    answer = fields.TextField(null=True)
    answered_at = fields.DatetimeField(null=True)
    answered_by = fields.ForeignKeyField(
        "models.User", related_name="answered_complaints", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "complaints"
        indexes = (("shop_id", "status", "created_at"),)
