"""Timed work: every job the bot runs by the clock, in one table, registered on PTB's JobQueue
(APScheduler) by the composition root with `register(app.job_queue, views)`.

Jobs are plain async functions over the clock and the services (scheduler/reminders.py,
scheduler/flash_deals.py, scheduler/care.py): outbox rows and service calls out, no telegram
import. What needs Telegram comes in as `Views` (scheduler/views.py), implemented by the bot layer.

The database is the truth and the in-memory schedule is rebuilt at start, where a catch-up run
does what fell due while the bot was down (scheduler/runner.py). Adding a job is one entry in
JOBS (plus, if it needs Telegram, a field of Views filled in bot/app.py).
"""

from __future__ import annotations

from datetime import timedelta

from scheduler import cards, care, flash_deals, greetings, reminders, spend_requests
from scheduler.runner import (
    RUN_HOWEVER_LATE,
    AnyJobQueue,
    Every,
    TimedJob,
    Timers,
    caught_up,
    register_jobs,
    views_of,
)
from scheduler.views import Views

#: A running flash deal ends at its end (or now, if it sold out without being ended).
FLASH_DEAL_ENDS = Timers(
    "flash-end",
    flash_deals.end_if_due,
    flash_deals.due_moments,
    replan_every=timedelta(minutes=10),
)
#: The day before an unused coupon expires, its holder is reminded once.
COUPON_REMINDERS = Every("coupon-reminders", reminders.remind_expiring, every=timedelta(hours=1))

#: Card points past their expiry expire (oldest first); holders are reminded ahead of it.
CARD_POINTS_EXPIRY = Every("card-points-expiry", cards.expire_and_remind, every=timedelta(hours=1))
#: Cards of yearly programs start a new year (tier by the year's spend); a downgrade is
#: announced ahead of it.
CARD_REQUALIFY = Every("card-requalify", cards.requalify_and_notify, every=timedelta(hours=6))

#: A card spend request unanswered past its few minutes expires; both chats are told.
SPEND_REQUESTS = Every("spend-requests", spend_requests.close_lapsed, every=timedelta(minutes=1))

#: Birthday and holiday greetings due by now in each person's time zone (a day missed while
#: the bot was down is caught up at start while it lasts): at most 15 minutes after the hour.
GREETINGS = Every("greetings", greetings.send_greetings, every=timedelta(minutes=15))

#: A little after each visit, "How was your visit?" (quiet hours kept by the outbox).
CARE_SURVEYS = Every("care-surveys", care.ask_due_surveys, every=timedelta(minutes=2))

#: Every timed job, in the order the catch-up at start runs them: flash deals first, their
#: "all gone" edits are late already.
JOBS: tuple[TimedJob, ...] = (
    FLASH_DEAL_ENDS,
    COUPON_REMINDERS,
    CARD_POINTS_EXPIRY,
    CARD_REQUALIFY,
    SPEND_REQUESTS,
    GREETINGS,
    CARE_SURVEYS,
)


def register(job_queue: AnyJobQueue, views: Views) -> None:
    """Put every job of JOBS on the queue, and the catch-up at start."""
    register_jobs(job_queue, views, JOBS)


__all__ = [
    "CARD_POINTS_EXPIRY",
    "CARD_REQUALIFY",
    "CARE_SURVEYS",
    "COUPON_REMINDERS",
    "FLASH_DEAL_ENDS",
    "GREETINGS",
    "JOBS",
    "RUN_HOWEVER_LATE",
    "SPEND_REQUESTS",
    "Views",
    "caught_up",
    "register",
    "views_of",
]
