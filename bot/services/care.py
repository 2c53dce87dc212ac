"""Care after a visit: a shop's welcome after a person's first visit (redemption, purchase or
card join), the satisfaction question a little after each visit, and the complaints a low score
opens until the owner has answered them in the bot.

Both the welcome and the question are written in the visit's own transaction, so they exist
exactly when the visit does:
- the welcome is an outbox row (kind "welcome", campaign `care-welcome:<shop>:<user>`, unique
  per person) queued when a conditional UPDATE sets the customer record's `welcomed_at` — of
  two first visits committing at once only one wins;
- the question is a Survey row (unique per visit), due `survey_after_minutes` later. A job
  (scheduler/care.py) puts due questions into the outbox (kind "survey"), whose gate keeps the
  person's quiet hours; a question older than `survey_max_age_hours` or a second one from the
  same shop within a day is dropped instead.

Neither kind is a promotion (bot.services.outbox.PROMOTIONAL_KINDS): they do not use up the
person's daily allowance of promotions; quiet hours apply to them as to every outbox message.

Owner alerts and answers are transactional messages (sent at once by the bot layer); this
module only keeps the records. Telegram-free; callers pass `now`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from bot.config import CareSettings
from bot.formatting import h
from bot.i18n import LANGUAGES, t
from bot.models import (
    Complaint,
    ComplaintStatus,
    Customer,
    CustomerEvent,
    Follow,
    Shop,
    Survey,
    SurveySource,
    SurveyStatus,
)
from bot.services import fast_sql, outbox
from bot.services.staff import Permission, require
from bot.services.visible import is_blank

WELCOME_KIND = "welcome"
SURVEY_KIND = "survey"
#: Events after which a person is welcomed, the first time one of them happens at a shop.
WELCOME_EVENTS = frozenset({CustomerEvent.REDEEM, CustomerEvent.PURCHASE, CustomerEvent.JOIN})
#: How long a welcome held back by quiet hours may still go out.
WELCOME_VALID = timedelta(days=2)
STARS = range(1, 6)
DUE_BATCH = 500
COMPLAINT_TEXT_MAX = 1000


class CareError(Exception):
    """A care action refused: unknown (no such survey or complaint for this person),
    answered (the survey or complaint was answered already), too_long, empty."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Welcome:
    """What a welcome's buttons are about."""

    shop_id: int
    user_id: int
    event: CustomerEvent
    following: bool


#: Extra buttons under a welcome (outbox payload rows), given by the bot layer (`install`):
#: the services cannot build button data themselves.
WelcomeButtons = Callable[[Welcome], list[list[dict[str, Any]]]]


@dataclass
class _Installed:
    settings: CareSettings
    welcome_buttons: WelcomeButtons | None = None


_installed = _Installed(CareSettings())


def install(settings: CareSettings, welcome_buttons: WelcomeButtons | None = None) -> None:
    """Set by the composition root (bot/app.py) from the config; tests may install others."""
    _installed.settings = settings
    _installed.welcome_buttons = welcome_buttons


def settings() -> CareSettings:
    return _installed.settings


# ----------------------------------------------------------------------------- welcome


def welcome_campaign(shop_id: int, user_id: int) -> str:
    return f"care-welcome:{shop_id}:{user_id}"


async def welcome_if_first(
    shop_id: int, user_id: int, event: CustomerEvent, *, at: datetime
) -> bool:
    """Queue the shop's welcome if this is the person's first visit or join there (call it
    inside the event's transaction, after the customer record was written). True if queued."""
    if event not in WELCOME_EVENTS:
        return False
    at = at.astimezone(UTC)
    # Marked even with welcomes switched off: switching them on later welcomes newcomers only.
    claimed, _ = await fast_sql.execute(
        Customer,
        'UPDATE "customers" SET "welcomed_at"=? WHERE "shop_id"=? AND "user_id"=?'
        ' AND "welcomed_at" IS NULL',
        [at, shop_id, user_id],
    )
    if claimed != 1 or not _installed.settings.welcome:
        return False
    shop = await Shop.get(id=shop_id)
    following = await Follow.exists(shop_id=shop_id, user_id=user_id)  # muted: they chose
    facts = Welcome(shop_id=shop_id, user_id=user_id, event=event, following=following)
    payload: dict[str, Any] = {"text": welcome_text(shop.name, facts)}
    if _installed.welcome_buttons is not None:
        payload["buttons"] = _installed.welcome_buttons(facts)
    await outbox.enqueue(
        welcome_campaign(shop_id, user_id),
        WELCOME_KIND,
        [user_id],
        payload,
        not_before=at,
        expires_at=at + WELCOME_VALID,
    )
    return True


