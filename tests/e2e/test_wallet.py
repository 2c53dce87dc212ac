"""Customers: claiming coupons from the shop page, the per-person limit and sold-out stock, the
wallet with each coupon's QR card, forged buttons, and the reminder before a coupon expires."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from bot import clock
from bot.clock import Clock, FrozenClock
from bot.models import Coupon, CouponClaim, CouponKind, Shop
from bot.services import coupons
from bot.services.codes import display_code
from bot.services.users import ensure_user, set_roles
from bot.ui.buttons.wallet import ClaimCoupon, OpenCoupon
from scheduler import views_of
from scheduler.reminders import remind_expiring
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

#: 10:00 in Shanghai, outside everyone's quiet hours.
MORNING = datetime(2030, 3, 1, 2, 0, tzinfo=UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[FrozenClock]:
    """The bot's clock stands still at `moment` until the test moves it."""
    stopped = FrozenClock(moment)
    clock.install(stopped)
    try:
        yield stopped
    finally:
        clock.install(Clock())


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


async def customer(tg: FakeTelegram, user_id: int, name: str = "Ann", lang: str = "en") -> FakeUser:
    """A consumer who has used the bot before (role chosen)."""
    person = tg.user(user_id, first_name=name, language_code=lang)
    await set_roles(await ensure_user(user_id, name, None, lang), consumer=True, merchant=False)
    return person


async def owner(tg: FakeTelegram, owner_id: int = OWNER_ID) -> FakeUser:
    """The owner make_shop registers, as a Telegram user."""
    return tg.user(owner_id, first_name="Owner", language_code="en")


async def add_coupon(shop: Shop, **fields: Any) -> Coupon:
    values: dict[str, Any] = {
        "kind": CouponKind.PERCENT,
        "value": 20,
        "title": "20% off noodles",
        "terms": "Dine-in only.",
        "valid_days": 30,
    }
    values.update(fields)
    return await coupons.create_coupon(shop.id, **values)


def qr_texts(png: bytes | None) -> list[str]:
    assert png is not None
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
        )
    ]


def redeem_link(tg: FakeTelegram, code: str) -> str:
    return f"https://t.me/{tg.bot_username}?start=redeem_{code}"


async def open_page(user: FakeUser, shop: Shop) -> BotMessage:
    """The shop page (after its map pin), from the `/start shop_<id>` link."""
    await user.send(f"/start shop_{shop.id}")
    _, page = await user.replies(2)
    return page


async def claim_from_page(user: FakeUser, shop: Shop, title: str) -> BotMessage:
    """Open the shop page, tap the coupon, and return the QR card it sends."""
    page = await open_page(user, shop)
    await user.press(page, text=f"🎟 {title}")
    return await user.reply()


