"""Every text is HTML (PTB's Defaults): what people type — names, shops, coupons, reviews,
searches — shows as typed, with its `<`, `>` and `&`, on every screen it reaches. The fake
server refuses any text whose HTML does not parse, so one unescaped spot fails this test."""

from __future__ import annotations

from bot.services.reviews import write_review
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_wallet import add_coupon, customer, open_page
from tests.fakes.telegram import FakeTelegram

NAME = "<Ann & Bob>"
SHOP = "Tom & <Jerry>"
COUPON = "<b>Half</b> & more"


async def test_typed_content_shows_as_typed_everywhere(bot, tg: FakeTelegram) -> None:
    ann = tg.user(40, first_name=NAME, language_code="en")
    await ann.send("/start")
    assert f"Hello {NAME}!" in (await ann.reply()).text

    shop = await make_shop(SHOP, description="Fish & <chips>", address="1 <Main> St")
    await add_coupon(shop, title=COUPON, terms="<i>Dine-in</i> & takeaway")
    await make_shop("<Pending> & Co", approve=None, owner_id=41)

    await ann.send("/search")
    await ann.reply()
    await ann.send("<Jerry>")
    _, results = await ann.replies(2)
    assert f"1. {SHOP}" in results.text
    await ann.send("/search")
    await ann.reply()
    await ann.send("<nope> & co")
    assert "<nope> & co" in (await ann.reply()).text

    page = await open_page(ann, shop)
    assert SHOP in page.text and "Fish & <chips>" in page.text and "1 <Main> St" in page.text
    await ann.press(page, text=f"🎟 {COUPON}")
    card = await ann.reply()
    assert COUPON in (card.caption or "") and "<i>Dine-in</i> & takeaway" in (card.caption or "")
    await ann.send("/wallet")
    assert f"{COUPON} — {SHOP}" in (await ann.reply()).text

    await ann.press(page, text="✍️ Write a review")
    ask = await ann.reply()
    assert f"How was {SHOP}?" in ask.text
    await ann.press(ask, text="★★★★☆ Very good")
    await ann.reply()
    await ann.send("<3 & more")
    assert f"Your review of {SHOP} is posted" in (await ann.reply()).text

    boss = await customer(tg, OWNER_ID, "Owner")  # role chosen: no welcome in the way
    told = await boss.reply()  # the owner hears of the new review
    assert SHOP in told.text and NAME in told.text and "<3 & more" in told.text
    await boss.send("/myshop")
    assert SHOP in (await boss.reply()).text
    await boss.send("/coupons")
    assert COUPON in (await boss.reply()).text
    mine = await open_page(boss, shop)
    await boss.press(mine, text="⭐ Reviews (1)")
    listing = await boss.reply()
    assert "<3 & more" in listing.text and NAME in listing.text
    await boss.press(listing, text=f"↩️ Reply to {NAME}")
    ask = await boss.reply()
    assert f"Your reply to {NAME}'s review" in ask.text
    await boss.send("Thanks <3 & see you")
    assert f"{NAME} has been told" in (await boss.reply()).text
    notice = await ann.reply()
    assert f"{SHOP} replied" in notice.text and "Thanks <3 & see you" in notice.text

    olga = tg.user(900, first_name="Olga & <Ops>", language_code="en")
    await olga.send("/pending")
    _, review = await olga.replies(2)
    assert "<Pending> & Co" in review.text

    await write_review(shop.id, 41, 5, "a < b & c > d", text_max=1000)
    page = await open_page(ann, shop)
    await ann.press(page, text="⭐ Reviews (2)")
    assert "a < b & c > d" in (await ann.reply()).text
    tg.assert_no_errors(ignore=(429,))  # flood waits are retried; nothing else was refused
