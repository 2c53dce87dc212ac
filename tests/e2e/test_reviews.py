"""Customers reviewing shops (stars, text, edits, verified purchases) and owners replying once."""

from __future__ import annotations

from bot.clock import now
from bot.models import Review, Shop
from bot.services.purchases import record_purchase
from bot.services.reviews import write_review
from bot.services.users import ensure_user, set_roles
from tests.e2e.helpers import OWNER_ID, make_shop, welcomed
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

TEXT_MAX = 1000  # config.yaml reviews.text_max


async def customer(tg: FakeTelegram, uid: int, name: str, lang: str = "en") -> FakeUser:
    """A test user who has already chosen the customer role (no welcome in the way)."""
    user = tg.user(uid, first_name=name, language_code=lang)
    await set_roles(await ensure_user(uid, name, None, lang), consumer=True, merchant=False)
    return user


async def open_page(user: FakeUser, shop: Shop) -> BotMessage:
    await user.send(f"/start shop_{shop.id}")
    _, page = await user.replies(2)
    return page


async def test_write_then_edit_a_review(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Noodle Bar")
    ann = await customer(tg, 30, "Ann")
    page = await open_page(ann, shop)

    await ann.press(page, text="✍️ Write a review")
    ask = await ann.reply()
    assert "How was Noodle Bar?" in ask.text
    assert ask.button_texts[0] == "★★★★★ Excellent" and ask.button_texts[-1] == "★☆☆☆☆ Poor"
    await ann.press(ask, text="★★★★☆ Very good")
    prompt = await ann.reply()
    assert ask.text == "Noodle Bar: ★★★★☆ Very good" and not ask.buttons
    assert "up to 1000 characters" in prompt.text
    assert prompt.reply_keyboard == [["Skip"], ["✖️ Cancel"]]
    await ann.send("x" * 1001)
    refused = await ann.reply()
    assert "1001 characters" in refused.text and "at most 1000" in refused.text
    assert not await Review.exists()
    await ann.send("Great broth, friendly staff.")
    saved = await ann.reply()
    assert "Your review of Noodle Bar is posted: ★★★★☆" in saved.text
    assert "📍 Nearby" in [label for row in saved.reply_keyboard for label in row]
    shop = await Shop.get(id=shop.id)
    assert (shop.rating_sum, shop.rating_count) == (4, 1)

    await ann.press(page, text="✍️ Write a review")  # writing again edits
    ask = await ann.reply()
    assert "Your current review:\n★★★★☆\nGreat broth, friendly staff." in ask.text
    await ann.press(ask, text="★★★★★ Excellent")
    prompt = await ann.reply()
    assert "Great broth" in prompt.text
    assert prompt.reply_keyboard[0] == ["Keep my current text"]
    await ann.send("Keep my current text")
    assert "updated: ★★★★★" in (await ann.reply()).text
    review = await Review.get(shop_id=shop.id, user_id=30)
    assert (review.stars, review.verified) == (5, False)
    assert review.text == "Great broth, friendly staff."
    shop = await Shop.get(id=shop.id)
    assert (shop.rating_sum, shop.rating_count) == (5, 1)


async def test_forged_stars_and_stray_input_change_nothing(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("面馆")
    li = await customer(tg, 31, "李雷", "zh-hans")
    page = await open_page(li, shop)
    await li.press(page, text="✍️ 写评价")
    ask = await li.reply()
    assert "您觉得面馆怎么样" in ask.text
    for forged in ("rv:s:9", "rv:s:0", "rv:s:-1", "rv:s:x", "rv:s"):
        await li.press_data(ask.message_id, forged)
        assert "按钮已失效" in (await li.callback_answer())["text"], forged
    await li.send("五星！")
    assert "请点选上方的星级" in (await li.reply()).text
    await li.press(ask, text="★★★☆☆ 不错")
    await li.reply()
    await li.send_sticker()
    assert "请用文字写评价" in (await li.reply()).text
    await li.send("跳过")
    assert "已发布：★★★☆☆" in (await li.reply()).text
    review = await Review.get(shop_id=shop.id, user_id=31)
    assert (review.stars, review.text) == (3, "")


async def test_verified_purchase_is_marked_and_listed_first(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Laundry Lane", category="laundry")
    ann = await customer(tg, 32, "Ann")
    await record_purchase(shop.id, 32, 3000, OWNER_ID, now=now())
    await welcomed(ann)
    page = await open_page(ann, shop)
    await ann.press(page, text="✍️ Write a review")
    await ann.press(await ann.reply(), text="★★★★☆ Very good")
    await ann.reply()
    await ann.send("Shirts came back crisp.")
    await ann.reply()
    assert (await Review.get(user_id=32)).verified

    await ensure_user(33, "Bob", None, "en")  # no purchase, and a newer review
    await write_review(shop.id, 33, 2, "Closed when I came.", text_max=TEXT_MAX)
    assert not (await Review.get(user_id=33)).verified

    page = await open_page(ann, shop)
    assert page.button_texts == ["⭐ Reviews (2)", "✏️ Edit my review", "⭐ Follow"]
    await ann.press(page, text="⭐ Reviews (2)")
    listing = (await ann.reply()).text
    assert listing.startswith("Reviews of Laundry Lane\n★ 3.0 (2) · page 1 of 1")
    assert listing.index("Shirts came back crisp.") < listing.index("Closed when I came.")
    assert "★★★★☆ · ✅ verified purchase\nShirts came back crisp.\n— Ann" in listing
    assert "★★☆☆☆\nClosed when I came.\n— Bob" in listing
    assert listing.count("verified purchase") == 1


async def test_owner_replies_once_and_reviewer_is_told(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Cut & Curl", category="hairdressing")
    ann = await customer(tg, 34, "Ann")
    await write_review(shop.id, 34, 3, "Good cut, long wait.", text_max=TEXT_MAX)
    owner = await customer(tg, OWNER_ID, "Olive")

    page = await open_page(owner, shop)
    assert page.button_texts == ["⭐ Reviews (1)"]  # no "write" on one's own shop
    await owner.press(page, text="⭐ Reviews (1)")
    listing = await owner.reply()
    assert listing.button_texts == ["↩️ Reply to Ann"]
    await owner.press(listing, text="↩️ Reply to Ann")
    ask = await owner.reply()
    assert "Your reply to Ann's review" in ask.text and "Good cut, long wait." in ask.text
    await owner.send("Thanks Ann! We added a second chair.")
    assert "Your reply is posted, and Ann has been told" in (await owner.reply()).text

    notice = await ann.reply()
    assert "Cut & Curl replied to your review (★★★☆☆)" in notice.text
    assert "We added a second chair." in notice.text
    await ann.press(notice, text="See the reviews")
    listing_for_ann = await ann.reply()
    assert "💬 Reply from the shop: Thanks Ann! We added a second chair." in listing_for_ann.text
    assert not listing_for_ann.buttons  # customers cannot reply

    await owner.press(listing, text="↩️ Reply to Ann")  # the old button, a second time
    assert "already replied" in (await owner.callback_answer())["text"]
    review = await Review.get(user_id=34)
    assert review.reply == "Thanks Ann! We added a second chair."

    await ann.press_data(listing_for_ann.message_id, f"rv:r:{review.id}")  # not the owner
    assert "Only the shop's owner" in (await ann.callback_answer())["text"]


async def test_owner_cannot_review_own_shop(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("My Own Gym", category="fitness")
    owner = await customer(tg, OWNER_ID, "Olive")
    await owner.send(f"/start shop_{shop.id}")
    _, page = await owner.replies(2)
    await owner.press_data(page.message_id, f"rv:w:{shop.id}")
    assert "can't review a shop you run" in (await owner.callback_answer())["text"]
    assert not await Review.exists()
    assert len(owner.inbox) == 2  # nothing else was sent


async def test_review_list_pages(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Busy Cafe")
    for uid in range(40, 47):
        await ensure_user(uid, f"Guest {uid}", None, "en")
        await write_review(shop.id, uid, 5, f"Visit number {uid}", text_max=TEXT_MAX)
    ann = await customer(tg, 35, "Ann")
    page = await open_page(ann, shop)
    await ann.press(page, text="⭐ Reviews (7)")
    listing = await ann.reply()
    assert "page 1 of 2" in listing.text and listing.text.count("Visit number") == 5
    assert "Visit number 46" in listing.text and "Visit number 41" not in listing.text
    assert listing.button_texts == ["Next »"]
    await ann.press(listing, text="Next »")
    await ann.wait_for(lambda: listing.edits)
    assert "page 2 of 2" in listing.text and listing.text.count("Visit number") == 2
    assert "Visit number 40" in listing.text
    assert listing.button_texts == ["« Previous"]
    await ann.press_data(listing.message_id, f"rv:p:{shop.id}:5")
    assert "expired" in (await ann.callback_answer())["text"]


async def test_review_resumes_after_a_restart(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Steady Spa", category="fitness")
    ann = await customer(tg, 36, "Ann")
    page = await open_page(ann, shop)
    await ann.press(page, text="✍️ Write a review")
    await ann.press(await ann.reply(), text="★★★★★ Excellent")
    await ann.reply()
    await bot.restart()
    await ann.send("Worth the trip.")
    assert "posted: ★★★★★" in (await ann.reply()).text
    assert (await Review.get(user_id=36)).text == "Worth the trip."
