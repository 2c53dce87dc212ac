"""Customers finding shops: nearby (location or saved place: every category at once, nearest
first, then category filters, pages, widen) and by name."""

from __future__ import annotations

import re

from bot.models import User
from bot.services.users import ensure_user, save_place
from bot.ui.buttons.nearby import NearbyFilter, ResultsPage
from bot.ui.buttons.shop import ShopPage
from tests.e2e.helpers import (
    LAT,
    LNG,
    list_buttons,
    make_shop,
    make_shops,
    pick,
    results_for,
    shop_lines,
)
from tests.fakes.telegram import FakeTelegram

FILTERS = [
    "✓ ✨ All",
    "🍜 Dining",
    "🧺 Laundry",
    "💇 Hairdressing",
    "🏨 Lodging",
    "🏛 Public services",
    "🏋️ Fitness",
    "🚗 Car services",
    "🏠 Real-estate services",
]

# People's Square, Shanghai. 0.001° of latitude is about 111 m.


async def test_nearby_lists_nearest_first_with_facts(bot, tg: FakeTelegram) -> None:
    await make_shops([("Far Noodles", 1500), ("Near Noodles", 300)])
    await make_shop("Mid Laundry", north_m=800, category="laundry")
    await make_shop("Closed Cafe", north_m=600, hours="Sun closed")
    await make_shop("Outside Range", north_m=3500)
    await make_shop("Pending Place", north_m=100, approve=None)
    await make_shop("Rejected Place", north_m=150, approve=False)
    ann = tg.user(10, first_name="Ann", language_code="en")

    await ann.send("/nearby")
    ask = await ann.reply()
    assert "share your location" in ask.text
    assert ask.reply_keyboard == [["📍 Share my location"], ["✖️ Cancel"]]
    await ann.share_location(LAT, LNG)
    ack, results = await ann.replies(2)  # no category question: every shop around, at once
    assert "Got your location" in ack.text
    assert "📍 Nearby" in [label for row in ack.reply_keyboard for label in row]
    assert results.text.startswith("Shops within 2 km")
    assert "1–4 of 4 · nearest first" in results.text
    lines = shop_lines(results)
    assert [line.split(" · ")[0] for line in lines] == [
        "1. Near Noodles",
        "2. Closed Cafe",
        "3. Mid Laundry",
        "4. Far Noodles",
    ]
    assert "🍜 Dining" in lines[0] and "🧺 Laundry" in lines[2]
    assert "300 m" in results.text and "1.5 km" in results.text
    assert results.text.count("open now") == 3 and results.text.count("closed now") == 1
    assert "Pending" not in results.text and "Rejected" not in results.text
    assert "Outside" not in results.text
    assert results.button_texts[:4] == [
        "1. Near Noodles",
        "2. Closed Cafe",
        "3. Mid Laundry",
        "4. Far Noodles",
    ]
    assert results.button_texts[4] == "🔍 Widen to 5 km"
    assert results.button_texts[5:] == FILTERS  # three a row, the current choice ticked
    assert [len(row) for row in results.buttons[5:]] == [3, 3, 3]
    assert ShopPage.unpack(results.callback_data[0]) is not None
    assert all(len(data.encode()) <= 64 for data in results.callback_data)

    await pick(ann, results, "🍜 Dining")  # the filter narrows the same message
    assert results.text.startswith("🍜 Dining within 2 km")
    assert [line.split(" · ")[0] for line in shop_lines(results)] == [
        "1. Near Noodles",
        "2. Closed Cafe",
        "3. Far Noodles",
    ]
    assert "✓ 🍜 Dining" in results.button_texts and "✨ All" in results.button_texts
    await pick(ann, results, "✨ All")
    assert "1–4 of 4" in results.text and results.button_texts[5:] == FILTERS


async def test_nearby_in_chinese_with_category_filter(bot, tg: FakeTelegram) -> None:
    await make_shops([("兰州拉面", 400), ("小杨生煎", 900)])
    await make_shop("干净洗衣店", north_m=200, category="laundry")
    li = tg.user(11, first_name="李雷", language_code="zh-hans")

    await li.send("📍 附近")
    assert "分享您的位置" in (await li.reply()).text
    await li.share_location(LAT, LNG)
    ack, results = await li.replies(2)
    assert "已收到您的位置" in ack.text
    assert "共 3 家 · 由近到远" in results.text and "✓ ✨ 全部" in results.button_texts
    await pick(li, results, "🍜 餐饮")
    assert results.text.startswith("2 公里内的🍜 餐饮")
    assert "共 2 家 · 由近到远" in results.text
    assert [line.split(" · ")[0] for line in shop_lines(results)] == ["1. 兰州拉面", "2. 小杨生煎"]
    assert "400 米" in results.text and "营业中" in results.text
    assert "洗衣" not in results.text
    assert "🔍 扩大到 5 公里" in results.button_texts


