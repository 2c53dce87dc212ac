"""/staff: the owner invites a clerk with a one-time link, the clerk joins (both are told, the
clerk's command menu grows), the owner removes them (after confirming; the menu shrinks), and
every link that cannot be used says why."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.clock import FrozenClock
from bot.models import Staff, StaffInvite, StaffRole
from bot.services.users import ensure_user, set_roles
from tests.e2e.conftest import OPERATOR_ID
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_wallet import MORNING, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser

CONSUMER_MENU = ["start", "nearby", "search", "wallet", "cards", "following", "profile"]
CONSUMER_MENU += ["settings", "help", "cancel"]
LINK = re.compile(r"https://t\.me/\w+\?start=staff_([\w-]+)")


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


async def invite(boss: FakeUser) -> str:
    """/staff → ➕ Invite a clerk; the `staff_<token>` start parameter of the link sent."""
    await boss.send("/staff")
    listing = await boss.reply()
    await boss.press(listing, text="➕ Invite a clerk")
    message = await boss.reply()
    found = LINK.search(message.text or "")
    assert found, message.text
    return f"staff_{found.group(1)}"


async def test_invite_join_menu_and_remove(bot, tg: FakeTelegram, frozen: FrozenClock) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await set_roles(await ensure_user(OWNER_ID, "Owner", None, "en"), consumer=False, merchant=True)
    boss = await owner(tg)
    zhou = await customer(tg, 60, "周", "zh-hans")
    assert tg.commands_for(zhou.id, "zh") == [*CONSUMER_MENU, "newshop"]

    await boss.send("/staff")
    listing = await boss.reply()
    assert "Staff of Lao Wang Noodles" in listing.text
    assert "👑 Owner (you) — owner" in listing.text and "No clerks yet." in listing.text
    assert listing.button_texts == ["➕ Invite a clerk"]
    await boss.press(listing, text="➕ Invite a clerk")
    sent = await boss.reply()
    assert "works once" in sent.text and "until 2030-03-03 10:00" in sent.text
    assert sent.buttons[0][0]["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F")
    start = "staff_" + LINK.search(sent.text).group(1)  # type: ignore[union-attr]

    # The owner opening their own link is told to send it on; nothing changes.
    await boss.send(f"/start {start}")
    assert "invitation to your own shop" in (await boss.reply()).text

    await zhou.send(f"/start {start}")
    offer = await zhou.reply()
    assert "Owner 邀请您加入「Lao Wang Noodles」当店员" in offer.text
    assert offer.button_texts == ["✅ 加入「Lao Wang Noodles」", "✖️ 不用了"]
    await zhou.press(offer, text="✅ 加入「Lao Wang Noodles」")
    await zhou.wait_for(lambda: "您已成为" in (offer.text or ""))
    assert not offer.buttons
    menu = await zhou.reply()  # the counter row, at hand (no shop rows: not an owner)
    assert ["🧾 收银台"] in menu.reply_keyboard and "核销" in menu.text
    assert "🏪 我的店铺" not in [label for row in menu.reply_keyboard for label in row]
    told = await boss.reply()
    assert told.text == "✅ 周 joined Lao Wang Noodles as a clerk. See your staff with /staff."
    assert tg.commands_for(zhou.id, "zh") == [*CONSUMER_MENU, "newshop", "coupons", "redeem"]
    assert tg.commands_for(zhou.id) == [*CONSUMER_MENU, "newshop", "coupons", "redeem"]
    row = await Staff.get(shop_id=shop.id, user_id=zhou.id)
    assert row.role == StaffRole.CLERK

    # The clerk works the counter and nothing else.
    await zhou.send("/coupons")
    assert "优惠券" in (await zhou.reply()).text
    await zhou.send("/promo")
    assert (await zhou.reply()).text.startswith("这项操作只有店主才能做。")
    await zhou.send("/staff")
    assert (await zhou.reply()).text.startswith("这项操作只有店主才能做。")

    # The link is spent: for someone else, and for the clerk again.
    lee = await customer(tg, 61, "Lee")
    await lee.send(f"/start {start}")
    assert "already been used" in (await lee.reply()).text
    await zhou.send(f"/start {start}")
    assert "您已经是「Lao Wang Noodles」的店员了" in (await zhou.reply()).text
    assert await Staff.filter(shop_id=shop.id).count() == 2

    # Removing asks first; "Back" changes nothing.
    await boss.send("/staff")
    listing = await boss.reply()
    assert "🧑‍💼 周 — clerk" in listing.text
    assert listing.button_texts == ["➕ Invite a clerk", "➖ Remove 周"]
    await boss.press(listing, text="➖ Remove 周")
    await boss.wait_for(lambda: "Remove 周 from the staff" in (listing.text or ""))
    await boss.press(listing, text="« Back")
    await boss.wait_for(lambda: "🧑‍💼 周 — clerk" in (listing.text or ""))
    await boss.press(listing, text="➖ Remove 周")
    await boss.wait_for(lambda: "Remove 周 from the staff" in (listing.text or ""))
    await boss.press(listing, text="✅ Yes, remove")
    assert (await boss.callback_answer())["text"] == "周 is no longer on your staff."
    await boss.wait_for(lambda: "No clerks yet." in (listing.text or ""))
    assert (await zhou.reply()).text == "您已不再是「Lao Wang Noodles」的店员。"
    assert tg.commands_for(zhou.id, "zh") == [*CONSUMER_MENU, "newshop"]
    assert not await Staff.exists(shop_id=shop.id, user_id=zhou.id)
    await zhou.send("/redeem")
    assert (await zhou.reply()).text.startswith("优惠券由店员核销。")
    tg.assert_no_errors()


async def test_expired_unknown_and_declined_links(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    await make_shop("Lao Wang Noodles")
    await set_roles(await ensure_user(OWNER_ID, "Owner", None, "en"), consumer=False, merchant=True)
    boss = await owner(tg)
    ann = await customer(tg, 62, "Ann")

    start = await invite(boss)
    await ann.send(f"/start {start}")
    offer = await ann.reply()
    await ann.press(offer, text="✖️ No, thanks")
    await ann.wait_for(lambda: "you did not join" in (offer.text or ""))
    assert not await Staff.exists(user_id=ann.id)

    await ann.send(f"/start {start}")  # declining left the link usable ...
    offer = await ann.reply()
    frozen.advance(hours=48)  # ... for 48 hours
    await ann.press(offer, text="✅ Join Lao Wang Noodles")
    assert "This invitation has expired" in (await ann.callback_answer())["text"]
    await ann.wait_for(lambda: not offer.buttons)
    await ann.send(f"/start {start}")
    assert "This invitation has expired" in (await ann.reply()).text
    await ann.send(f"/start {start[:-2]}")
    assert "This invitation link is not valid" in (await ann.reply()).text
    assert await StaffInvite.filter(used_at__isnull=False).count() == 0

    # A fresh link works; the old one stays dead.
    start = await invite(boss)
    await ann.send(f"/start {start}")
    offer = await ann.reply()
    frozen.advance(hours=47)
    await ann.press(offer, text="✅ Join Lao Wang Noodles")
    await ann.wait_for(lambda: "You are now a clerk" in (offer.text or ""))
    assert await Staff.exists(user_id=ann.id, role=StaffRole.CLERK)


async def test_forged_staff_buttons(bot, tg: FakeTelegram, frozen: FrozenClock) -> None:
    shop = await make_shop("Lao Wang Noodles")
    other = await make_shop("Other Shop", owner_id=501)
    await ensure_user(63, "Zhou", None, "en")
    clerk_row = await Staff.create(shop=shop, user_id=63, role=StaffRole.CLERK)
    boss, zhou = await owner(tg), await customer(tg, 63, "Zhou")
    await boss.send("/staff")
    listing = await boss.reply()
    owner_row = await Staff.get(shop_id=shop.id, user_id=OWNER_ID)

    for data in ("stf:rm:x", "stf:rmok:999", f"stf:rmok:{owner_row.id}", "stf:shop:1:2", "stf:"):
        await boss.press_data(listing.message_id, data)
        assert "expired" in (await boss.callback_answer())["text"], data
    for data in (f"stf:shop:{other.id}", f"stf:inv:{other.id}"):  # someone else's shop
        await boss.press_data(listing.message_id, data)
        assert "expired" in (await boss.callback_answer())["text"], data
    for data in (f"stf:inv:{shop.id}", f"stf:rmok:{clerk_row.id}", f"stf:shop:{shop.id}"):
        await zhou.press_data(listing.message_id, data)
        assert "Only the shop's owner" in (await zhou.callback_answer())["text"], data
    assert await Staff.exists(id=clerk_row.id) and await StaffInvite.all().count() == 0


async def test_menus_at_start_up_follow_the_roles(bot, tg: FakeTelegram) -> None:
    """An operator who is a clerk somewhere sees /pending and the clerk's commands."""
    shop = await make_shop("Lao Wang Noodles")
    await ensure_user(OPERATOR_ID, "Olga", None, "en")
    await Staff.create(shop=shop, user_id=OPERATOR_ID, role=StaffRole.CLERK)
    await bot.restart()
    merchant = [c for c in tg.commands_for(OPERATOR_ID, "en") if c not in CONSUMER_MENU]
    assert merchant == ["newshop", "coupons", "redeem", "pending"]
