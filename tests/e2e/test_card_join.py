"""Joining a shop's card: from the shop page or a join link, the form asking only what the
program needs and the profile lacks (answers saved to the profile), one line saying what the
shop will see, an 11-digit mainland mobile, the consumption password typed twice (each message
deleted at once, never in the persistence file), and the card with its short-lived QR."""

from __future__ import annotations

from datetime import date

from bot import clock
from bot.config import Config
from bot.models import Customer, MemberCard, User
from bot.services import card_tokens, passwords
from bot.services.cards import display_number
from bot.services.users import update_profile
from bot.ui.buttons.cards import JoinCard, OpenCard
from tests.e2e.cards_helpers import make_program, persisted, token_of
from tests.e2e.conftest import BotRunner
from tests.e2e.helpers import make_shop
from tests.e2e.test_wallet import customer, open_page, owner
from tests.fakes.telegram import FakeTelegram

PIN = "583920"


async def test_join_from_the_shop_page_with_profile_reuse_phone_check_and_password(
    bot: BotRunner, tg: FakeTelegram, config: Config
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop, stored_value=True, need_name=True, need_phone=True)
    ann = await customer(tg, 61)
    await update_profile(await User.get(id=61), name="Ann Lee")  # already in her profile

    page = await open_page(ann, shop)
    assert "💳 Join the card" in page.button_texts
    assert JoinCard(shop_id=shop.id).pack() in page.callback_data
    await ann.press(page, text="💳 Join the card")
    intro, ask = await ann.replies(2)
    assert "Lao Wang Noodles membership card" in intro.text
    assert "Lao Wang Noodles will see: your name, phone number." in intro.text
    assert "birthday" not in intro.text
    assert "saved to your profile too" in intro.text
    assert "mobile" in ask.text or "phone" in ask.text  # name is not asked: the profile has it

    await ann.send("138 1234 567")  # ten digits: a mainland mobile has eleven
    assert "11 digits" in (await ann.reply()).text
    await ann.send("138 1234 5678")
    assert "six-digit consumption password" in (await ann.reply()).text
    first = await ann.send(PIN)
    assert "same six digits again" in (await ann.reply()).text
    wrong = await ann.send("111111")
    assert "were not the same" in (await ann.reply()).text
    too_short = await ann.send("12345")
    assert "exactly six digits" in (await ann.reply()).text
    again = await ann.send("５８３９２０")  # full-width digits count
    await ann.reply()
    last = await ann.send(PIN)
    welcome, card_msg = await ann.replies(2)
    assert "member at Lao Wang Noodles" in welcome.text
    assert all(m.deleted for m in (first, wrong, too_short, again, last))

    card = await MemberCard.get(user_id=61, shop_id=shop.id)
    assert card.password_hash and PIN not in card.password_hash
    assert passwords.verify_password(PIN, card.password_hash)
    user = await User.get(id=61)
    assert user.phone == "+8613812345678" and user.name == "Ann Lee"  # saved to the profile
    assert (await Customer.get(shop_id=shop.id, user_id=61)).joined_at is not None  # a customer

    assert card_msg.method == "sendPhoto"
    caption = card_msg.caption or ""
    assert "Lao Wang Noodles" in caption and "Silver" in caption
    assert f"No. {display_number(card.number)}" in caption and "Points: 0" in caption
    assert "Balance: ¥0.00" in caption and "¥500.00 more to Gold" in caption
    assert "No consumption password" not in caption
    assert "a screenshot stops working" in caption
    assert await card_tokens.verify(token_of(tg, card_msg), clock.now()) == card.id

    # The shop page now offers her card instead.
    page = await open_page(ann, shop)
    assert "💳 My card" in page.button_texts and "💳 Join the card" not in page.button_texts
    assert OpenCard(card_id=card.id).pack() in page.callback_data
    await ann.press(page, text="💳 My card")
    shown = await ann.reply()
    assert shown.method == "sendPhoto" and display_number(card.number) in (shown.caption or "")
    assert shown.button_texts == ["🔄 New QR", "📜 History", "🔑 Password"]

    # The password never reached the persistence file.
    await bot.stop()
    raw, data = persisted(config)
    assert PIN.encode() not in raw and "５８３９２０".encode() not in raw
    assert PIN not in repr(data)
    await bot.start()


async def test_nothing_to_ask_joins_at_once_and_a_second_join_shows_the_card(
    bot: BotRunner, tg: FakeTelegram
) -> None:
    shop = await make_shop("Tiny Laundry", category="laundry")
    await make_program(shop)  # no fields, no stored value, points cannot pay: no password
    bob = await customer(tg, 62, "Bob")

    page = await open_page(bob, shop)
    await bob.press(page, text="💳 Join the card")
    intro, welcome, card_msg = await bob.replies(3)
    assert "Tiny Laundry will see: your first name." in intro.text
    assert "member at Tiny Laundry" in welcome.text
    assert card_msg.method == "sendPhoto"
    card = await MemberCard.get(user_id=62)
    assert card.password_hash is None
    assert "password" not in (card_msg.caption or "")

    # The old Join button again: already a member, here is the card.
    await bob.press(page, text="💳 Join the card")
    again = await bob.reply()
    assert "already a member" in (again.caption or "")
    assert await MemberCard.filter(user_id=62).count() == 1


async def test_join_link_birthday_and_shops_without_a_card(
    bot: BotRunner, tg: FakeTelegram
) -> None:
    shop = await make_shop("Lily Hair", category="hairdressing")
    await make_program(shop, need_birthday=True, points_off=100)
    plain = await make_shop("No Card Cafe", north_m=50)
    li = await customer(tg, 63, "李雷", "zh-hans")

    await li.send(f"/start join_{shop.id}")
    intro = await li.reply()
    assert "Lily Hair 会员卡" in intro.text and "Silver · Gold" in intro.text
    assert "每消费 ¥1.00 积 1 分" in intro.text
    assert "Lily Hair 能看到：您的名字、生日。" in intro.text
    await li.press(intro, text="💳 加入会员")
    _, ask = await li.replies(2)
    assert "生日" in ask.text
    await li.send("1990-05-21")
    assert "6 位数字的消费密码" in (await li.reply()).text  # points can pay: a password
    await li.send(PIN)
    await li.reply()
    await li.send(PIN)
    welcome, card_msg = await li.replies(2)
    assert "欢迎" in welcome.text and card_msg.method == "sendPhoto"
    assert (await User.get(id=63)).birthday == date(1990, 5, 21)

    # The join link again, now that she is a member: her card.
    await li.send(f"/start join_{shop.id}")
    again = await li.reply()
    assert again.method == "sendPhoto" and "您已经是 Lily Hair 的会员了" in (again.caption or "")

    for link in (f"join_{plain.id}", "join_abc", "join_99999"):
        await li.send(f"/start {link}")
        assert "会员卡" in (await li.reply()).text
    assert await MemberCard.filter(user_id=63).count() == 1

    # The shop's owner sees no join button on their own page.
    boss = await owner(tg)
    page = await open_page(boss, shop)
    assert "💳 Join the card" not in page.button_texts