async def test_pagination_over_23_shops(bot, tg: FakeTelegram) -> None:
    await make_shops([(f"Shop {i:02d}", 50 * i) for i in range(1, 24)])
    ann = tg.user(12, first_name="Ann", language_code="en")
    results = await results_for(ann, "🍜 Dining")
    assert "1–10 of 23" in results.text
    assert shop_lines(results)[0].startswith("1. Shop 01")
    assert "Next »" in results.button_texts and "« Previous" not in results.button_texts

    await pick(ann, results, "Next »")
    assert "11–20 of 23" in results.text
    assert shop_lines(results)[0].startswith("11. Shop 11")
    assert {"« Previous", "Next »"} <= set(results.button_texts)

    await pick(ann, results, "Next »")
    assert "21–23 of 23" in results.text
    assert [line.split(" · ")[0] for line in shop_lines(results)] == [
        "21. Shop 21",
        "22. Shop 22",
        "23. Shop 23",
    ]
    assert "Next »" not in results.button_texts

    await pick(ann, results, "« Previous")
    assert "11–20 of 23" in results.text


async def test_empty_result_offers_widen_until_found(bot, tg: FakeTelegram) -> None:
    await make_shop("Suburb Salon", north_m=4000, category="hairdressing")
    await make_shop("Far Away Gym", north_m=20_000, category="hairdressing")
    ann = tg.user(13, first_name="Ann", language_code="en")
    results = await results_for(ann, "💇 Hairdressing")
    assert "No shops here yet" in results.text and "look a bit further" in results.text
    assert list_buttons(results) == ["🔍 Widen to 5 km"]

    await pick(ann, results, "🔍 Widen to 5 km")
    assert results.text.startswith("💇 Hairdressing within 5 km")
    assert "1. Suburb Salon" in results.text and "4.0 km" in results.text
    assert "Far Away" not in results.text
    assert list_buttons(results) == ["1. Suburb Salon", "🔍 Widen to 10 km"]
    assert "✓ 💇 Hairdressing" in results.button_texts

    await pick(ann, results, "🔍 Widen to 10 km")
    assert "within 10 km" in results.text and "Far Away" not in results.text
    assert list_buttons(results) == ["1. Suburb Salon"]  # nothing wider to offer


async def test_nothing_anywhere_suggests_other_ways(bot, tg: FakeTelegram) -> None:
    ann = tg.user(14, first_name="Ann", language_code="en")
    await ensure_user(14, "Ann", None, "en")
    await User.filter(id=14).update(default_radius_m=10_000)
    results = await results_for(ann, "🏨 Lodging")
    assert "within 10 km" in results.text and "No shops here yet" in results.text
    assert "/search" in results.text and not list_buttons(results)


async def test_saved_place_instead_of_location(bot, tg: FakeTelegram) -> None:
    await make_shop("Office Canteen", north_m=10_300)  # 300 m from "work"
    await make_shop("Home Noodles", north_m=200)
    ann = tg.user(15, first_name="Ann", language_code="en")
    await ensure_user(15, "Ann", None, "en")
    await save_place(15, "work", LAT + 10_000 / 111_195, LNG)

    await ann.send("/nearby")
    ask = await ann.reply()
    assert ask.reply_keyboard == [["📍 Share my location"], ["🏢 Work"], ["✖️ Cancel"]]
    await ann.send("🏠 Home")  # not saved: asked again, nothing searched
    assert "haven't saved that place" in (await ann.reply()).text
    await ann.send("🏢 Work")
    ack, results = await ann.replies(2)
    assert "Searching around 🏢 Work" in ack.text
    assert [line.split(" · ")[0] for line in shop_lines(results)] == ["1. Office Canteen"]
    assert "300 m" in results.text


async def test_text_or_bad_location_is_asked_again(bot, tg: FakeTelegram) -> None:
    ann = tg.user(16, first_name="Ann", language_code="en")
    await ann.send("/nearby")
    await ann.reply()
    await ann.send("Nanjing Road please")
    again = await ann.reply()
    assert "I need a location" in again.text
    assert again.reply_keyboard[0] == ["📍 Share my location"]
    await ann.send_sticker()
    assert "I need a location" in (await ann.reply()).text
    await ann.share_location(123.0, 500.0)
    assert "doesn't look right" in (await ann.reply()).text
    await ann.send("/stats")  # unknown commands wait until the flow is left
    assert "finish this step" in (await ann.reply()).text
    await ann.send("✖️ Cancel")
    assert "Cancelled" in (await ann.reply()).text


