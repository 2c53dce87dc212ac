"""Satisfaction questions: a little after each visit (a redemption or a recorded purchase),
"How was your visit?" goes into the outbox, whose gate keeps the person's quiet hours (a
question due at 22:30 arrives when their quiet hours end).

A sweep, safe at any moment and any number of times: each visit has one Survey row (unique per
visit), marked when queued, and the outbox keeps one row per survey even if a crash struck
between the two. After downtime the first run catches up; questions older than the configured
age, and a second one from the same shop to the same person within a day, are dropped.
"""

from __future__ import annotations

from datetime import datetime

from bot.services import care
from scheduler.views import Views


async def ask_due_surveys(views: Views, now: datetime) -> int:
    """Queue every survey due by `now`; returns how many."""
    queued = await care.queue_due_surveys(now, views.survey_payload)
    if queued:
        views.wake_sender()
    return queued
