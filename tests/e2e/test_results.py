"""/results, end to end: per promotion and per coupon — reached, delivered, blocked, claimed,
redeemed and the conversions — a chart of a coupon's last 14 days as a PNG, a choice of shop
for people running several, and staff only."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.clock import FrozenClock
from bot.config import Config
from bot.models import CouponClaim, Staff, StaffRole
from bot.services import coupons
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_promo import NOON, delivered, final_report, follower, launch
from tests.e2e.test_wallet import add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram


@pytest.fixture(autouse=True)
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(NOON) as stopped:
        yield stopped


async def test_results_count_every_step_and_chart_a_coupon(
    bot, tg: FakeTelegram, config: Config, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    coupon = await add_coupon(shop, title="20% off noodles", stock=20)
    boss = await owner(tg)
    ann = await follower(tg, 90, shop)
    await follower(tg, 91, shop)
    await follower(tg, 92, shop)
    tg.block(92)

    promotion = await launch(
        config, shop, "Spring noodles are here, with a coupon", coupon_id=coupon.id
    )
    report = await final_report(boss, bot, promotion)
    assert "Delivered to 2 of 3 people" in report.text and "1 has blocked the bot" in report.text
    await delivered(tg, [90, 91])
    await ann.press(ann.inbox[0], text="🎟 Claim the coupon")
    await ann.reply()  # the coupon's card
    await coupons.claim(coupon.id, 91, now=NOON, promotion_id=promotion.id)
    frozen.advance(days=1)
    await customer(tg, 93, "Walk-in")
    await coupons.claim(coupon.id, 93, now=frozen.now())  # from the shop page, another day
    claim = await CouponClaim.get(user_id=90)
    await coupons.redeem(claim.id, OWNER_ID, now=frozen.now())

    await boss.send("/results")
    results = await boss.reply()
    text = results.text
    assert text.startswith("📊 Results · Lao Wang Noodles")
    assert "📣 05-01 12:00 · Spring noodles are here, with a coupon" in text
    assert text.count("👥 3 reached · 📬 2 delivered · 🚫 1 blocked") == 2  # message and coupon
    assert "🎟 2 claimed (100%) · ✅ 1 redeemed (50%)" in text
    assert "🎟 20% off noodles · 17 left" in text
    assert "🎟 3 claimed, 2 through your messages (100%) · ✅ 1 redeemed (33%)" in text
    assert results.button_texts == ["📈 20% off noodles"]

    await boss.press(results, text="📈 20% off noodles")
    chart = await boss.reply()
    assert chart.method == "sendPhoto" and chart.photo is not None
    assert chart.photo.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(chart.photo)).size == (1200, 675)
    assert chart.caption == "📈 20% off noodles, last 14 days: 3 claimed, 1 redeemed."


async def test_owner_only_in_their_language_and_a_choice_of_shops(bot, tg: FakeTelegram) -> None:
    noodles = await make_shop("Lao Wang Noodles")
    laundry = await make_shop("Wang Laundry", category="laundry")
    await add_coupon(noodles, title="Noodle deal")
    theirs = await add_coupon(await make_shop("Other Shop", owner_id=501), title="Not yours")

    ann = await customer(tg, 94, "Ann")
    await ann.send("/results")
    assert "for shop owners and their staff" in (await ann.reply()).text

    clerk = await customer(tg, 95, "周", "zh-hans")
    await Staff.create(shop=laundry, user_id=95, role=StaffRole.CLERK)
    await clerk.send("/results")  # a clerk works the counter: results are the owner's
    assert (await clerk.reply()).text.startswith("这项操作只有店主才能做。")

    boss = await owner(tg)
    await boss.send("/results")
    picker = await boss.reply()
    assert picker.button_texts == ["Lao Wang Noodles", "Wang Laundry"]
    await boss.press(picker, text="Lao Wang Noodles")
    results = await boss.reply()
    assert "No messages sent yet" in results.text and "Noodle deal" in results.text
    assert "0 claimed, 0 through your messages (–)" in results.text
    for forged in (f"res:chart:{theirs.id}", f"res:shop:{theirs.shop_id}", "res:chart:x", "res:"):
        await boss.press_data(results.message_id, forged)
        assert "expired" in (await boss.callback_answer())["text"], forged
    await clerk.press_data(picker.message_id, f"res:shop:{noodles.id}")  # not their shop
    assert "失效" in (await clerk.callback_answer())["text"]
    await clerk.press_data(picker.message_id, f"res:shop:{laundry.id}")  # theirs, but a clerk
    assert "只有店主" in (await clerk.callback_answer())["text"]
    assert not [m for m in clerk.inbox if m.text and m.text.startswith("📊")]