def welcome_text(shop_name: str, facts: Welcome) -> dict[str, str]:
    """The welcome in every language (HTML; the shop's name escaped)."""
    texts = {}
    for lang in LANGUAGES:
        lines = [t(lang, "care.welcome_title", shop=h(shop_name))]
        if facts.event == CustomerEvent.JOIN:
            lines.append(t(lang, "care.welcome_card"))
        lines.append(t(lang, "care.welcome_coupons"))
        if not facts.following:
            lines.append(t(lang, "care.welcome_follow"))
        texts[lang] = "\n\n".join(lines)
    return texts


# ----------------------------------------------------------------------------- surveys


async def survey_after_visit(
    shop_id: int, user_id: int, source: SurveySource, ref_id: int, *, at: datetime
) -> None:
    """The visit's satisfaction question, due later (call it inside the visit's transaction).
    Unique per visit: recording the same visit again adds nothing."""
    config = _installed.settings
    if not config.surveys:
        return
    at = at.astimezone(UTC)
    # Hand-written (bot.services.fast_sql): every purchase and redemption runs it.
    await fast_sql.execute(
        Survey,
        'INSERT INTO "surveys" ("shop_id","user_id","source","ref_id","visited_at","due_at",'
        '"status") VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING',
        [
            shop_id,
            user_id,
            source.value,
            ref_id,
            at,
            at + timedelta(minutes=config.survey_after_minutes),
            SurveyStatus.WAITING.value,
        ],
    )


@dataclass(frozen=True)
class SurveyDue:
    """A question going out: what its message says."""

    survey_id: int
    user_id: int
    shop_id: int
    shop_name: str
    shop_timezone: str
    visited_at: datetime


def survey_campaign(survey_id: int) -> str:
    return f"care-survey:{survey_id}"


SurveyPayload = Callable[[SurveyDue], Mapping[str, Any]]


async def queue_due_surveys(now: datetime, payload: SurveyPayload) -> int:
    """Put every due question into the outbox (its gate keeps quiet hours); drop those older
    than the configured age and any second one from the same shop to the same person within
    a day. Safe to run at any moment, any number of times (the outbox keeps one row per
    survey; a survey is marked once). Returns how many were queued."""
    queued = 0
    while True:
        batch = await _due_batch(now)
        if not batch:
            return queued
        queued += await _settle_batch(batch, now, payload)


async def _due_batch(now: datetime) -> list[Survey]:
    return (
        await Survey.filter(status=SurveyStatus.WAITING, due_at__lte=now)
        .select_related("shop")
        .order_by("due_at", "id")
        .limit(DUE_BATCH)
    )


async def _settle_batch(batch: list[Survey], now: datetime, payload: SurveyPayload) -> int:
    oldest = now - timedelta(hours=_installed.settings.survey_max_age_hours)
    asked = await _asked_within_a_day(batch, now)
    send: list[Survey] = []
    dropped: list[int] = []
    for survey in batch:
        pair = (survey.shop_id, survey.user_id)
        if survey.visited_at < oldest or pair in asked:
            dropped.append(survey.id)
            continue
        asked.add(pair)
        send.append(survey)
    async with in_transaction():
        for survey in send:
            due = SurveyDue(
                survey_id=survey.id,
                user_id=survey.user_id,
                shop_id=survey.shop_id,
                shop_name=survey.shop.name,
                shop_timezone=survey.shop.timezone,
                visited_at=survey.visited_at,
            )
            await outbox.enqueue(
                survey_campaign(survey.id),
                SURVEY_KIND,
                [survey.user_id],
                payload(due),
                not_before=now,
                expires_at=survey.visited_at
                + timedelta(hours=_installed.settings.survey_max_age_hours),
            )
        if send:
            await Survey.filter(id__in=[s.id for s in send]).update(
                status=SurveyStatus.SENT, sent_at=now
            )
        if dropped:
            await Survey.filter(id__in=dropped).update(status=SurveyStatus.DROPPED)
    return len(send)


async def _asked_within_a_day(batch: list[Survey], now: datetime) -> set[tuple[int, int]]:
    """(shop, user) pairs of the batch whose shop already asked them in the last 24 hours."""
    users = list({s.user_id for s in batch})
    shops = list({s.shop_id for s in batch})
    rows = await Survey.filter(
        status=SurveyStatus.SENT,
        sent_at__gt=now - timedelta(days=1),
        user_id__in=users,
        shop_id__in=shops,
    ).values_list("shop_id", "user_id")
    return {(shop_id, user_id) for shop_id, user_id in rows}


# ---------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class SurveyAnswer:
    """A score given: `complaint` is the one opened by a low score."""

    survey: Survey
    shop: Shop
    stars: int
    complaint: Complaint | None

    @property
    def low(self) -> bool:
        return self.stars <= _installed.settings.low_stars

    @property
    def high(self) -> bool:
        return self.stars >= _installed.settings.high_stars


