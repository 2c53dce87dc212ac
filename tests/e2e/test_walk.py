"""What a merchant and a customer met walking through the bot, as they meet it now: the owner
told of reviews, /myshop's page with its buttons, flash copies marked and kept off the shop
page, the counter on the merchant menu, Chinese addresses written the Chinese way, and a
customer's way from /start to a claimed coupon in five actions."""

from __future__ import annotations

from typing import Any

from bot.config import Config
from bot.models import CouponClaim, CouponKind, Review, Staff, StaffRole, User
from bot.services.reviews import write_review
from bot.ui.buttons.wallet import ClaimCoupon
from tests.e2e.helpers import LAT, LNG, OWNER_ID, make_shop
from tests.e2e.test_flash import launch_flash
from tests.e2e.test_promo import NOON, follower
from tests.e2e.test_redeem import confirm_and_redeem
from tests.e2e.test_wallet import (
    add_coupon,
    claim_from_page,
    customer,
    frozen_at,
    open_page,
    owner,
)
from tests.fakes.nominatim import FakeNominatim
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

REVIEW_MAX = 1000  # config.yaml reviews.text_max


def labels(message: BotMessage) -> list[str]:
    return [label for row in message.reply_keyboard or [] for label in row]


# ------------------------------------------------------------------- 1. reviews reach the owner


async def test_the_owner_is_told_of_reviews_in_their_language_and_answers(
    bot, tg: FakeTelegram
) -> None:
    shop = await make_shop("Cut & Curl", category="hairdressing")
    await User.filter(id=OWNER_ID).update(language="zh_Hans")
    olive = tg.user(OWNER_ID, first_name="Olive", language_code="zh-hans")
    ann = await customer(tg, 30)

    page = await open_page(ann, shop)
    await ann.press(page, text="✍️ Write a review")
    await ann.press(await ann.reply(), text="★★★★☆ Very good")
    await ann.reply()
    await ann.send("Good cut, <b>long</b> wait.")
    assert "posted" in (await ann.reply()).text

    notice = await olive.reply()
    assert notice.text.startswith("⭐ Ann给Cut & Curl写了新评价：★★★★☆")
    assert "Good cut, <b>long</b> wait." in notice.text  # her words, not markup
    assert "公开回复一次" in notice.text
    assert notice.button_texts == ["↩️ 回复Ann", "⭐ 评价（1）"]

    await olive.press(notice, text="↩️ 回复Ann")
    assert "回复Ann的评价" in (await olive.reply()).text
    await olive.send("谢谢！我们加了一把椅子。")
    assert "已" in (await olive.reply()).text
    assert "replied to your review" in (await ann.reply()).text

    await ann.press(page, text="✍️ Write a review")  # writing again edits: news too
    await ann.press(await ann.reply(), text="★★★★★ Excellent")
    await ann.reply()
    await ann.send("Skip")
    await ann.reply()
    edited = await olive.reply()
    assert edited.text.startswith("✏️ Ann修改了对Cut & Curl的评价：★★★★★")
    assert edited.button_texts == ["⭐ 评价（1）"]  # answered already: once is the rule
    await olive.press(edited, text="⭐ 评价（1）")
    listing = await olive.reply()
    assert "谢谢！我们加了一把椅子。" in listing.text and not listing.buttons


