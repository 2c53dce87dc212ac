"""Merchants: /newshop step by step with every kind of bad answer, the preview, /cancel, a
restart mid-flow, and /myshop editing one field at a time."""

from __future__ import annotations

from typing import Any

from bot.models import Shop, ShopPhoto, ShopStatus
from bot.services import search, shops
from bot.services.shops import ShopDraft
from bot.services.users import ensure_user
from bot.ui.buttons.catalog import ServiceList
from bot.ui.buttons.newshop import EditMyShop, FixField, PreviewChoice, ShopCategory
from bot.ui.buttons.poster import PosterButton
from tests.e2e.conftest import OPERATOR_ID
from tests.fakes.nominatim import FakeNominatim
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

HOURS = "Mon-Fri 09:00-21:00; Sat 10:00-18:00"
LAT, LNG = 31.2304, 121.4737


def labels(message: BotMessage) -> list[str]:
    return [label for row in message.reply_keyboard or [] for label in row]


async def walk_to_phone(u: FakeUser, name: str = "Lucky Noodles") -> BotMessage:
    """/newshop through name, category (the first), a shared pin and a typed address."""
    await u.send("/newshop")
    await u.reply()
    await u.send(name)
    await u.press(await u.reply(), data=ShopCategory(index=0).pack())
    await u.reply()
    await u.share_location(LAT, LNG)
    await u.reply()
    await u.send("88 Nanjing Road")
    return await u.reply()


async def walk_from_phone(u: FakeUser, photos: int = 0) -> list[BotMessage]:
    """Phone, hours, no description, `photos` photos: returns the preview's messages."""
    await u.send("13812345678")
    await u.reply()
    await u.send(HOURS)
    await u.reply()
    await u.send("Skip")
    await u.reply()
    for i in range(photos):
        await u.send_photo(f"photo-{i}".encode())
        await u.reply()
    await u.send("✅ Done" if photos else "Skip")
    return await u.replies(3 + photos, timeout=10)  # venue, each photo, page, question


async def register_shop(u: FakeUser, name: str = "Lucky Noodles") -> BotMessage:
    """The whole flow with good answers; returns the merchant's confirmation."""
    await walk_to_phone(u, name)
    preview = await walk_from_phone(u)
    await u.press(preview[-1], data=PreviewChoice(choice="ok").pack())
    return await u.reply()


async def make_shop(owner: int, name: str, **fields: Any) -> Shop:
    """A live shop created directly, for tests that start after registration."""
    await ensure_user(owner, "Max", None, "en")
    values = {
        "name": name,
        "category": "dining",
        "lat": LAT,
        "lng": LNG,
        "address": "88 Nanjing Road",
        "phone": "+8613812345678",
        "hours": {"v": 1, "w": [[[540, 1260]]] * 7},
        **fields,
    }
    return await shops.create_shop(owner, ShopDraft(**values), require_approval=False)