async def test_stale_and_forged_result_buttons_are_refused(bot, tg: FakeTelegram) -> None:
    await make_shops([(f"Shop {i:02d}", 60 * i) for i in range(1, 13)])
    ann = tg.user(17, first_name="Ann", language_code="en")
    first = await results_for(ann, "✨ All")
    next_data = first.find_button(text="Next »")["callback_data"]
    second = await results_for(ann, "🍜 Dining")
    assert second is not first

    before, edits = first.text, len(first.edits)
    await ann.press(first, text="Next »")  # a button of the older search
    assert "expired" in (await ann.callback_answer())["text"]
    assert first.text == before and len(first.edits) == edits

    current = ResultsPage.unpack(second.find_button(text="Next »")["callback_data"])
    older = ResultsPage.unpack(next_data)
    assert current is not None and older is not None and current.version != older.version
    version = current.version
    forgeries = [
        ResultsPage(version=version, radius_m=999, page=0).pack(),  # a radius never offered
        ResultsPage(version=version, radius_m=2000, page=7).pack(),  # past the last page
        f"nb:page:{version}:x:1",
        "nb:1",
    ]
    for forged in forgeries:
        await ann.press_data(second.message_id, forged)
        assert "expired" in (await ann.callback_answer())["text"], forged
    old_filter = first.find_button(text="🧺 Laundry")["callback_data"]
    no_category = NearbyFilter(version=version, index=99).pack()
    for forged in (old_filter, no_category, f"nb:f:{version}:x", f"nb:f:{version}", "nb:f"):
        await ann.press_data(second.message_id, forged)
        assert "expired" in (await ann.callback_answer())["text"], forged
    assert "1–10 of 12" in second.text and second.text.startswith("🍜 Dining")


async def test_search_by_name(bot, tg: FakeTelegram) -> None:
    await make_shops([("Noodle King", 1800), ("Lucky Noodle Bar", 200), ("Tea Corner", 100)])
    await make_shop("Noodle Pending", north_m=50, approve=None)
    ann = tg.user(18, first_name="Ann", language_code="en")

    await ann.send("/search")
    assert "shop's name" in (await ann.reply()).text
    await ann.send("noodle")
    found, results = await ann.replies(2)
    assert "Here is what I found" in found.text
    assert results.text.startswith("Shops matching “noodle”")
    assert "1–2 of 2 · A–Z" in results.text
    assert [line.split(" · ")[0] for line in shop_lines(results)] == [
        "1. Lucky Noodle Bar",
        "2. Noodle King",
    ]
    assert not re.search(r"\d k?m\b", results.text)  # no point known: no distances

    await ann.send("🔎 Search")
    await ann.reply()
    await ann.send("pizza")
    none = await ann.reply()
    assert "No shop name contains “pizza”" in none.text and not none.buttons


async def test_search_by_name_nearest_first_from_saved_home(bot, tg: FakeTelegram) -> None:
    await make_shops([("Noodle King", 1800), ("Lucky Noodle Bar", 200)])
    li = tg.user(19, first_name="李雷", language_code="zh-hans")
    await ensure_user(19, "李雷", None, "zh-hans")
    await save_place(19, "home", LAT + 2000 / 111_195, LNG)

    await li.send("🔎 搜索")
    assert "店铺名称" in (await li.reply()).text
    await li.send("Noodle")
    _, results = await li.replies(2)
    assert "由近到远" in results.text
    assert [line.split(" · ")[0] for line in shop_lines(results)] == [
        "1. Noodle King",
        "2. Lucky Noodle Bar",
    ]
    assert results.text.index("200 米") < results.text.index("1.8 公里")


async def test_search_and_its_buttons_survive_a_restart(bot, tg: FakeTelegram) -> None:
    await make_shops([(f"Shop {i:02d}", 60 * i) for i in range(1, 13)])
    ann = tg.user(20, first_name="Ann", language_code="en")
    await ann.send("/nearby")
    await ann.reply()
    await bot.restart()  # mid-flow: the step is kept
    await ann.share_location(LAT, LNG)
    _, results = await ann.replies(2)
    assert "1–10 of 12" in results.text
    await bot.restart()  # the result buttons still know their search
    await pick(ann, results, "🍜 Dining")
    assert results.text.startswith("🍜 Dining") and "1–10 of 12" in results.text
    await bot.restart()
    await pick(ann, results, "Next »")
    assert "11–12 of 12" in results.text