async def test_a_blocked_owner_does_not_stop_the_review(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Quiet Cafe")
    tg.user(OWNER_ID, first_name="Olive", language_code="en").block()
    bob = await customer(tg, 31, "Bob")
    page = await open_page(bob, shop)
    await bob.press(page, text="✍️ Write a review")
    await bob.press(await bob.reply(), text="★★★☆☆ Good")
    await bob.reply()
    await bob.send("Skip")
    assert "posted" in (await bob.reply()).text
    assert await Review.filter(shop_id=shop.id).count() == 1


async def test_myshop_page_has_its_buttons_and_leads_to_answering(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Cut & Curl", category="hairdressing")
    await customer(tg, 32, "Ann")
    await write_review(shop.id, 32, 3, "Long wait.", text_max=REVIEW_MAX)
    olive = await owner(tg)

    await olive.send("/myshop")
    menu = await olive.reply()
    await olive.press(menu, text="👀 View my page")
    venue, page = await olive.replies(2)
    assert venue.method == "sendVenue" and "Cut & Curl" in page.text
    assert page.button_texts == ["⭐ Reviews (1)"]  # as customers see it; no review of oneself
    await olive.press(page, text="⭐ Reviews (1)")
    listing = await olive.reply()
    assert "Long wait." in listing.text and listing.button_texts == ["↩️ Reply to Ann"]


# ---------------------------------------------------------------- 2. a flash copy looks its part


async def test_a_flash_copy_is_marked_everywhere_and_not_offered_on_the_page(
    bot, tg: FakeTelegram, config: Config
) -> None:
    with frozen_at(NOON):
        shop = await make_shop("Lao Wang Noodles")
        template = await add_coupon(
            shop, title="Half-price noodles", kind=CouponKind.PERCENT, value=50
        )
        ann = await follower(tg, 80, shop)
        bob = await customer(tg, 81, "Bob")
        promotion = await launch_flash(config, shop, template, minutes=60)
        flash_name = "⚡ Flash: Half-price noodles (until 05-01 13:00)"

        push = await ann.reply()
        await ann.press(push, text="🎟 Claim the coupon")
        await ann.reply()  # the card
        await ann.send("/wallet")
        wallet = await ann.reply()
        assert flash_name in wallet.text and wallet.button_texts == [f"1. {flash_name}"]

        page = await open_page(bob, shop)  # Bob was not in the push's audience
        assert [b for b in page.button_texts if b.startswith("🎟")] == ["🎟 Half-price noodles"]
        assert ClaimCoupon(coupon_id=template.id).pack() in page.callback_data
        old_page = ClaimCoupon(coupon_id=promotion.coupon_id).pack()
        await bob.press_data(page.message_id, old_page)  # an old page
        assert "no longer available" in (await bob.callback_answer())["text"]
        assert not await CouponClaim.filter(user_id=81).exists()

        boss = await owner(tg)
        await boss.send("/coupons")
        listed = await boss.reply()
        assert f"1. {flash_name} · 50% off" in listed.text
        assert "2. Half-price noodles · 50% off" in listed.text
        await boss.send("/results")
        results = await boss.reply()
        assert results.button_texts == [f"📈 {flash_name}", "📈 Half-price noodles"]
        assert f"🎟 {flash_name}" in results.text
        await boss.press(results, text=f"📈 {flash_name}")
        chart = await boss.reply()
        assert chart.caption.startswith(f"📈 {flash_name}, last 14 days: 1 claimed")


# ------------------------------------------------------------------------- 3. the counter


async def test_the_counter_is_on_the_merchant_menu_and_explains_the_three_ways(
    bot, tg: FakeTelegram
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await add_coupon(shop, title="Free tea")
    ann = await customer(tg, 41)
    card = await claim_from_page(ann, shop, "Free tea")

    boss = await owner(tg)
    await boss.send("/start")
    menu = await boss.reply()
    assert ["🧾 Counter"] in menu.reply_keyboard
    await boss.send("🧾 Counter")
    how = await boss.reply()
    for way in ("Type the code", "photo of the customer's QR code", "phone's camera"):
        assert way in how.text, way
    await boss.send_photo(card.photo or b"")  # the clerk photographs Ann's screen
    assert "👤 Customer: Ann" in await confirm_and_redeem(boss)
    assert "was just used" in (await ann.reply()).text  # Ann's receipt
    assert "Welcome to Lao Wang Noodles" in (await ann.reply()).text  # her first visit

    await ann.send("🧾 Counter")  # a customer typing the label
    assert "redeemed by the shop's staff" in (await ann.reply()).text


async def test_a_published_coupon_points_to_the_counter(bot, tg: FakeTelegram) -> None:
    await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    await boss.send("/newcoupon")
    await boss.reply()
    for answer in ("🎁 Free gift or service", "Free tea", "Skip", "Skip", "♾ Unlimited", "1"):
        await boss.send(answer)
        await boss.reply()
    await boss.send("7 days after claiming")
    await boss.reply()
    await boss.send("👥 Everyone")
    _, preview = await boss.replies(2)
    await boss.press(preview, text="✅ Publish")
    done = await boss.reply()
    assert "is live" in done.text and "tap 🧾 Counter" in done.text
    assert "🧾 Counter" in labels(done)


async def test_a_clerk_gets_the_counter_but_not_the_shop_rows(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    zhou = await customer(tg, 62, "周", "zh-hans")
    await Staff.create(shop=shop, user_id=62, role=StaffRole.CLERK)
    await zhou.send("/start")
    menu = await zhou.reply()  # and no profile reminder: staff are not interrupted
    assert ["🧾 收银台"] in menu.reply_keyboard and "🏪 我的店铺" not in labels(menu)
    await zhou.send("🧾 收银台")
    assert "三种方式" in (await zhou.reply()).text
    await zhou.send("/help")
    await zhou.reply()
    assert not any("资料还缺少" in (m.text or "") for m in zhou.inbox)


# ---------------------------------------------------------------------- 4. Chinese addresses


async def walk_to_address(user: FakeUser) -> BotMessage:
    """/newshop: a name, the first category, the pin shared; the address question."""
    await user.send("/newshop")
    await user.reply()
    await user.send("Lao Li Noodles")
    await user.press(await user.reply(), data="nshop:cat:0")
    await user.reply()
    await user.share_location(LAT, LNG)
    return await user.reply()


async def test_the_suggested_address_is_written_in_the_merchants_order(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    parts = {
        "house_number": "88",
        "road": "南京东路",
        "suburb": "黄浦区",
        "city": "上海市",
        "state": "上海市",
        "postcode": "200001",
        "country": "中国",
    }
    nominatim.add_place("88, 南京东路, 黄浦区, 上海市, 200001, 中国", LAT, LNG, parts)
    li = tg.user(50, first_name="李雷", language_code="zh-hans")
    address = await walk_to_address(li)
    assert labels(address) == ["上海市黄浦区南京东路88号", "✖️ 取消"]
    assert nominatim.requests[-1].query["accept-language"] == "zh"

    max_ = tg.user(51, first_name="Max", language_code="en")
    address = await walk_to_address(max_)
    assert labels(address)[0] == "88, 南京东路, 黄浦区, 上海市, 200001, 中国"  # as before


# ------------------------------------------------------- 6. five actions to a claimed coupon


class Counted:
    """A user whose every action (a message, a shared location, a button press) is counted."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.actions = 0

    async def send(self, text: str) -> Any:
        self.actions += 1
        return await self.user.send(text)

    async def share_location(self, lat: float, lng: float) -> Any:
        self.actions += 1
        return await self.user.share_location(lat, lng)

    async def press(self, message: BotMessage, text: str) -> Any:
        self.actions += 1
        return await self.user.press(message, text=text)


async def test_a_new_customer_claims_a_nearby_coupon_in_five_actions(bot, tg: FakeTelegram) -> None:
    near = await make_shop("Near Noodles", north_m=300)
    await make_shop("Mid Laundry", north_m=800, category="laundry")
    await add_coupon(near, title="¥5 off any noodles", kind=CouponKind.AMOUNT, value=500)
    ann = Counted(tg.user(60, first_name="Ann", language_code="en"))

    await ann.send("/start")
    menu = await ann.user.reply()
    assert "📍 Nearby" in labels(menu)
    await ann.send("📍 Nearby")
    await ann.user.reply()
    await ann.share_location(LAT, LNG)
    _, results = await ann.user.replies(2)
    assert "1. Near Noodles" in results.text and "2. Mid Laundry" in results.text  # all kinds
    await ann.press(results, "1. Near Noodles")
    _, page = await ann.user.replies(2)
    await ann.press(page, "🎟 ¥5 off any noodles")
    card = await ann.user.reply()

    assert card.method == "sendPhoto" and "Added to 🎟 My coupons" in (card.caption or "")
    assert await CouponClaim.filter(user_id=60, coupon__shop_id=near.id).count() == 1
    assert ann.actions <= 5, ann.actions
