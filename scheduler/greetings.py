"""Birthday and holiday greetings: a sweep every `greetings.every_minutes` (default 15) and at
start (the catch-up), queueing whatever greeting is due by now in each person's time zone.

Everything it needs to know is in the database (bot.services.greetings): a greeting is due
from the configured local hour of its day, and done once its GreetingLog row exists — written
with the outbox row in one transaction. So a run after downtime catches up what is still due
today, a restart right after sending changes nothing, and two runs at once greet nobody twice
(the second collides on the log's unique key and rolls back).
"""

from __future__ import annotations

from datetime import datetime

from bot.services import greetings
from scheduler.views import Views


async def send_greetings(views: Views, now: datetime) -> int:
    """Queue the greetings due at `now`; returns how many messages."""
    queued = await greetings.queue_due(now, views.greeting_buttons)
    if queued:
        views.wake_sender()
    return queued
