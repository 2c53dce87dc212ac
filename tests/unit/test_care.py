"""Care after a visit without Telegram, on SQLite and PostgreSQL: the welcome queued once per
person and shop in the visit's transaction, one survey per visit and its rounds (due, too old,
one per shop and day), scores, complaints and the owner's answer, and /feedback's figures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from bot.config import CareSettings
from bot.models import (
    Complaint,
    ComplaintStatus,
    CustomerEvent,
    Outbox,
    Shop,
    Survey,
    SurveySource,
    SurveyStatus,
)
from bot.services import care, coupons, customers, follows, outbox
from bot.services.care import SURVEY_KIND, WELCOME_KIND, CareError, SurveyDue, Welcome
from bot.services.customers import record_of
from bot.services.purchases import record_purchase
from bot.services.staff import NotAllowed
from tests.unit import test_customers as base
from tests.unit.test_customers import ANN, BOB, CLERK, OWNER, T0, a_coupon, record, rival_shop

clock, shop = base.clock, base.shop  # the fixtures: an approved shop, its owner and clerk


@pytest.fixture(autouse=True)
def settings() -> Iterator[None]:
    """The defaults, with buttons under the welcome written down as the bot layer would."""
    care.install(CareSettings(), lambda w: [[{"text": "page", "callback_data": f"p:{w.shop_id}"}]])
    yield
    care.install(CareSettings())


class Payloads:
    """The survey payloads a round asked for."""

    def __init__(self) -> None:
        self.asked: list[SurveyDue] = []

    def __call__(self, due: SurveyDue) -> Mapping[str, Any]:
        self.asked.append(due)
        return {"text": f"How was {due.shop_name}?"}


async def welcomes() -> list[Outbox]:
    return await Outbox.filter(kind=WELCOME_KIND).order_by("id")


async def redeem_one(shop: Shop, user_id: int, at: Any = T0) -> int:
    claim = await coupons.claim((await a_coupon(shop)).id, user_id, now=at)
    await coupons.redeem(claim.id, OWNER, now=at)
    return claim.id


# ------------------------------------------------------------------------------- welcome


async def test_a_welcome_after_the_first_visit_only(shop: Shop) -> None:
    coupon = await a_coupon(shop, per_user_limit=2)
    await follows.follow_shop(ANN, shop.id)
    first = await coupons.claim(coupon.id, ANN, now=T0)
    assert await welcomes() == []  # following and claiming are not visits
    await coupons.redeem(first.id, OWNER, now=T0)
    second = await coupons.claim(coupon.id, ANN, now=T0)
    await coupons.redeem(second.id, OWNER, now=T0 + timedelta(hours=1))
    await record_purchase(shop.id, ANN, 2800, CLERK, now=T0 + timedelta(hours=2))
    [row] = await welcomes()
    assert (row.user_id, row.campaign) == (ANN, care.welcome_campaign(shop.id, ANN))
    assert row.not_before == T0 and row.expires_at == T0 + care.WELCOME_VALID
    assert "Lao Wang Noodles" in row.payload["text"]["en"]
    assert "Follow the shop" not in row.payload["text"]["en"]  # she follows already
    assert row.payload["buttons"] == [[{"text": "page", "callback_data": f"p:{shop.id}"}]]
    assert (await record(shop, ANN)).welcomed_at == T0


async def test_each_shop_welcomes_once_and_a_card_join_counts(shop: Shop) -> None:
    other = await rival_shop()
    await record_purchase(shop.id, ANN, 2800, CLERK, now=T0)
    await record_purchase(other.id, ANN, 900, 3, now=T0)
    await follows.follow_shop(BOB, shop.id)
    async with in_transaction():  # joining a card (recorded as JOIN by the cards branch)
        assert await care.welcome_if_first(shop.id, BOB, CustomerEvent.JOIN, at=T0)
    rows = await welcomes()
    assert sorted((r.user_id, r.campaign) for r in rows) == sorted(
        [
            (ANN, care.welcome_campaign(shop.id, ANN)),
            (ANN, care.welcome_campaign(other.id, ANN)),
            (BOB, care.welcome_campaign(shop.id, BOB)),
        ]
    )
    joined = next(r for r in rows if r.user_id == BOB)
    assert "/cards" in joined.payload["text"]["en"]
    assert "Follow the shop" not in joined.payload["text"]["en"]  # Bob follows
    assert "欢迎光临" in joined.payload["text"]["zh_Hans"]


async def test_two_first_visits_at_once_welcome_once(shop: Shop) -> None:
    await asyncio.gather(
        record_purchase(shop.id, ANN, 100, CLERK, now=T0),
        record_purchase(shop.id, ANN, 200, OWNER, now=T0 + timedelta(seconds=1)),
    )
    assert len(await welcomes()) == 1


async def test_a_rolled_back_visit_leaves_no_welcome(shop: Shop) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await customers.record_event(shop.id, ANN, CustomerEvent.PURCHASE, at=T0)
            raise RuntimeError("the purchase failed after the record")
    assert await welcomes() == [] and await record_of(shop.id, ANN) is None
    await record_purchase(shop.id, ANN, 100, CLERK, now=T0)
    assert len(await welcomes()) == 1


async def test_welcomes_and_surveys_can_be_switched_off(shop: Shop) -> None:
    care.install(CareSettings(welcome=False, surveys=False))
    await record_purchase(shop.id, ANN, 100, CLERK, now=T0)
    assert await welcomes() == [] and not await Survey.exists()
    care.install(CareSettings())  # switched on again: Ann's first visit is behind her
    await record_purchase(shop.id, ANN, 100, CLERK, now=T0 + timedelta(hours=1))
    await record_purchase(shop.id, BOB, 100, CLERK, now=T0 + timedelta(hours=1))
    assert [row.user_id for row in await welcomes()] == [BOB]


def test_neither_is_a_promotion() -> None:
    assert not {WELCOME_KIND, SURVEY_KIND} & outbox.PROMOTIONAL_KINDS
    assert Welcome(1, 2, CustomerEvent.REDEEM, False).event in care.WELCOME_EVENTS


# ------------------------------------------------------------------------------- surveys


async def test_one_survey_per_visit_due_half_an_hour_later(shop: Shop) -> None:
    claim_id = await redeem_one(shop, ANN)
    purchase = await record_purchase(shop.id, BOB, 100, CLERK, now=T0)
    await care.survey_after_visit(shop.id, ANN, SurveySource.REDEEM, claim_id, at=T0)  # again
    rows = await Survey.all().order_by("id").values_list("source", "ref_id", "user_id", "due_at")
    due = T0 + timedelta(minutes=30)
    assert rows == [
        (SurveySource.REDEEM, claim_id, ANN, due),
        (SurveySource.PURCHASE, purchase.id, BOB, due),
    ]


async def test_a_round_asks_what_is_due_once(shop: Shop) -> None:
    await redeem_one(shop, ANN)
    payloads = Payloads()
    assert await care.queue_due_surveys(T0 + timedelta(minutes=29), payloads) == 0
    now = T0 + timedelta(minutes=30)
    assert await care.queue_due_surveys(now, payloads) == 1
    assert await care.queue_due_surveys(now, payloads) == 0
    [due] = payloads.asked
    assert (due.user_id, due.shop_name, due.visited_at) == (ANN, "Lao Wang Noodles", T0)
    [row] = await Outbox.filter(kind=SURVEY_KIND)
    assert row.campaign == care.survey_campaign(due.survey_id)
    assert row.not_before == now and row.expires_at == T0 + timedelta(hours=24)
    survey = await Survey.get()
    assert (survey.status, survey.sent_at) == (SurveyStatus.SENT, now)


async def test_a_crash_between_queueing_and_marking_sends_nothing_twice(shop: Shop) -> None:
    await redeem_one(shop, ANN)
    now = T0 + timedelta(minutes=30)
    await care.queue_due_surveys(now, Payloads())
    await Survey.all().update(status=SurveyStatus.WAITING, sent_at=None)  # the mark was lost
    await care.queue_due_surveys(now, Payloads())
    assert await Outbox.filter(kind=SURVEY_KIND).count() == 1


async def test_too_old_questions_are_dropped(shop: Shop) -> None:
    await redeem_one(shop, ANN)
    payloads = Payloads()
    assert await care.queue_due_surveys(T0 + timedelta(hours=25), payloads) == 0
    assert (await Survey.get()).status == SurveyStatus.DROPPED and not payloads.asked


async def test_one_question_per_shop_and_person_a_day(shop: Shop) -> None:
    other = await rival_shop()
    await redeem_one(shop, ANN, T0)
    await record_purchase(shop.id, ANN, 100, CLERK, now=T0 + timedelta(minutes=5))
    await record_purchase(other.id, ANN, 100, 3, now=T0 + timedelta(minutes=5))
    await record_purchase(shop.id, BOB, 100, CLERK, now=T0 + timedelta(minutes=5))
    payloads = Payloads()
    assert await care.queue_due_surveys(T0 + timedelta(hours=1), payloads) == 3
    assert sorted((d.shop_id, d.user_id) for d in payloads.asked) == sorted(
        [(shop.id, ANN), (other.id, ANN), (shop.id, BOB)]
    )
    later = T0 + timedelta(hours=3)
    await record_purchase(shop.id, ANN, 100, CLERK, now=later)  # same shop, same day
    assert await care.queue_due_surveys(later + timedelta(minutes=30), payloads) == 0
    nextday = T0 + timedelta(days=1, hours=1)
    await record_purchase(shop.id, ANN, 100, CLERK, now=nextday)
    assert await care.queue_due_surveys(nextday + timedelta(minutes=30), payloads) == 1
    statuses = await Survey.filter(shop_id=shop.id, user_id=ANN).order_by("id")
    assert [s.status for s in statuses] == [
        SurveyStatus.SENT,
        SurveyStatus.DROPPED,
        SurveyStatus.DROPPED,
        SurveyStatus.SENT,
    ]


# ----------------------------------------------------------------------------- answering


async def sent_survey(shop: Shop, user_id: int = ANN) -> Survey:
    await redeem_one(shop, user_id)
    await care.queue_due_surveys(T0 + timedelta(minutes=30), Payloads())
    return await Survey.get(user_id=user_id)


async def test_a_score_is_kept_once(shop: Shop) -> None:
    survey = await sent_survey(shop)
    now = T0 + timedelta(hours=1)
    with pytest.raises(CareError) as forged:
        await care.answer_survey(survey.id, BOB, 5, now=now)
    assert forged.value.reason == "unknown"
    with pytest.raises(CareError):
        await care.answer_survey(survey.id, ANN, 6, now=now)
    result = await care.answer_survey(survey.id, ANN, 4, now=now)
    assert (result.stars, result.high, result.low, result.complaint) == (4, True, False, None)
    with pytest.raises(CareError) as again:
        await care.answer_survey(survey.id, ANN, 1, now=now)
    assert (again.value.reason, again.value.details) == ("answered", {"stars": 4})
    assert not await Complaint.exists()


async def test_an_unsent_survey_cannot_be_answered(shop: Shop) -> None:
    await redeem_one(shop, ANN)
    survey = await Survey.get()
    with pytest.raises(CareError) as refused:
        await care.answer_survey(survey.id, ANN, 5, now=T0)
    assert refused.value.reason == "unknown"


async def test_a_low_score_opens_a_complaint_the_owner_answers_once(shop: Shop) -> None:
    survey = await sent_survey(shop)
    now = T0 + timedelta(hours=1)
    result = await care.answer_survey(survey.id, ANN, 2, now=now)
    complaint = result.complaint
    assert complaint is not None and result.low
    assert (complaint.stars, complaint.status, complaint.text) == (2, ComplaintStatus.OPEN, "")

    for typed, reason in (("   ", "empty"), ("x" * 1001, "too_long")):
        with pytest.raises(CareError) as refused:
            await care.add_complaint_text(complaint.id, ANN, typed)
        assert refused.value.reason == reason
    with pytest.raises(CareError):
        await care.add_complaint_text(complaint.id, BOB, "not mine")
    added = await care.add_complaint_text(complaint.id, ANN, " Cold noodles ")
    assert added.text == "Cold noodles"
    with pytest.raises(CareError) as twice:
        await care.add_complaint_text(complaint.id, ANN, "and more")
    assert twice.value.reason == "answered"

    for stranger in (CLERK, BOB):
        with pytest.raises(NotAllowed):
            await care.answer_complaint(complaint.id, stranger, "Sorry", now=now)
    text = "Sorry! Next one is on us."
    answered = await care.answer_complaint(complaint.id, OWNER, text, now=now)
    assert (answered.status, answered.answer, answered.answered_by_id) == (
        ComplaintStatus.ANSWERED,
        text,
        OWNER,
    )
    with pytest.raises(CareError) as closed:
        await care.answer_complaint(complaint.id, OWNER, "Again", now=now)
    assert closed.value.reason == "answered"


async def test_feedback_lists_open_complaints_oldest_first(shop: Shop) -> None:
    ann_survey = await sent_survey(shop, ANN)
    bob_survey = await sent_survey(shop, BOB)
    bob = await care.answer_survey(bob_survey.id, BOB, 1, now=T0 + timedelta(hours=1))
    ann = await care.answer_survey(ann_survey.id, ANN, 2, now=T0 + timedelta(hours=2))
    assert ann.complaint and bob.complaint
    now = T0 + timedelta(hours=3)
    found = await care.feedback(shop, now)
    assert [c.user_id for c in found.open] == [BOB, ANN]
    assert (found.answered_this_month, found.scores) == (0, {1: 1, 2: 1})

    await care.answer_complaint(bob.complaint.id, OWNER, "Sorry", now=now)
    found = await care.feedback(shop, now)
    assert [c.user_id for c in found.open] == [ANN] and found.answered_this_month == 1
    next_month = await care.feedback(shop, T0 + timedelta(days=31))
    assert next_month.answered_this_month == 0 and next_month.scores == {}


def test_the_month_starts_in_the_shops_time_zone() -> None:
    # 2025-03-01 10:00 UTC is 18:00 in Shanghai: its month began 2025-02-28 16:00 UTC.
    start = care.month_start(T0, "Asia/Shanghai")
    assert start.isoformat() == "2025-02-28T16:00:00+00:00"