async def test_claim_from_shop_page_sends_qr_card_and_limit_holds(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    coupon = await add_coupon(shop, min_spend_cents=5000)
    ann = await customer(tg, 30)

    page = await open_page(ann, shop)
    assert "🎟 20% off noodles" in page.button_texts
    assert ClaimCoupon(coupon_id=coupon.id).pack() in page.callback_data
    await ann.press(page, text="🎟 20% off noodles")
    assert "Added to My coupons" in (await ann.callback_answer())["text"]
    card = await ann.reply()

    claim = await CouponClaim.get(user_id=30)
    assert card.method == "sendPhoto"
    assert qr_texts(card.photo) == [redeem_link(tg, claim.code)]
    caption = card.caption or ""
    assert "Added to 🎟 My coupons" in caption
    assert "20% off noodles" in caption and "Lao Wang Noodles" in caption
    assert "💰 20% off" in caption and "With a spend of ¥50.00 or more" in caption
    assert "Dine-in only." in caption
    assert "Use by 2030-03-31 10:00" in caption  # 30 days, in Ann's (Shanghai) time
    assert f"Code: {display_code(claim.code)}" in caption

    # One per person: a second tap is refused politely and nothing changes.
    await ann.press(page, text="🎟 20% off noodles")
    refusal = await ann.callback_answer()
    assert (
        refusal["show_alert"] and "already have this coupon (limit 1 per person)" in refusal["text"]
    )
    assert await CouponClaim.filter(coupon_id=coupon.id).count() == 1

    # The owner sees the button on their own page, but it's for customers.
    boss = await owner(tg)
    page = await open_page(boss, shop)
    await boss.press(page, text="🎟 20% off noodles")
    assert "your own shop's coupon" in (await boss.callback_answer())["text"]


async def test_sold_out_hides_the_button_and_refuses_stale_ones(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Tiny Laundry", category="laundry")
    await add_coupon(shop, title="Free ironing", kind=CouponKind.GIFT, value=0, stock=1)
    ann, bob = await customer(tg, 31), await customer(tg, 32, "Bob")

    stale = await open_page(bob, shop)  # Bob looks, but Ann is faster
    await claim_from_page(ann, shop, "Free ironing")
    await bob.press(stale, text="🎟 Free ironing")
    assert "all of these coupons have been claimed" in (await bob.callback_answer())["text"]
    assert await CouponClaim.filter(user_id=32).count() == 0
    assert "🎟 Free ironing" not in (await open_page(bob, shop)).button_texts


async def test_claim_from_a_promotion_and_forged_claims(bot, tg: FakeTelegram) -> None:
    from bot.models import Promotion, PromotionAudience

    shop = await make_shop("Lao Wang Noodles")
    coupon = await add_coupon(shop)
    promo = await Promotion.create(
        shop=shop, text="Spring!", coupon=coupon, audience=PromotionAudience.FOLLOWERS
    )
    ann = await customer(tg, 33)
    await ann.send("/wallet")
    empty = await ann.reply()
    assert "no coupons yet" in empty.text

    for forged in (
        ClaimCoupon(coupon_id=coupon.id, promotion_id=promo.id + 1).pack(),  # not its push
        "wlt:claim:abc:",
        "wlt:claim:",
        f"wlt:claim:{coupon.id}:2147483648",  # beyond a 32-bit id
        f"cpn:claim:{coupon.id}",  # the format of claim buttons before prefixes were split
    ):
        await ann.press_data(empty.message_id, forged)
        assert "expired" in (await ann.callback_answer())["text"], forged
    await ann.press_data(empty.message_id, ClaimCoupon(coupon_id=coupon.id + 99).pack())
    assert "no longer available" in (await ann.callback_answer())["text"]
    assert not await CouponClaim.exists()

    await ann.press_data(
        empty.message_id, ClaimCoupon(coupon_id=coupon.id, promotion_id=promo.id).pack()
    )
    card = await ann.reply()
    claim = await CouponClaim.get(user_id=33)
    assert claim.promotion_id == promo.id
    assert qr_texts(card.photo) == [redeem_link(tg, claim.code)]


async def test_wallet_lists_and_opens_coupons_and_refuses_forged_opens(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    soon = await add_coupon(shop, title="Tea on us", kind=CouponKind.GIFT, value=0, valid_days=2)
    later = await add_coupon(shop, title="¥10 off", kind=CouponKind.AMOUNT, value=1000)
    used = await add_coupon(shop, title="Used one")
    li = await customer(tg, 34, "李雷", "zh-hans")
    for coupon in (later, soon, used):
        await coupons.claim(coupon.id, 34, now=MORNING)
    spent = await CouponClaim.get(coupon_id=used.id)
    await coupons.redeem(spent.id, OWNER_ID, now=MORNING + timedelta(hours=1))
    ann = await customer(tg, 35)
    anns = await coupons.claim(later.id, 35, now=MORNING)

    await li.send("🎟 我的优惠券")  # the main-menu button
    wallet = await li.reply()
    text = wallet.text
    assert "我的优惠券" in text and "可使用" in text and "已使用" in text
    assert text.index("Tea on us") < text.index("¥10 off")  # soonest to expire first
    assert "请在 2030-03-03 10:00 前使用" in text
    assert "Used one — Lao Wang Noodles · 2030-03-01 11:00" in text
    assert wallet.button_texts == ["1. Tea on us", "2. ¥10 off"]

    await li.press(wallet, text="2. ¥10 off")
    card = await li.reply()
    mine = await CouponClaim.get(coupon_id=later.id, user_id=34)
    assert qr_texts(card.photo) == [redeem_link(tg, mine.code)]
    caption = card.caption or ""
    assert "立减 ¥10.00" in caption and f"券码：{display_code(mine.code)}" in caption
    assert "请在 2030-03-31 10:00 前使用" in caption and "出示此二维码" in caption

    # Someone else's claim id, a used coupon, garbage: nothing is shown.
    await li.press_data(wallet.message_id, OpenCoupon(claim_id=anns.id).pack())
    assert "失效" in (await li.callback_answer())["text"]
    await li.press_data(wallet.message_id, OpenCoupon(claim_id=spent.id).pack())
    assert "已于 2030-03-01 11:00 使用" in (await li.callback_answer())["text"]
    await li.press_data(wallet.message_id, "wlt:open:1:2")
    assert "失效" in (await li.callback_answer())["text"]
    assert len([m for m in li.inbox if m.method == "sendPhoto"]) == 1

    # Three days later the gift has expired: it moves down, and its old button says so.
    frozen.advance(days=3)
    await li.send("/wallet")
    wallet = await li.reply()
    assert "已过期" in wallet.text and wallet.button_texts == ["1. ¥10 off"]
    old = OpenCoupon(claim_id=(await CouponClaim.get(coupon_id=soon.id)).id)
    await li.press_data(wallet.message_id, old.pack())
    assert "已于 2030-03-03 10:00 过期" in (await li.callback_answer())["text"]
    assert ann.inbox == []


async def test_reminder_the_day_before_expiry_goes_out_once(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ending = await add_coupon(
        shop, title="Last call", valid_days=None, valid_until=MORNING + timedelta(hours=30)
    )
    lasting = await add_coupon(shop, title="Lasting")
    ann, li = await customer(tg, 36), await customer(tg, 37, "李雷", "zh-hans")
    for person in (36, 37):
        await coupons.claim(ending.id, person, now=MORNING)
        await coupons.claim(lasting.id, person, now=MORNING)

    [job] = bot.app.job_queue.get_jobs_by_name("coupon-reminders")
    assert job.job.trigger.interval == timedelta(hours=1)
    job.enabled = False  # this test runs the rounds itself, at the times it chooses

    assert await remind_expiring(views_of(bot.app), MORNING) == 0  # 30 h away: not yet
    frozen.advance(hours=7)
    assert await remind_expiring(views_of(bot.app), clock.now()) == 2
    note = await ann.reply()
    assert "Last call" in note.text and "Lao Wang Noodles" in note.text
    assert "expires on 2030-03-02 16:00" in note.text
    assert note.button_texts == ["🎟 Show my coupon"]
    zh_note = await li.reply()
    assert "将于 2030-03-02 16:00 过期" in zh_note.text and zh_note.button_texts == ["🎟 出示优惠券"]

    assert await remind_expiring(views_of(bot.app), clock.now()) == 0  # never twice
    await ann.press(note, text="🎟 Show my coupon")
    card = await ann.reply()
    claim = await CouponClaim.get(coupon_id=ending.id, user_id=36)
    assert qr_texts(card.photo) == [redeem_link(tg, claim.code)]
