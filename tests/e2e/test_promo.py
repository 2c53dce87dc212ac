"""Merchants' /promo, end to end: following a shop from its page, a promotion with a photo and
a coupon to followers (claimed and unfollowed from the pushed message), people nearby who
follow the category within their radius, customers, the reach shown before sending, muted and
unreachable people, the daily limit, and refusals. Also the steps other promotion tests share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import sender
from bot.clock import FrozenClock
from bot.config import Config
from bot.flows.promo import payload_of, push_of
from bot.models import (
    Coupon,
    CouponClaim,
    Follow,
    Outbox,
    Promotion,
    PromotionAudience,
    Shop,
    User,
)
from bot.services import coupons, follows, promotions
from bot.services.purchases import record_purchase
from bot.ui.buttons.wallet import ClaimCoupon
from tests.e2e.helpers import LAT, LNG, OWNER_ID, make_shop
from tests.e2e.test_wallet import add_coupon, customer, frozen_at, open_page, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

PHOTO = b"\x89PNG noodles steaming"
CATEGORIES = ("dining", "laundry", "hairdressing")


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A May 2024 wall-clock time in Shanghai (where users live by default), as UTC."""
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOON = shanghai(1, 12)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(NOON) as stopped:
        yield stopped


# ------------------------------------------------------------------- steps others share


def north(metres: float) -> float:
    return LAT + metres / 111_195


async def follower(tg: FakeTelegram, user_id: int, shop: Shop, lang: str = "en") -> FakeUser:
    """A consumer who follows the shop (set up directly: the UI is tested on its own)."""
    person = await customer(tg, user_id, f"P{user_id}", lang)
    await follows.follow_shop(user_id, shop.id)
    return person


async def press_starting(user: FakeUser, message: BotMessage, prefix: str) -> str:
    """Press the button whose label starts with `prefix` (labels carry live counts)."""
    label = next((b for b in message.button_texts if b.startswith(prefix)), None)
    assert label is not None, (prefix, message.button_texts)
    await user.press(message, text=label)
    return label


async def compose(
    boss: FakeUser,
    text: str,
    audience: str,
    *,
    photo: bytes | None = None,
    coupon: str | None = None,
) -> tuple[BotMessage, BotMessage]:
    """/promo up to the preview; returns (preview, confirmation with the reach)."""
    await boss.send("/promo")
    assert "What would you like to tell people" in (await boss.reply()).text
    await boss.send(text)
    assert "Add a photo" in (await boss.reply()).text
    if photo is not None:
        await boss.send_photo(photo)
    else:
        await boss.send("Skip")
    question = await boss.reply()
    if "No coupon" in question.button_texts:
        await boss.press(question, text=f"🎟 {coupon}" if coupon else "No coupon")
        question = await boss.reply()
    assert "Who should get it?" in question.text
    await press_starting(boss, question, audience)
    preview, confirm = await boss.replies(2)
    return preview, confirm


async def send_now(boss: FakeUser, confirm: BotMessage) -> BotMessage:
    """Confirm; returns the final delivery report (after the progress message)."""
    await boss.press(confirm, text="✅ Send now")
    launched, _progress, report = await boss.replies(3, timeout=15)
    assert "On its way" in launched.text
    return report


async def launch(
    config: Config,
    shop: Shop,
    text: str,
    audience: PromotionAudience = PromotionAudience.FOLLOWERS,
    **fields: Any,
) -> Promotion:
    """A promotion sent as /promo sends it, without the conversation (for tests about what
    happens after)."""
    now = fields.pop("now", None) or NOON
    promotion = await promotions.create_promotion(
        shop, OWNER_ID, text=text, photo_file_id=None, coupon_id=fields.pop("coupon_id", None),
        audience=audience, chat_id=None, now=now,
    )  # fmt: skip
    await promotion.fetch_related("coupon")
    push = push_of(promotion, shop, promotion.coupon)
    await promotions.launch(promotion, payload_of(push, config), now=now)
    sender.notify()
    return promotion


async def final_report(boss: FakeUser, bot: Any, promotion: Promotion) -> BotMessage:
    """Have the owner follow a promotion sent by `launch`; the final report once it is done."""
    worker = sender.sender_of(bot.app)
    assert worker is not None
    worker.track(promotions.campaign_of(promotion.id), boss.id, "en")
    _progress, report = await boss.replies(2, timeout=15)
    return report


async def delivered(tg: FakeTelegram, ids: list[int], each: int = 1) -> None:
    await tg.wait_for(lambda: all(len(tg.chat_messages(i)) >= each for i in ids), 15)


# ------------------------------------------------------------------------------ stories