async def answer_survey(survey_id: int, user_id: int, stars: int, *, now: datetime) -> SurveyAnswer:
    """Keep the person's score, once (CareError answered on a second press, with its
    `stars`; unknown for someone else's or a question never sent). A low score opens a
    complaint in the same transaction."""
    if stars not in STARS:
        raise CareError("unknown")
    async with in_transaction():
        changed = await Survey.filter(
            id=survey_id, user_id=user_id, status=SurveyStatus.SENT, stars__isnull=True
        ).update(stars=stars, answered_at=now)
        if changed != 1:
            found = await Survey.get_or_none(id=survey_id, user_id=user_id)
            if found is not None and found.stars is not None:
                raise CareError("answered", stars=found.stars)
            raise CareError("unknown")
        survey = await Survey.get(id=survey_id).select_related("shop")
        complaint = None
        if stars <= _installed.settings.low_stars:
            complaint = await Complaint.create(
                survey_id=survey.id,
                shop_id=survey.shop_id,
                user_id=user_id,
                stars=stars,
                created_at=now,
            )
    return SurveyAnswer(survey=survey, shop=survey.shop, stars=stars, complaint=complaint)


def clean_text(text: str, text_max: int = COMPLAINT_TEXT_MAX) -> str:
    """What someone typed, as kept: CareError empty (nothing visible) or too_long."""
    if is_blank(text):
        raise CareError("empty")
    text = text.strip()
    if len(text) > text_max:
        raise CareError("too_long", max=text_max, length=len(text))
    return text


async def add_complaint_text(complaint_id: int, user_id: int, text: str) -> Complaint:
    """What went wrong, in the customer's words: once, while the complaint is open and
    unanswered (CareError unknown or answered otherwise; empty, too_long)."""
    text = clean_text(text)
    changed = await Complaint.filter(
        id=complaint_id, user_id=user_id, status=ComplaintStatus.OPEN, text=""
    ).update(text=text)
    found = await Complaint.get_or_none(id=complaint_id, user_id=user_id)
    if found is None:
        raise CareError("unknown")
    if changed != 1:
        raise CareError("answered")
    await found.fetch_related("shop__owner", "user")
    return found


async def complaint_to_answer(complaint_id: int, owner_id: int) -> Complaint:
    """An open complaint the user may answer (Permission.VIEW_FEEDBACK at its shop), with its
    shop and customer; NotAllowed, or CareError unknown / answered."""
    found = await Complaint.get_or_none(id=complaint_id).select_related("shop", "user")
    if found is None:
        raise CareError("unknown")
    await require(owner_id, found.shop_id, Permission.VIEW_FEEDBACK)
    if found.status != ComplaintStatus.OPEN:
        raise CareError("answered")
    return found


async def answer_complaint(
    complaint_id: int, owner_id: int, text: str, *, now: datetime
) -> Complaint:
    """The shop's answer, once: the complaint is closed (the bot layer then delivers the
    answer to the customer). NotAllowed, CareError unknown / answered / empty / too_long."""
    await complaint_to_answer(complaint_id, owner_id)
    text = clean_text(text)
    changed = await Complaint.filter(id=complaint_id, status=ComplaintStatus.OPEN).update(
        status=ComplaintStatus.ANSWERED, answer=text, answered_at=now, answered_by_id=owner_id
    )
    if changed != 1:
        raise CareError("answered")
    return await Complaint.get(id=complaint_id).select_related("shop", "user")


# ------------------------------------------------------------------------------ /feedback


@dataclass(frozen=True)
class Feedback:
    """What /feedback shows: open complaints oldest first, and how many were answered this
    month (in the shop's time zone)."""

    open: list[Complaint]
    answered_this_month: int
    scores: dict[int, int]  # stars → answers this month


async def feedback(shop: Shop, now: datetime) -> Feedback:
    open_ = (
        await Complaint.filter(shop_id=shop.id, status=ComplaintStatus.OPEN)
        .select_related("user")
        .order_by("created_at", "id")
    )
    since = month_start(now, shop.timezone)
    answered = await Complaint.filter(
        shop_id=shop.id, status=ComplaintStatus.ANSWERED, answered_at__gte=since
    ).count()
    rows = (
        await Survey.filter(Q(answered_at__gte=since), shop_id=shop.id, stars__isnull=False)
        .annotate(n=Count("id"))
        .group_by("stars")
        .values_list("stars", "n")
    )
    return Feedback(open=open_, answered_this_month=answered, scores=dict(rows))


def month_start(now: datetime, tz_name: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz_name))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
