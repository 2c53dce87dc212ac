"""The job table on PTB's JobQueue (which is APScheduler): the one module of the package that
imports telegram. Jobs read the time from the bot's clock (bot.clock, so tests move it) and reach
Telegram only through the Views the composition root passed to `register`.

The schedule lives in memory and is rebuilt at every start; the database is the truth. At start
one catch-up job runs every entry's catch-up in table order (sweeps run once, timers are set
again and those whose moment passed while the bot was down run at once); `caught_up(app)` waits
for it. Every job is idempotent against the database, so a second restart changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from telegram.ext import Application, CallbackContext, JobQueue

from bot import clock
from scheduler.views import Views

log = logging.getLogger(__name__)

#: APScheduler drops a run more than a second late by default; start-up (migrations) or a busy
#: event loop can take longer, and a deal's end must never be skipped.
RUN_HOWEVER_LATE: dict[str, Any] = {"misfire_grace_time": None}
#: A record's timer replaces any earlier one; one set again by its own run (it fired early) must
#: not be skipped as a second instance of itself.
TIMER_OPTIONS: dict[str, Any] = {**RUN_HOWEVER_LATE, "replace_existing": True, "max_instances": 2}
CATCH_UP = "catch-up"
_STATE_KEY = "scheduler"

AnyJobQueue = JobQueue[Any]
AnyApp = Application[Any, Any, Any, Any, Any, Any]
Context = CallbackContext[Any, Any, Any, Any]


class TimedJob(Protocol):
    """An entry of the job table."""

    name: str

    def schedule(self, job_queue: AnyJobQueue) -> None:
        """Put its recurring runs on the queue (at registration, before the bot starts)."""

    async def catch_up(self, job_queue: AnyJobQueue, views: Views, now: datetime) -> object:
        """At start: do what fell due while the bot was down (returns what it did, for the
        log)."""


@dataclass(frozen=True)
class Every:
    """A sweep: `job(views, now)` runs at start and then every `every`. It must be safe to run
    at any moment and any number of times: the database says what is due and what was done."""

    name: str
    job: Callable[[Views, datetime], Awaitable[object]]
    every: timedelta

    def schedule(self, job_queue: AnyJobQueue) -> None:
        job_queue.run_repeating(
            _sweep,
            interval=self.every,
            first=self.every,  # the first run is the catch-up at start
            name=self.name,
            data=self,
            job_kwargs=RUN_HOWEVER_LATE,
        )

    async def catch_up(self, job_queue: AnyJobQueue, views: Views, now: datetime) -> object:
        return await self.job(views, now)


@dataclass(frozen=True)
class Timers:
    """One timer per record at the moment it falls due (a flash deal ending at 12:30), named
    `<name>:<key>`. `due(now)` lists the records waiting and their moments from the database:
    at start and every `replan_every` the timers are set again from it (a lost or failed timer
    comes back), and records already due run at once. `job(views, key, now)` says whether it
    did the work; a timer that fired before the bot's clock reached its moment is set again."""

    name: str
    job: Callable[[Views, int, datetime], Awaitable[bool]]
    due: Callable[[datetime], Awaitable[Mapping[int, datetime]]]
    replan_every: timedelta

    def timer_name(self, key: int) -> str:
        return f"{self.name}:{key}"

    def at(self, job_queue: AnyJobQueue, key: int, moment: datetime) -> None:
        """Set the record's timer (replacing one set before); the delay is measured on the
        bot's clock."""
        name = self.timer_name(key)
        job_queue.run_once(
            _timer,
            when=max((moment - clock.now()).total_seconds(), 0.0),
            data=(self, key),
            name=name,
            job_kwargs={**TIMER_OPTIONS, "id": name},
        )

    def schedule(self, job_queue: AnyJobQueue) -> None:
        job_queue.run_repeating(
            _replan,
            interval=self.replan_every,
            first=self.replan_every,
            name=f"{self.name}:plan",
            data=self,
            job_kwargs=RUN_HOWEVER_LATE,
        )

    async def catch_up(self, job_queue: AnyJobQueue, views: Views, now: datetime) -> object:
        return await self.plan(job_queue, views, now)

    async def plan(self, job_queue: AnyJobQueue, views: Views, now: datetime) -> int:
        """Timers for records due later that have none, first (a long catch-up delays none
        of them); then the records already due, one by one, one failure stopping none of the
        others. Returns how many did their work."""
        moments = await self.due(now)
        for key, moment in moments.items():
            if moment > now and job_queue.scheduler.get_job(self.timer_name(key)) is None:
                self.at(job_queue, key, moment)
        done, errors = 0, []
        for key, moment in moments.items():
            if moment <= now:
                try:
                    done += await self.job(views, key, now)
                except Exception as exc:
                    errors.append(exc)
        if errors:
            raise ExceptionGroup(f"{self.name}: {len(errors)} of {len(moments)} failed", errors)
        return done

    async def fire(self, job_queue: AnyJobQueue, views: Views, key: int, now: datetime) -> None:
        if await self.job(views, key, now):
            return
        moment = (await self.due(now)).get(key)
        if moment is not None and moment > now:  # early by the bot's clock: look again then
            self.at(job_queue, key, moment)


# ------------------------------------------------------------------------- registration


@dataclass
class _Registered:
    views: Views
    jobs: Sequence[TimedJob]
    caught_up: asyncio.Event = field(default_factory=asyncio.Event)


def register_jobs(job_queue: AnyJobQueue, views: Views, jobs: Sequence[TimedJob]) -> None:
    """Put the table on the queue: each entry's recurring runs, and the catch-up at start."""
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"job names must be unique: {names}")
    job_queue.application.bot_data[_STATE_KEY] = _Registered(views, tuple(jobs))
    for job in jobs:
        job.schedule(job_queue)
    job_queue.run_once(_catch_up, when=0, name=CATCH_UP, job_kwargs=RUN_HOWEVER_LATE)


async def caught_up(app: AnyApp) -> None:
    """Wait until the catch-up at start has run (at once if nothing was registered)."""
    state: _Registered | None = app.bot_data.get(_STATE_KEY)
    if state is not None:
        await state.caught_up.wait()


def views_of(app: AnyApp) -> Views:
    """The views the jobs of `app` use (tests run a job by hand with them)."""
    state: _Registered = app.bot_data[_STATE_KEY]
    return state.views


# ---------------------------------------------------------------------------- callbacks


def _state(context: Context) -> _Registered:
    return context.application.bot_data[_STATE_KEY]


def _queue(context: Context) -> AnyJobQueue:
    assert context.job_queue is not None
    return context.job_queue


async def _catch_up(context: Context) -> None:
    """Every entry in table order; one failing stops none of the others (its error goes to the
    application's error handlers)."""
    state = _state(context)
    try:
        for job in state.jobs:
            try:
                did = await job.catch_up(_queue(context), state.views, clock.now())
            except Exception as exc:
                await context.application.process_error(None, exc, job=context.job)
            else:
                log.info("catch-up %s: %s", job.name, did)
    finally:
        state.caught_up.set()


async def _sweep(context: Context) -> None:
    assert context.job is not None
    entry: Every = context.job.data
    did = await entry.job(_state(context).views, clock.now())
    log.info("%s: %s", entry.name, did)


async def _replan(context: Context) -> None:
    assert context.job is not None
    entry: Timers = context.job.data
    await entry.plan(_queue(context), _state(context).views, clock.now())


async def _timer(context: Context) -> None:
    assert context.job is not None
    entry, key = context.job.data
    await entry.fire(_queue(context), _state(context).views, key, clock.now())