async def test_register_in_english_with_pin_suggestion_photo_and_preview(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    nominatim.add_place("Lucky Noodles, 88 Nanjing Road, Huangpu, Shanghai, China", LAT, LNG)
    max_ = tg.user(10, first_name="Max", language_code="en")
    await max_.send("/newshop")
    intro = await max_.reply()
    assert "What is your shop called?" in intro.text and "/cancel" in intro.text
    await max_.send("Lucky Noodles")
    category = await max_.reply()
    assert "🍜 Dining" in category.button_texts and "💇 Hairdressing" in category.button_texts
    await max_.press(category, text="💇 Hairdressing")
    location = await max_.reply()
    assert "Category: 💇 Hairdressing" in category.text and not category.buttons
    assert "📍 Share my location" in labels(location)

    await max_.share_location(LAT + 0.0001, LNG)
    address = await max_.reply()
    suggestion = "Lucky Noodles, 88 Nanjing Road, Huangpu, Shanghai, China"
    assert "Tap the suggestion" in address.text and suggestion in labels(address)
    await max_.send(suggestion)  # one tap on the suggestion
    phone = await max_.reply()
    assert "131 2345 6789" in phone.text  # an example of a good number
    assert "📱 Share my phone number" in labels(phone)
    await max_.send("138 1234 5678")
    hours = await max_.reply()
    assert "Mon-Fri 09:00-21:00; Sat 10:00-18:00" in hours.text
    await max_.send("mon-fri 9:00-21:00; sat 10:00-18:00")
    description = await max_.reply()
    assert "Mon–Fri 09:00–21:00\nSat 10:00–18:00\nSun closed" in description.text  # shown back
    await max_.send("Hand-pulled noodles since 1998.\nCash & WeChat Pay.")
    photos = await max_.reply()
    assert "up to 5 photos" in photos.text
    await max_.send_photo(b"shopfront")
    assert "Photo 1 of 5 added" in (await max_.reply()).text
    await max_.send("✅ Done")

    venue, photo, page, question = await max_.replies(4)
    assert "exactly as customers will see it" in question.text
    assert venue.venue is not None and venue.venue["title"] == "Lucky Noodles"
    assert abs(venue.venue["latitude"] - (LAT + 0.0001)) < 1e-6
    assert photo.photo == b"shopfront"
    assert "Lucky Noodles" in page.text and "💇 Hairdressing" in page.text
    assert "+86 138 1234 5678" in page.text and suggestion in page.text
    assert "Hand-pulled noodles since 1998.\nCash & WeChat Pay." in page.text
    assert question.button_texts == ["✅ Publish", "✏️ Change something", "✖️ Cancel"]
    assert await Shop.all().count() == 0  # nothing saved before publishing

    await max_.press(question, text="✅ Publish")
    done = await max_.reply()
    assert "“Lucky Noodles” is registered" in done.text and "review" in done.text
    assert "🏪 My shop" in labels(done) and "➕ New shop" in labels(done)
    shop = await Shop.get(name="Lucky Noodles")
    assert shop.status == ShopStatus.PENDING and shop.owner_id == 10
    assert shop.category == "hairdressing" and shop.phone == "+8613812345678"
    assert shop.address == suggestion and shop.hours["w"][6] == []
    largest = max(max_.sent[-2].data["photo"], key=lambda p: p["width"])  # the photo message
    assert await ShopPhoto.filter(shop=shop).values_list("file_id", flat=True) == [
        largest["file_id"]
    ]
    assert (await search.nearby(LAT, LNG, 1000)).total == 0  # pending: not findable

    await max_.wait_for(lambda: "myshop" in tg.commands_for(10, "en"))
    assert "poster" in tg.commands_for(10, "zh")
    tg.user(11, language_code="en")
    assert "myshop" not in tg.commands_for(11, "en")  # only in the merchant's chat
    operator = tg.user(OPERATOR_ID)
    review = await operator.reply()
    assert "Lucky Noodles" in review.text and "✅ Approve" in review.button_texts


async def test_register_in_chinese_with_typed_address(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    parts = {"house_number": "88", "road": "南京东路", "suburb": "黄浦区", "city": "上海市"}
    parts["country"] = "中国"
    nominatim.add_place("南京东路88号, 黄浦区, 上海市, 中国", LAT, LNG, parts)
    li = tg.user(12, first_name="李雷", language_code="zh-hans")
    await li.send("➕ 新店铺")
    assert "您的店铺叫什么名字" in (await li.reply()).text
    await li.send("老李面馆")
    await li.press(await li.reply(), text="🍜 餐饮")
    assert "发送我的位置" in " ".join(labels(await li.reply()))
    await li.send("南京东路88号")
    address = await li.reply()
    assert "📍 找到了：上海市黄浦区南京东路88号" in address.text  # written the Chinese way
    assert labels(address) == ["上海市黄浦区南京东路88号", "✖️ 取消"]
    await li.send("上海市黄浦区南京东路88号")  # one tap on the suggestion
    assert "例如 131 2345 6789" in (await li.reply()).text
    await li.send("+86 138 1234 5678")
    assert "周一至周五 09:00-21:00；周六 10:00-18:00" in (await li.reply()).text
    await li.send("周一至周五 09:00-21:00；周六 10:00-18:00")
    description = await li.reply()
    assert "周一至周五 09:00–21:00\n周六 10:00–18:00\n周日 休息" in description.text
    await li.send("跳过")
    photos = await li.reply()
    assert "跳过" in labels(photos)
    await li.send("跳过")
    venue, page, question = await li.replies(3)
    assert "这就是顾客看到的店铺页面" in question.text
    assert venue.venue["address"] == "上海市黄浦区南京东路88号"
    assert "老李面馆" in page.text and "营业时间" in page.text
    assert question.button_texts == ["✅ 发布", "✏️ 修改信息", "✖️ 取消"]
    await li.press(question, text="✅ 发布")
    done = await li.reply()
    assert "「老李面馆」登记成功" in done.text
    assert "🏪 我的店铺" in labels(done)
    shop = await Shop.get(owner_id=12)
    assert (shop.lat, shop.lng, shop.address) == (LAT, LNG, "上海市黄浦区南京东路88号")


async def test_bad_name_category_and_location_are_reasked(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    ann = tg.user(13, language_code="en")
    await ann.send("/newshop")
    await ann.reply()
    await ann.send("N" * 65)
    assert "too long" in (await ann.reply()).text and "64 characters" in ann.last.text
    await ann.send_sticker()
    assert "type your shop's name" in (await ann.reply()).text
    await ann.send("Ann's Laundry")
    category = await ann.reply()
    await ann.press_data(category.message_id, "nshop:cat:99")
    assert "expired" in (await ann.callback_answer())["text"]
    await ann.press_data(category.message_id, "nshop:cat:-1")
    assert "expired" in (await ann.callback_answer())["text"]
    await ann.send("laundry")
    again = await ann.reply()
    assert "tap one of the category buttons" in again.text and again.buttons
    await ann.press(again, text="🧺 Laundry")
    await ann.reply()

    await ann.send("95, 10")
    out_of_range = await ann.reply()
    assert "not a place on Earth" in out_of_range.text and "-90 to 90" in out_of_range.text
    await ann.send("Nowhere Street 404")
    unknown = await ann.reply()
    assert "couldn't find “Nowhere Street 404”" in unknown.text
    await ann.send_sticker()
    assert "I need your shop's location" in (await ann.reply()).text
    assert await Shop.all().count() == 0
    await ann.send("31.2304, 121.4737")  # typed coordinates; the fake knows no address there
    address = await ann.reply()
    assert "Type it the way they would look for it" in address.text
    assert labels(address) == ["✖️ Cancel"]  # no suggestion to offer
    await ann.send("A" * 201)
    assert "shorten it to 200 characters" in (await ann.reply()).text
    await ann.send("7 Elm Street")
    assert "Which phone number" in (await ann.reply()).text


async def test_geocoder_down_asks_for_the_location_button(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    nominatim.fail = True
    bob = tg.user(14, language_code="en")
    await bob.send("/newshop")
    await bob.reply()
    await bob.send("Bob's Cuts")
    await bob.press(await bob.reply(), data=ShopCategory(index=2).pack())
    await bob.reply()
    await bob.send("12 High Street, Springfield")
    down = await bob.reply()
    assert "map service isn't answering" in down.text
    assert "📍 Share my location" in labels(down)
    await bob.share_location(LAT, LNG)  # reverse geocoding fails too: no suggestion, no error
    address = await bob.reply()
    assert "Which address should customers see" in address.text
    assert labels(address) == ["✖️ Cancel"]


async def test_a_venue_brings_its_own_address(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    nominatim.fail = True  # a venue needs no geocoder
    kim = tg.user(25, language_code="en")
    await kim.send("/newshop")
    await kim.reply()
    await kim.send("Kim's Fitness")
    await kim.press(await kim.reply(), data=ShopCategory(index=5).pack())
    await kim.reply()
    await kim.share_venue(LAT, LNG, "Kim's Fitness", "5 Gym Lane, Shanghai")
    address = await kim.reply()
    assert labels(address) == ["5 Gym Lane, Shanghai", "✖️ Cancel"]
    await kim.send("5 Gym Lane, Shanghai")
    assert "Which phone number" in (await kim.reply()).text
    assert nominatim.requests == []


async def test_bad_phone_and_hours_are_reasked(bot, tg: FakeTelegram) -> None:
    cat = tg.user(15, language_code="en")
    await walk_to_phone(cat)
    await cat.send("1381234567")  # ten digits
    wrong = await cat.reply()
    assert "doesn't look like a complete phone" in wrong.text and "131 2345 6789" in wrong.text
    await cat.send("call me maybe")
    assert "only digits" in (await cat.reply()).text
    await cat.share_contact("8613900001111")  # the contact button
    assert "When are you open?" in (await cat.reply()).text

    await cat.send("Funday 09:00-18:00")
    assert "don't know the day “Funday”" in (await cat.reply()).text
    await cat.send("Mon-Fri 9-21")
    bad_time = await cat.reply()
    assert "HH:MM-HH:MM" in bad_time.text and HOURS in bad_time.text
    await cat.send("Mon 10:00-10:00")
    assert "opens and closes at the same minute" in (await cat.reply()).text
    await cat.send("Mon 09:00-13:00; Mon 12:00-18:00")
    assert "overlap" in (await cat.reply()).text
    await cat.send("Daily 10:00-22:00")
    await cat.reply()
    await cat.send("D" * 1001)
    assert "1000 characters" in (await cat.reply()).text
    await cat.send("/cancel")
    await cat.reply()
    assert await Shop.all().count() == 0


async def test_sticker_and_a_sixth_photo_are_refused(bot, tg: FakeTelegram) -> None:
    cat = tg.user(19, language_code="en")
    await walk_to_phone(cat)
    for answer in ("+8613900001111", "Daily 10:00-22:00", "Skip"):
        await cat.send(answer)
        await cat.reply()
    await cat.send_sticker()
    assert "send a photo" in (await cat.reply()).text
    for i in range(5):
        await cat.send_photo(f"photo-{i}".encode())
        await cat.reply()
    assert "that's the most a page can show" in cat.last.text
    await cat.send_photo(b"photo-6")
    assert "didn't add this one" in (await cat.reply()).text
    await cat.send("✅ Done")
    _, *album, page, _ = await cat.replies(8, timeout=15)
    assert album[0].media_group_id is not None
    assert {m.media_group_id for m in album} == {album[0].media_group_id}
    assert "+86 139 0000 1111" in page.text and "Daily 10:00–22:00" in page.text
    assert await Shop.all().count() == 0


async def test_cancel_mid_flow_saves_nothing(bot, tg: FakeTelegram) -> None:
    dan = tg.user(16, language_code="en")
    await walk_to_phone(dan)
    await dan.send("/nearby")
    assert "finish this step first" in (await dan.reply()).text
    await dan.send("✖️ Cancel")
    cancelled = await dan.reply()
    assert "Cancelled" in cancelled.text and "📍 Nearby" in labels(cancelled)
    await dan.send("13812345678")  # no longer in the flow
    assert "didn't understand" in (await dan.reply()).text
    assert await Shop.all().count() == 0
    await dan.send("/myshop")
    assert "for shop owners" in (await dan.reply()).text


async def test_restart_mid_flow_resumes_at_the_same_step(bot, tg: FakeTelegram) -> None:
    eve = tg.user(17, language_code="en")
    await walk_to_phone(eve, name="Eve's Gym")
    await bot.restart()
    await eve.send("13812345678")
    assert "When are you open?" in (await eve.reply()).text
    await eve.send(HOURS)
    await eve.reply()
    await bot.restart()
    await eve.send("Skip")
    await eve.reply()
    await eve.send("Skip")
    *_, page, question = await eve.replies(3)
    assert "Eve's Gym" in page.text and "88 Nanjing Road" in page.text
    await eve.press(question, data=PreviewChoice(choice="ok").pack())
    assert "registered" in (await eve.reply()).text
    assert await Shop.filter(name="Eve's Gym", owner_id=17).exists()


async def test_preview_change_one_field_then_publish(bot, tg: FakeTelegram) -> None:
    fay = tg.user(18, language_code="en")
    await walk_to_phone(fay, name="Fay's Laundry")
    first = await walk_from_phone(fay)
    question = first[-1]
    await fay.press(question, text="✏️ Change something")
    await fay.wait_for(lambda: "📷 Photos" in question.button_texts)
    assert "🔄 Start over" in question.button_texts
    await fay.press(question, data=FixField(field="photos").pack())
    await fay.reply()
    await fay.send_photo(b"not this one")
    await fay.reply()
    await fay.send("✖️ Cancel")  # drops this change only, the registration goes on
    _, page, question = await fay.replies(3, timeout=10)
    assert "Nothing was changed" in question.text and "Fay's Laundry" in page.text
    assert not any(m.photo for m in fay.inbox)
    await fay.press(question, text="✏️ Change something")
    await fay.wait_for(lambda: "✏️ Name" in question.button_texts)
    await fay.press(question, data=FixField(field="name").pack())
    name = await fay.reply()
    assert "Now: Fay's Laundry" in name.text
    await fay.send("Fay's Wash & Fold")
    *_, page, again = await fay.replies(3, timeout=10)
    assert "Fay's Wash &amp; Fold" not in page.text and "Fay's Wash & Fold" in page.text
    older = PreviewChoice(choice="ok").pack()
    await fay.press_data(question.message_id, older)  # the older preview has expired
    assert "expired" in (await fay.callback_answer())["text"]
    await fay.press(again, data=PreviewChoice(choice="ok").pack())
    await fay.reply()
    assert [s.name for s in await Shop.all()] == ["Fay's Wash & Fold"]


async def test_myshop_edits_phone_and_hours_and_stays_findable(bot, tg: FakeTelegram) -> None:
    shop = await make_shop(20, "Max Noodles")
    max_ = tg.user(20, first_name="Max", language_code="en")
    await max_.send("/myshop")
    menu = await max_.reply()
    assert "Max Noodles" in menu.text and "✅ live" in menu.text
    assert "+86 138 1234 5678" in menu.text
    assert ServiceList(shop_id=shop.id).pack() in menu.callback_data
    assert PosterButton(shop_id=shop.id).pack() in menu.callback_data

    await max_.press(menu, text="☎️ Phone")
    ask = await max_.reply()
    assert "Now: +86 138 1234 5678" in ask.text
    await max_.send("12345")
    assert "131 2345 6789" in (await max_.reply()).text
    await max_.send("021 6321 5678")
    saved, menu = await max_.replies(2)
    assert "Saved" in saved.text and "🏪 My shop" in labels(saved)
    assert "+86 21 6321 5678" in menu.text
    assert (await Shop.get(id=shop.id)).phone == "+862163215678"

    await max_.press(menu, text="🕘 Hours")
    assert "Now: Daily 09:00–21:00" in (await max_.reply()).text
    await max_.send("Sat-Sun")
    assert "Some days have no times" in (await max_.reply()).text
    await max_.send("Daily 08:00-02:00")
    saved, menu = await max_.replies(2)
    assert "Daily 08:00–02:00" in saved.text and "Daily 08:00–02:00" in menu.text
    assert (await Shop.get(id=shop.id)).hours["w"][0] == [[480, 1560]]
    page = await search.nearby(LAT, LNG, 1000)
    assert [hit.shop_id for hit in page.hits] == [shop.id]  # an edit keeps it visible

    await max_.press(menu, text="👀 View my page")
    venue, text = await max_.replies(2)
    assert venue.venue["title"] == "Max Noodles" and "+86 21 6321 5678" in text.text


async def test_myshop_location_edit_offers_new_and_old_address(
    bot, tg: FakeTelegram, nominatim: FakeNominatim
) -> None:
    nominatim.add_place("200 Huaihai Road, Shanghai", 31.2200, 121.4600)
    shop = await make_shop(21, "Moving Shop")
    gus = tg.user(21, language_code="en")
    await gus.send("🏪 My shop")
    await gus.press(await gus.reply(), text="📍 Location")
    await gus.reply()
    await gus.send("31.2201, 121.4601")
    address = await gus.reply()
    assert labels(address) == ["200 Huaihai Road, Shanghai", "88 Nanjing Road", "✖️ Cancel"]
    await gus.send("88 Nanjing Road")
    await gus.replies(2)
    # A live shop's new pin waits for an operator (tests/e2e/test_shop_edits.py); approved:
    assert (await Shop.get(id=shop.id)).lat == LAT
    change = await shops.pending_change(shop.id)
    assert change is not None and change.address is None  # the address did not change
    await shops.decide_change(change.id, approve=True)
    moved = await Shop.get(id=shop.id)
    assert (moved.lat, moved.lng, moved.address) == (31.2201, 121.4601, "88 Nanjing Road")
    assert (await search.nearby(31.2201, 121.4601, 100)).total == 1
    assert (await search.nearby(LAT, LNG, 100)).total == 0


async def test_myshop_chooses_among_two_shops_and_refuses_forged_edits(
    bot, tg: FakeTelegram
) -> None:
    first = await make_shop(22, "First Cut")
    second = await make_shop(22, "Second Cut", category="hairdressing")
    other = await make_shop(23, "Not Yours")
    hal = tg.user(22, language_code="en")
    await hal.send("/myshop")
    pick = await hal.reply()
    assert pick.button_texts == ["First Cut · ✅ live", "Second Cut · ✅ live"]
    await hal.press(pick, text="Second Cut · ✅ live")
    await hal.wait_for(lambda: "Second Cut" in pick.text and "💇 Hairdressing" in pick.text)
    assert EditMyShop(shop_id=second.id, field="name").pack() in pick.callback_data
    assert EditMyShop(shop_id=first.id, field="name").pack() not in pick.callback_data

    await hal.press_data(pick.message_id, f"myshop:edit:{other.id}:name")
    assert "expired" in (await hal.callback_answer())["text"]
    await hal.press_data(pick.message_id, f"myshop:pick:{other.id}")
    assert "expired" in (await hal.callback_answer())["text"]
    await hal.press_data(pick.message_id, f"myshop:edit:{second.id}:owner")
    assert "expired" in (await hal.callback_answer())["text"]
    await hal.send("Hijacked")
    assert "didn't understand" in (await hal.reply()).text
    assert (await Shop.get(id=other.id)).name == "Not Yours"

    await hal.press(pick, text="📝 Description")
    await hal.reply()
    await hal.press(pick, text="✏️ Name")  # another edit while this one waits
    assert "finish this step first" in (await hal.callback_answer())["text"]
    await hal.send("Cuts & curls for the whole family.")
    await hal.replies(2)
    assert (await Shop.get(id=second.id)).description == "Cuts & curls for the whole family."
    assert (await Shop.get(id=first.id)).description == ""


async def test_consumer_gets_a_polite_explanation_for_myshop(bot, tg: FakeTelegram) -> None:
    ivy = tg.user(24, language_code="en")
    await ivy.send("/myshop")
    reply = await ivy.reply()
    assert "for shop owners and their staff" in reply.text and "/newshop" in reply.text
    assert not reply.buttons
    await ivy.send("/help")
    await ivy.reply()
    assert len(ivy.inbox) == 2  # nothing else happened
    assert "myshop" not in tg.commands_for(24, "en")
