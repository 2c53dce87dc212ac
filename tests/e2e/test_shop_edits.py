"""A live shop's new name, category or location goes back to an operator (config
`shops.review_edits`), without the shop vanishing: customers and search keep the current values
until the change is approved; hours, phone, description and photos change at once."""

from __future__ import annotations

from bot.config import ShopSettings
from bot.models import Shop, ShopChange, ShopGeo, ShopStatus
from bot.services import search, shops, users
from tests.e2e.conftest import OPERATOR_ID
from tests.e2e.helpers import LAT, LNG, OWNER_ID, make_shop
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


async def edit_field(owner: FakeUser, button: str, *answers: str) -> tuple[BotMessage, BotMessage]:
    """From /myshop, change one field; returns the 'saved' note and the menu shown again."""
    await owner.send("/myshop")
    await owner.press(await owner.reply(), text=button)
    await owner.reply()
    for answer in answers[:-1]:
        await owner.send(answer)
        await owner.reply()
    await owner.send(answers[-1])
    note, menu = await owner.replies(2)
    return note, menu


async def review_message(tg: FakeTelegram, count: int) -> BotMessage:
    """The operator's `count`-th change review message, once it arrived."""

    def reviews() -> list[BotMessage]:
        return [
            m
            for m in tg.chat_messages(OPERATOR_ID)
            if "asks to change its details" in (m.text or "")
        ]

    await tg.wait_for(lambda: len(reviews()) >= count)
    return reviews()[count - 1]


async def test_a_new_name_waits_for_the_operator_and_the_shop_stays_findable(
    bot, tg: FakeTelegram
) -> None:
    shop = await make_shop("Lao Wang Noodles", address="88 Nanjing Road", phone="+8613812345678")
    owner = tg.user(OWNER_ID, first_name="Wang", language_code="en")
    olga = tg.user(OPERATOR_ID)

    note, menu = await edit_field(owner, "✏️ Name", "Wang's Noodle House")
    assert "Sent for a quick check: ✏️ Name" in note.text
    assert "customers still see the current details" in note.text
    assert "Waiting for an operator's check: ✏️ Name" in menu.text
    assert "Lao Wang Noodles" in menu.text  # the live name, until approved
    live = await Shop.get(id=shop.id)
    assert live.name == "Lao Wang Noodles" and live.status == ShopStatus.APPROVED
    assert [hit.shop_id for hit in (await search.nearby(LAT, LNG, 1000)).hits] == [shop.id]

    review = await review_message(tg, 1)
    assert "✏️ Name: Lao Wang Noodles → Wang's Noodle House" in review.text
    assert review.button_texts == ["✅ Approve", "❌ Reject"]

    # Hours change at once, while the name still waits.
    note, menu = await edit_field(owner, "🕘 Hours", "Daily 08:00-22:00")
    assert "Saved" in note.text and "Waiting for an operator's check: ✏️ Name" in menu.text
    assert (await Shop.get(id=shop.id)).hours["w"][0] == [[480, 1320]]

    change = await shops.pending_change(shop.id)
    assert change is not None
    await olga.press(review, text="✅ Approve")
    assert "live" in (await olga.callback_answer())["text"]
    told = await owner.reply()
    assert "Your change to Wang's Noodle House (✏️ Name) is approved" in told.text
    assert (await Shop.get(id=shop.id)).name == "Wang's Noodle House"
    assert not await ShopChange.exists()
    await olga.wait_for(lambda: "Decision: ✅ live (by Olga)" in (review.text or ""))
    await olga.press_data(review.message_id, f"opr:cno:{change.id}")  # a second tap
    assert "already decided" in (await olga.callback_answer())["text"]
    assert (await Shop.get(id=shop.id)).name == "Wang's Noodle House"


async def test_a_moved_shop_keeps_its_pin_until_approved_and_newer_edits_replace_older(
    bot, tg: FakeTelegram
) -> None:
    shop = await make_shop("Moving Shop", address="88 Nanjing Road")
    owner = tg.user(OWNER_ID, first_name="Wang", language_code="en")
    olga = tg.user(OPERATOR_ID)
    await edit_field(owner, "✏️ Name", "Moved Shop")
    first = await review_message(tg, 1)

    note, _ = await edit_field(owner, "📍 Location", "31.2201, 121.4601", "200 Huaihai Road")
    assert "Sent for a quick check: ✏️ Name, 📍 Location, 🏠 Address" in note.text
    live = await Shop.get(id=shop.id)
    assert (live.lat, live.lng, live.address) == (LAT, LNG, "88 Nanjing Road")
    assert (await search.nearby(LAT, LNG, 100)).total == 1
    assert (await search.nearby(31.2201, 121.4601, 100)).total == 0

    second = await review_message(tg, 2)  # one review with everything that waits
    assert "✏️ Name: Moving Shop → Moved Shop" in second.text
    assert "🏠 Address: 88 Nanjing Road → 200 Huaihai Road" in second.text
    assert "📍 Location: 31.23040, 121.47370 → 31.22010, 121.46010" in second.text
    await olga.press(first, text="✅ Approve")  # the older review has been replaced
    assert "sent a newer one" in (await olga.callback_answer())["text"]
    assert (await Shop.get(id=shop.id)).name == "Moving Shop"

    await olga.press(second, text="🗺 New location on the map")
    pin = await olga.reply()
    assert pin.location == {"latitude": 31.2201, "longitude": 121.4601}
    await olga.press(second, text="✅ Approve")
    await owner.reply()
    moved = await Shop.get(id=shop.id)
    assert (moved.name, moved.lat, moved.lng) == ("Moved Shop", 31.2201, 121.4601)
    assert moved.address == "200 Huaihai Road"
    assert (await ShopGeo.get(shop_id=shop.id)).lat == 31.2201  # search follows the new pin
    assert (await search.nearby(31.2201, 121.4601, 100)).total == 1


