"""Care after a visit, end to end with the bot's clock moved by the test: the shop's welcome
after a first redemption or purchase (never twice), "How was your visit?" 30 minutes after a
redemption (later if quiet hours hold it back, never twice, not after a restart), a low score
reaching the owner who answers through the bot, and a high score leading into a verified review.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot import clock
from bot.clock import FrozenClock
from bot.models import (
    Complaint,
    ComplaintStatus,
    CouponClaim,
    Outbox,
    OutboxStatus,
    Review,
    Shop,
    Survey,
    SurveyStatus,
    User,
)
from bot.sender import notify
from bot.services import coupons
from bot.services.care import SURVEY_KIND, WELCOME_KIND
from bot.services.purchases import record_purchase
from bot.ui.buttons.care import SurveyStars
from bot.ui.buttons.reviews import ReviewStars
from scheduler import views_of
from scheduler.care import ask_due_surveys
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_wallet import MORNING, add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

ANN = 61
WELCOME = "Welcome to Lao Wang Noodles!"
QUESTION = "How was your visit to Lao Wang Noodles"


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:  # 10:00 in Shanghai
        yield stopped


@pytest.fixture
def no_survey_rounds(bot) -> None:
    """The tests run the survey rounds themselves, at the times they choose."""
    [job] = bot.app.job_queue.get_jobs_by_name("care-surveys")
    job.enabled = False


async def hold(shop: Shop, user_id: int, title: str = "20% off noodles") -> CouponClaim:
    coupon = await add_coupon(shop, title=title)
    return await coupons.claim(coupon.id, user_id, now=clock.now())


async def redeem_at_counter(boss: FakeUser, claim: CouponClaim) -> None:
    """The owner types the customer's code and taps ✅ Redeem."""
    await boss.send(f"/redeem {claim.code}")
    confirm = await boss.reply()
    await boss.press(confirm, text="✅ Redeem")
    assert (await boss.callback_answer())["text"] == "✅ Redeemed"
    await boss.wait_for(lambda: confirm.edits)


def texts(person: FakeUser, part: str) -> list[BotMessage]:
    return [m for m in person.inbox if part in (m.text or "")]


async def ask(bot) -> int:
    """One round of the survey job, as the scheduler runs it, at the bot's time."""
    return await ask_due_surveys(views_of(bot.app), clock.now())


async def question_for(person: FakeUser) -> BotMessage:
    [question] = await person.wait_for(lambda: texts(person, QUESTION))
    return question


# ------------------------------------------------------------------------------- welcome


async def test_the_welcome_after_a_first_redemption_and_not_after_the_second(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, ANN)
    boss = await owner(tg)
    first, second = await hold(shop, ANN), await hold(shop, ANN, "Free tea")

    await redeem_at_counter(boss, first)
    [welcome] = await ann.wait_for(lambda: texts(ann, WELCOME))
    assert "🎟 My coupons" in welcome.text and "/wallet" in welcome.text
    assert "Follow the shop" in welcome.text
    assert welcome.button_texts == ["🏪 Shop page", "⭐ Follow"]
    await ann.press(welcome, text="🏪 Shop page")
    await ann.wait_for(lambda: texts(ann, "Lao Wang Noodles") and ann.last is not welcome)

    frozen.advance(hours=3)
    await redeem_at_counter(boss, second)
    await ann.wait_for(lambda: texts(ann, "Free tea"))  # the receipt of the second
    notify()
    assert len(texts(ann, WELCOME)) == 1
    assert await Outbox.filter(kind=WELCOME_KIND).count() == 1


