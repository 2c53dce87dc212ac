"""Consumers following, end to end: ⭐ Follow on a shop page, /following with mute, unmute and
remove, following a kind of shop within a radius of a saved place or a shared location,
/cancel mid-flow, and forged follow buttons."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clock import FrozenClock
from bot.models import Follow
from bot.services import follows
from bot.services.users import save_place
from bot.ui.buttons.follows import (
    FollowCategoryPick,
    FollowRadius,
    FollowShop,
    LeavePushedCategory,
    LeavePushedShop,
    RemoveFollow,
    ToggleMute,
)
from tests.e2e.helpers import LAT, LNG, make_shop
from tests.e2e.test_promo import NOON, follower
from tests.e2e.test_wallet import customer, frozen_at, open_page, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


@pytest.fixture(autouse=True)
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(NOON) as stopped:
        yield stopped


async def pick(user: FakeUser, message: BotMessage, button: str) -> None:
    """Press a button that edits its own message, and wait for the edit."""
    edits = len(message.edits)
    await user.press(message, text=button)
    await user.wait_for(lambda: len(message.edits) > edits)


async def test_follow_from_the_page_and_manage_it_in_following(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, 20, "Ann")

    page = await open_page(ann, shop)
    assert "⭐ Follow" in page.button_texts
    await pick(ann, page, "⭐ Follow")
    answer = await ann.callback_answer()
    assert answer["show_alert"] and "You now follow Lao Wang Noodles" in answer["text"]
    assert "✅ Following · tap to unfollow" in page.button_texts
    assert await follows.shop_followers(shop.id) == [20]

    await ann.send("/following")
    listed = await ann.reply()
    assert "What you follow" in listed.text and "1. 🏪 Lao Wang Noodles" in listed.text
    assert listed.button_texts == ["🔕 Mute 1", "✖️ Remove 1", "➕ Follow a kind of shop nearby"]
    await pick(ann, listed, "🔕 Mute 1")
    assert "1. 🏪 Lao Wang Noodles · 🔕 muted" in listed.text
    assert await follows.shop_followers(shop.id) == []
    await pick(ann, listed, "🔔 Unmute 1")
    assert "muted" not in listed.text.splitlines()[2]
    assert await follows.shop_followers(shop.id) == [20]
    await pick(ann, listed, "✖️ Remove 1")
    assert "You don't follow anything yet" in listed.text
    assert not await Follow.exists()

    await ann.press(page, text="✅ Following · tap to unfollow")  # stale: nothing to unfollow
    assert "expired" in (await ann.callback_answer())["text"]
    page = await open_page(ann, shop)
    assert "⭐ Follow" in page.button_texts

    boss = await owner(tg)  # staff do not follow their own shop
    page = await open_page(boss, shop)
    assert not any("Follow" in label for label in page.button_texts)


async def test_unfollow_from_the_page_and_chinese_labels(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    li = await follower(tg, 21, shop, lang="zh-hans")
    page = await open_page(li, shop)
    assert "✅ 已关注 · 点击取消" in page.button_texts
    await pick(li, page, "✅ 已关注 · 点击取消")
    assert "已取消关注「Lao Wang Noodles」" in (await li.callback_answer())["text"]
    assert "⭐ 关注本店" in page.button_texts
    assert not await Follow.exists(user_id=21)


async def test_follow_a_category_around_a_saved_place(bot, tg: FakeTelegram) -> None:
    ann = await customer(tg, 22, "Ann")
    await save_place(22, "home", LAT, LNG)
    await ann.send("/following")
    listed = await ann.reply()
    await ann.press(listed, text="➕ Follow a kind of shop nearby")
    question = await ann.reply()
    assert "Which kind of shop" in question.text
    await pick(ann, question, "🧺 Laundry")
    assert "🧺 Laundry: how far" in question.text
    assert question.button_texts == ["1.0 km", "2.0 km (recommended)", "5.0 km"]
    await pick(ann, question, "5.0 km")
    assert question.text == "🧺 Laundry within 5.0 km" and not question.buttons
    where = await ann.reply()
    assert "Pick a saved place" in where.text
    assert where.reply_keyboard == [["📍 Share my location"], ["🏠 Home"], ["✖️ Cancel"]]
    await ann.send("Somewhere")
    assert "Please share a location" in (await ann.reply()).text
    await ann.send("🏠 Home")
    done = await ann.reply()
    assert "within 5.0 km of 🏠 Home" in done.text and "🧺 Laundry" in done.text
    follow = await Follow.get(user_id=22)
    assert (follow.category, follow.lat, follow.lng, follow.radius_m) == ("laundry", LAT, LNG, 5000)

    await ann.send("/following")
    listed = await ann.reply()
    assert "1. 🧺 Laundry within 5.0 km of 🏠 Home" in listed.text


async def test_follow_a_category_around_a_shared_location_and_cancel(bot, tg: FakeTelegram) -> None:
    li = await customer(tg, 23, "李雷", "zh-hans")
    await li.send("/following")
    listed = await li.reply()
    assert "您还没有关注任何店铺" in listed.text
    await li.press(listed, text="➕ 关注附近的某类店铺")
    question = await li.reply()
    await pick(li, question, "🍜 餐饮")
    await pick(li, question, "2.0 公里（推荐）")
    where = await li.reply()
    assert "/settings" in where.text and where.reply_keyboard[0] == ["📍 发送我的位置"]
    await li.send("/nearby")
    assert "请先完成这一步" in (await li.reply()).text  # other commands wait
    await li.share_location(LAT + 0.01, LNG)
    done = await li.reply()
    assert "您分享的位置周边 2.0 公里" in done.text
    assert (await Follow.get(user_id=23)).lat == LAT + 0.01

    await li.press(listed, text="➕ 关注附近的某类店铺")  # again, then think better of it
    question = await li.reply()
    await pick(li, question, "🧺 洗衣")
    await li.send("/cancel")
    assert "已取消" in (await li.reply()).text
    assert await Follow.filter(user_id=23).count() == 1  # the first one only


async def test_forged_and_stale_follow_buttons_change_nothing(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    pending = await make_shop("Not Yet", approve=None, owner_id=501)
    await follower(tg, 24, shop)
    anns = await Follow.get(user_id=24)
    bob = await customer(tg, 25, "Bob")
    await bob.send("/following")
    listed = await bob.reply()
    for forged in (
        RemoveFollow(follow_id=anns.id).pack(),  # someone else's follow
        ToggleMute(follow_id=anns.id).pack(),
        LeavePushedShop(leave="unf", shop_id=shop.id).pack(),  # not following it
        LeavePushedCategory(leave="unf", index=0).pack(),  # not following dining
        LeavePushedCategory(leave="mute", index=99).pack(),  # no such category
        LeavePushedShop(leave="mute", shop_id=9999).pack(),  # no such shop
        FollowShop(shop_id=pending.id).pack(),  # not public
        FollowShop(shop_id=9999).pack(),
        "fol:off:abc",
        "fol:on:2147483648",  # beyond a 32-bit id
        FollowCategoryPick(index=0).pack(),  # a flow step outside the flow
        FollowRadius(metres=2000).pack(),
        "fol:unf:s1",  # the old format of push buttons
        "fol:",
    ):
        await bob.press_data(listed.message_id, forged)
        assert "expired" in (await bob.callback_answer())["text"], forged
    await bob.send("/following")
    assert "You don't follow anything yet" in (await bob.reply()).text
    anns = await Follow.get(user_id=24)
    assert not anns.muted and await Follow.filter(user_id=25).count() == 0