async def test_a_rejected_category_change_leaves_the_shop_as_it_was(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Noodle Bar")
    await users.set_language(await users.ensure_user(OWNER_ID, "Wang", None, "zh"), "zh_Hans")
    owner = tg.user(OWNER_ID, first_name="Wang", language_code="zh-hans")
    olga = tg.user(OPERATOR_ID)
    await owner.send("/myshop")
    await owner.press(await owner.reply(), data=f"myshop:edit:{shop.id}:category")
    await owner.press(await owner.reply(), data="nshop:cat:1")  # laundry
    note, menu = await owner.replies(2)
    assert "已提交审核：🏷 类别" in note.text and "等待审核：🏷 类别" in menu.text

    review = await review_message(tg, 1)
    assert "🏷 Category: 🍜 Dining → 🧺 Laundry" in review.text
    await olga.press(review, text="❌ Reject")
    told = await owner.reply()
    assert "您对 Noodle Bar 的修改（🏷 类别）未通过审核" in told.text
    assert (await Shop.get(id=shop.id)).category == "dining"
    assert not await ShopChange.exists()


async def test_only_operators_decide_and_pending_lists_changes(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_shop("New Laundry", category="laundry", approve=None, owner_id=501)
    owner = tg.user(OWNER_ID, first_name="Wang", language_code="en")
    await edit_field(owner, "✏️ Name", "Wang's")
    change = await shops.pending_change(shop.id)
    assert change is not None
    await owner.press_data(owner.last.message_id, f"opr:cok:{change.id}")
    assert "not allowed" in (await owner.callback_answer())["text"].lower()

    olga = tg.user(OPERATOR_ID)
    await olga.send("/pending")
    count, new_shop, changes, review = await olga.replies(4)
    assert "1 shop is waiting" in count.text and "New Laundry" in new_shop.text
    assert "1 change to a live shop is waiting" in changes.text
    assert "✏️ Name: Lao Wang Noodles → Wang's" in review.text
    await olga.press(review, text="✅ Approve")
    await owner.reply()
    assert (await Shop.get(id=shop.id)).name == "Wang's"


async def test_the_service_rules(bot, tg: FakeTelegram) -> None:
    """Edits of pending shops, or with review off, apply at once; typing the live value back
    withdraws a waiting change; a change is decided exactly once."""
    live = await make_shop("Live Shop")
    pending = await make_shop("Pending Shop", approve=None, north_m=500)

    result = await shops.edit_shop(pending, {"name": "Pending Renamed"}, review=True)
    assert result.held is None and (await Shop.get(id=pending.id)).name == "Pending Renamed"
    result = await shops.edit_shop(live, {"phone": "+862163215678"}, review=True)
    assert result.held is None and (await Shop.get(id=live.id)).phone == "+862163215678"

    held = (await shops.edit_shop(live, {"name": "Renamed"}, review=True)).held
    assert held is not None and held.name == "Renamed" and held.lat is None
    assert (await shops.edit_shop(live, {"name": "Live Shop"}, review=True)).held is None
    assert not await ShopChange.exists()  # back to the live name: nothing left to review

    held = (await shops.edit_shop(live, {"category": "laundry"}, review=True)).held
    assert held is not None
    await shops.decide_change(held.id, approve=True)
    for approve in (True, False):
        try:
            await shops.decide_change(held.id, approve=approve)
        except shops.ShopError as error:
            assert error.reason == "change_gone"
        else:
            raise AssertionError("a change was decided twice")
    assert (await Shop.get(id=live.id)).category == "laundry"

    result = await shops.edit_shop(live, {"name": "No Review"}, review=False)
    assert result.held is None and (await Shop.get(id=live.id)).name == "No Review"
    assert bot.config.review_shop_edits  # the default
    assert not bot.config.with_(shops=ShopSettings(review_edits=False)).review_shop_edits
    assert not bot.config.with_(shops=ShopSettings(require_approval=False)).review_shop_edits