async def test_the_welcome_after_a_first_purchase_is_not_a_promotion(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    """Someone who wants no promotions at all (daily cap 0) is still welcomed: a welcome is
    care, not a promotion. A follower is not asked to follow."""
    shop = await make_shop("Lao Wang Noodles")
    li = await customer(tg, 62, "李雷", "zh-hans")
    await User.filter(id=62).update(max_pushes_per_day=0)
    await li.send(f"/start shop_{shop.id}")
    _, page = await li.replies(2)
    await li.press(page, text="⭐ 关注本店")
    await li.callback_answer()

    await record_purchase(shop.id, 62, 2800, OWNER_ID, now=clock.now())
    notify()  # as the counter does after recording a purchase
    [welcome] = await li.wait_for(lambda: texts(li, "欢迎光临Lao Wang Noodles"))
    assert "我的优惠券" in welcome.text and "关注本店" not in welcome.text
    assert welcome.button_texts == ["🏪 店铺主页"]

    await record_purchase(shop.id, 62, 900, OWNER_ID, now=clock.now() + timedelta(hours=1))
    assert await Outbox.filter(kind=WELCOME_KIND).count() == 1


# ------------------------------------------------------------------------------- surveys


async def test_a_low_score_reaches_the_owner_who_answers_through_the_bot(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, ANN)
    boss = await owner(tg)
    await redeem_at_counter(boss, await hold(shop, ANN))
    await ann.wait_for(lambda: texts(ann, WELCOME))

    frozen.advance(minutes=29)
    assert await ask(bot) == 0  # not yet
    frozen.advance(minutes=1)
    assert await ask(bot) == 1
    question = await question_for(ann)
    assert "(2030-03-01 10:00)" in question.text
    assert question.button_texts == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    assert await ask(bot) == 0  # once

    await ann.press(question, text="2 ⭐")
    apology = await ann.wait_for(lambda: texts(ann, "We are sorry"))
    assert "When they answer, their reply will come to you here" in apology[0].text
    assert not question.buttons and "Your score: ★★☆☆☆" in question.text
    [alert] = await boss.wait_for(lambda: texts(boss, "Low score"))
    assert "Ann gave ★★☆☆☆" in alert.text and "not written anything" in alert.text
    assert alert.button_texts == ["💬 Answer Ann"]

    again = SurveyStars(survey_id=(await Survey.get()).id, stars=5).pack()
    await ann.press_data(question.message_id, again)
    assert "already scored this visit (★★☆☆☆)" in (await ann.callback_answer())["text"]

    await ann.send("The noodles were <cold> & late")
    await ann.wait_for(lambda: texts(ann, "has your message"))
    [added] = await boss.wait_for(lambda: texts(boss, "wrote what went wrong"))
    assert "The noodles were <cold> & late" in added.text

    await boss.send("/feedback")
    listing = await boss.reply()
    assert "Feedback — Lao Wang Noodles" in listing.text
    assert "1 open complaint" in listing.text and "The noodles were <cold> & late" in listing.text
    assert listing.button_texts == ["💬 Answer Ann"]

    await boss.press(listing, text="💬 Answer Ann")
    prompt = await boss.reply()
    assert "Your answer to Ann" in prompt.text
    await boss.send("So sorry! Your next bowl is on us.")
    done = await boss.reply()
    assert "delivered to Ann" in done.text and "closed" in done.text
    [answer] = await ann.wait_for(lambda: texts(ann, "has answered about your visit"))
    assert "So sorry! Your next bowl is on us." in answer.text
    complaint = await Complaint.get()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.answered_by_id == OWNER_ID

    await boss.send("/feedback")
    listing = await boss.reply()
    assert "No open complaints" in listing.text and "Answered this month: 1" in listing.text
    assert not listing.buttons
    await boss.press(alert, text="💬 Answer Ann")  # the alert's button, once answered
    assert "already been answered" in (await boss.callback_answer())["text"]


async def test_a_high_score_invites_a_verified_review(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, ANN)
    boss = await owner(tg)
    await redeem_at_counter(boss, await hold(shop, ANN))
    frozen.advance(minutes=30)
    await ask(bot)
    question = await question_for(ann)

    await ann.press(question, text="5 ⭐")
    [invite] = await ann.wait_for(lambda: texts(ann, "glad you liked"))
    assert invite.button_texts == ["✍️ Write a review"]
    assert not await Complaint.exists()
    await ann.press(invite, text="✍️ Write a review")
    stars = await ann.wait_for(lambda: texts(ann, "How was Lao Wang Noodles?"))
    await ann.press(stars[0], data=ReviewStars(stars=5).pack())
    await ann.wait_for(lambda: texts(ann, "up to 1000 characters"))
    await ann.send("Skip")
    await ann.wait_for(lambda: texts(ann, "Your review of Lao Wang Noodles is posted"))
    review = await Review.get(shop_id=shop.id, user_id=ANN)
    assert (review.stars, review.verified) == (5, True)


async def test_a_middling_score_is_thanked(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, ANN)
    await redeem_at_counter(await owner(tg), await hold(shop, ANN))
    frozen.advance(minutes=30)
    await ask(bot)
    await ann.press(await question_for(ann), text="3 ⭐")
    [thanks] = await ann.wait_for(lambda: texts(ann, "Thank you for scoring"))
    assert not thanks.buttons
    assert (await Survey.get()).stars == 3 and not await Complaint.exists()


async def test_quiet_hours_delay_a_survey_until_they_end(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    """Redeemed at 21:50 (quiet hours 22:00–08:00): the question is due at 22:20 and arrives
    at 08:00 the next morning."""
    evening = datetime(2030, 3, 1, 13, 50, tzinfo=UTC)  # 21:50 in Shanghai
    frozen.set(evening)
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, ANN)
    await redeem_at_counter(await owner(tg), await hold(shop, ANN))
    await ann.wait_for(lambda: texts(ann, WELCOME))  # 21:50: not quiet yet

    frozen.advance(minutes=30)  # 22:20
    assert await ask(bot) == 1
    morning = datetime(2030, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    row = await held_back(SURVEY_KIND)
    assert (row.status, row.error, row.not_before) == (OutboxStatus.PENDING, "quiet_hours", morning)
    assert not texts(ann, QUESTION)

    frozen.set(morning)
    notify()
    question = await question_for(ann)
    assert "(2030-03-01 21:50)" in question.text


async def held_back(kind: str, timeout: float = 5.0) -> Outbox:  # noqa: ASYNC109
    """The outbox row of this kind once the sender's gate has deferred it (checked every
    50 ms: the row is in the database, not in the fake)."""
    deadline = time.monotonic() + timeout
    while (row := await Outbox.get(kind=kind)).error is None:
        assert time.monotonic() < deadline, f"{kind} row never deferred: {row.status}"
        await asyncio.sleep(0.05)
    return row


async def test_a_restart_sends_nothing_again(
    bot, tg: FakeTelegram, frozen: FrozenClock, no_survey_rounds
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, ANN)
    await redeem_at_counter(await owner(tg), await hold(shop, ANN))
    frozen.advance(minutes=30)
    await ask(bot)
    await question_for(ann)
    await ann.wait_for(lambda: len(ann.inbox) == 3)  # the welcome, the receipt, the question
    seen = len(ann.inbox)

    await bot.restart()  # the catch-up runs the survey round again
    assert await ask(bot) == 0
    assert await Outbox.filter(kind=SURVEY_KIND).count() == 1
    assert await Outbox.filter(kind=WELCOME_KIND).count() == 1
    assert (await Survey.get()).status == SurveyStatus.SENT
    notify()
    assert len(ann.inbox) == seen