async def test_follow_promote_claim_and_unfollow_from_the_message(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await add_coupon(shop, title="20% off noodles", min_spend_cents=5000)
    boss = await owner(tg)
    ann = await customer(tg, 30, "Ann")
    li = await customer(tg, 31, "李雷", "zh-hans")
    await follows.follow_shop(31, shop.id)
    tg.user(32, first_name="Stranger")

    page = await open_page(ann, shop)
    await ann.press(page, text="⭐ Follow")
    assert "You now follow Lao Wang Noodles" in (await ann.callback_answer())["text"]
    await ann.wait_for(lambda: "✅ Following · tap to unfollow" in page.button_texts)
    assert "🎟 20% off noodles" in page.button_texts  # the coupon feature's button is kept

    preview, confirm = await compose(
        boss, "Beef noodles <b>half price</b> today!", "⭐ Your followers · 2",
        photo=PHOTO, coupon="20% off noodles",
    )  # fmt: skip
    assert preview.photo == PHOTO
    assert "Beef noodles <b>half price</b> today!" in preview.caption  # as typed, not HTML
    assert "It will reach 2 people" in confirm.text
    report = await send_now(boss, confirm)
    assert "Delivered to 2 of 2 people" in report.text

    promotion = await Promotion.get(shop_id=shop.id)
    push = ann.inbox[-1]
    assert push.photo == PHOTO and push.method == "sendPhoto"
    caption = push.caption or ""
    assert caption.startswith("📣 Lao Wang Noodles")
    assert "20% off noodles · 20% off" in caption and "spend of ¥50.00" in caption
    assert "because you follow Lao Wang Noodles" in caption
    assert push.button_texts == ["🎟 Claim the coupon", "🔕 Mute", "✖️ Unfollow"]
    coupon = await Coupon.get(shop_id=shop.id)
    claim = ClaimCoupon(coupon_id=coupon.id, promotion_id=promotion.id)
    assert push.callback_data[0] == claim.pack()
    chinese = li.inbox[-1]
    assert "您关注了「Lao Wang Noodles」，所以收到这条消息。" in (chinese.caption or "")
    assert chinese.button_texts == ["🎟 领取优惠券", "🔕 屏蔽", "✖️ 取消关注"]
    assert tg.chat_messages(32) == []  # not a follower

    await ann.press(push, text="🎟 Claim the coupon")
    assert "Added to My coupons" in (await ann.callback_answer())["text"]
    card = await ann.reply()
    assert card.method == "sendPhoto" and "20% off noodles" in card.caption
    assert (await CouponClaim.get(user_id=30)).promotion_id == promotion.id

    await ann.press(push, text="✖️ Unfollow")
    assert "no longer follow Lao Wang Noodles" in (await ann.callback_answer())["text"]
    await ann.wait_for(lambda: push.button_texts == ["🎟 Claim the coupon"])
    assert not await Follow.exists(user_id=30)
    assert await promotions.audience_ids(shop, PromotionAudience.FOLLOWERS) == [31]
    tg.assert_no_errors()


async def test_nearby_category_followers_within_their_radius_and_reach_matches(
    bot, tg: FakeTelegram
) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    near = await customer(tg, 40, "Near")
    await follows.follow_category(40, "dining", north(1500), LNG, 2000, categories=CATEGORIES)
    far = await customer(tg, 41, "Far")
    await follows.follow_category(41, "dining", north(2500), LNG, 2000, categories=CATEGORIES)
    wide = await customer(tg, 42, "Wide")
    await follows.follow_category(42, "dining", north(4000), LNG, 5000, categories=CATEGORIES)
    hushed = await customer(tg, 43, "Hushed")
    await follows.follow_category(43, "dining", LAT, LNG, 1000, categories=CATEGORIES)
    await follows.mute_category(43, "dining")
    gone = await customer(tg, 44, "Gone")
    await follows.follow_category(44, "dining", LAT, LNG, 1000, categories=CATEGORIES)
    await User.filter(id=44).update(reachable=False)  # blocked the bot earlier
    laundry = await customer(tg, 45, "Laundry")
    await follows.follow_category(45, "laundry", LAT, LNG, 5000, categories=CATEGORIES)

    preview, confirm = await compose(boss, "New: hand-pulled noodles", "📍 People nearby")
    assert "It will reach 2 people" in confirm.text
    assert "because you follow 🍜 Dining shops near you" in preview.text
    assert "Delivered to 2 of 2 people" in (await send_now(boss, confirm)).text
    assert [len(p.inbox) for p in (near, far, wide, hushed, gone, laundry)] == [1, 0, 1, 0, 0, 0]
    assert await Outbox.filter(user_id__in=[41, 43, 44, 45]).count() == 0

    push = near.inbox[0]
    assert push.button_texts == ["🔕 Mute", "✖️ Unfollow"]  # no coupon attached
    await near.press(push, text="🔕 Mute")
    assert "no more offers from 🍜 Dining shops" in (await near.callback_answer())["text"]
    await near.wait_for(lambda: not push.buttons)
    assert (await Follow.get(user_id=40)).muted


async def test_customers_audience_and_opting_out_of_a_shop(
    bot, tg: FakeTelegram, config: Config
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    other = await make_shop("Zhou Laundry", category="laundry", owner_id=501)
    coupon = await add_coupon(shop)
    buyer = await customer(tg, 50, "Buyer")
    await record_purchase(shop.id, 50, 2800, OWNER_ID, now=NOON)
    claimer = await customer(tg, 51, "Claimer")
    await coupons.claim(coupon.id, 51, now=NOON)
    elsewhere = await customer(tg, 52, "Elsewhere")
    await record_purchase(other.id, 52, 900, 501, now=NOON)

    await launch(config, shop, "Thank you for coming!", PromotionAudience.CUSTOMERS)
    await delivered(tg, [50, 51])

    def pushed(person: FakeUser) -> list[BotMessage]:  # buyers also got the shop's welcome
        return [m for m in person.inbox if "Thank you for coming!" in (m.text or "")]

    [push] = await buyer.wait_for(lambda: pushed(buyer))
    assert "as a customer of Lao Wang Noodles" in push.text
    assert push.button_texts == ["🔕 No more offers from this shop"]
    assert len(claimer.inbox) == 1 and pushed(elsewhere) == []

    await buyer.press(push, text="🔕 No more offers from this shop")
    assert "no more messages from Lao Wang Noodles" in (await buyer.callback_answer())["text"]
    await buyer.wait_for(lambda: not push.buttons)
    assert await promotions.audience_ids(shop, PromotionAudience.CUSTOMERS) == [51]
    await buyer.send("/following")
    listed = await buyer.reply()
    assert "Lao Wang Noodles · 🔕 muted" in listed.text


async def test_muted_followers_are_skipped_and_the_daily_limit_holds(
    bot, tg: FakeTelegram, config: Config, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await follower(tg, 60, shop)
    quiet = await follower(tg, 61, shop)
    await follows.mute_shop(61, shop.id)

    for n in range(1, 4):
        await launch(config, shop, f"Offer number {n}")
    await delivered(tg, [60], each=3)
    fourth = await launch(config, shop, "Offer number 4")  # over the limit of 3 a day
    assert "⏰ 1 will get it later" in (await final_report(await owner(tg), bot, fourth)).text
    row = await Outbox.get(campaign=f"promo:{fourth.id}")
    assert (row.error, row.not_before) == ("daily_cap", shanghai(2, 8))
    assert [m.text.splitlines()[2] for m in ann.inbox] == [f"Offer number {n}" for n in (1, 2, 3)]
    assert quiet.inbox == []  # muted: never queued
    assert not await Outbox.exists(user_id=61)

    frozen.set(shanghai(2, 8))  # a new day, after quiet hours
    sender.notify()
    await delivered(tg, [60], each=4)
    assert ann.inbox[-1].text.splitlines()[2] == "Offer number 4"


# ----------------------------------------------------------------------------- refusals


async def test_non_staff_pending_shops_cancel_and_bad_input(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await follower(tg, 70, shop)
    ann = await customer(tg, 71, "Ann")
    await ann.send("/promo")
    assert "for shop owners and their staff" in (await ann.reply()).text
    await ann.send("/flash")
    assert "for shop owners and their staff" in (await ann.reply()).text

    waiting = await make_shop("Soon Open", owner_id=502, approve=None)
    assert waiting.status == "pending"
    newbie = tg.user(502, first_name="Newbie")
    await newbie.send("/promo")
    assert "still waiting for approval" in (await newbie.reply()).text

    boss = await owner(tg)
    await boss.send("/promo")
    await boss.reply()
    await boss.send_sticker()
    assert "Please send the message as text" in (await boss.reply()).text
    await boss.send("x" * (promotions.TEXT_MAX + 1))
    assert f"keep it to {promotions.TEXT_MAX} characters" in (await boss.reply()).text
    await boss.send("Dumplings on Friday")
    await boss.reply()
    await boss.send("/results")
    assert "finish this step first" in (await boss.reply()).text
    await boss.send("Skip")
    question = await boss.reply()
    for forged in ("promo:aud:everyone", "promo:aud:", "promo:send"):
        await boss.press_data(question.message_id, forged)
        assert "expired" in (await boss.callback_answer())["text"]
    await boss.send("/cancel")
    assert "Cancelled" in (await boss.reply()).text
    await boss.press(question, text=question.button_texts[0])  # too late: the flow is over
    assert "expired" in (await boss.callback_answer())["text"]
    assert not await Promotion.exists()
    assert not await Outbox.exists()
