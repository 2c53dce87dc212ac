"""Profile: name, phone (typed or contact button, validated), birthday; settings."""

from __future__ import annotations

from datetime import date

from bot.models import Place, User
from bot.ui.buttons.settings import ChooseQuietHours, ChooseRadius
from tests.e2e.helpers import onboard
from tests.fakes.telegram import FakeTelegram


async def test_reminder_walks_through_missing_fields(bot, tg: FakeTelegram) -> None:
    ann = tg.user(11, first_name="Ann", language_code="en")
    await onboard(ann)
    await ann.send("/start")  # the reminder comes on a later visit, not at first contact
    _, reminder = await ann.replies(2)
    await ann.press(reminder, text="✍️ Complete my profile")
    assert "call you" in (await ann.reply()).text
    await ann.send("x" * 65)
    assert "between 1 and 64" in (await ann.reply()).text
    await ann.send("Ann Lee")
    ask_phone = await ann.reply()
    assert ask_phone.reply_keyboard[0][0] == "📱 Share my phone number"

    await ann.send("1381234567")  # 10 digits
    refusal = await ann.reply()
    assert "11 digits" in refusal.text and "131 2345 6789" in refusal.text
    assert (await User.get(id=11)).phone is None  # never saved
    await ann.share_contact("+8613912345678", user_id=999)
    assert "your own number" in (await ann.reply()).text
    await ann.share_contact("8613812345678")
    assert "birthday" in (await ann.reply()).text

    await ann.send("2990-01-01")
    assert "can't be a birthday" in (await ann.reply()).text
    await ann.send("21/05/1990")
    assert "couldn't read" in (await ann.reply()).text
    await ann.send("1990-05-21")
    done = await ann.reply()
    assert "+86 138 1234 5678" in done.text and "1990-05-21" in done.text
    user = await User.get(id=11)
    assert (user.name, user.phone, user.birthday) == (
        "Ann Lee",
        "+8613812345678",
        date(1990, 5, 21),
    )


async def test_profile_edit_one_field_in_chinese_and_cancel(bot, tg: FakeTelegram) -> None:
    li = tg.user(12, first_name="李", language_code="zh-hans")
    await onboard(li)
    await li.send("/profile")
    card = await li.reply()
    assert "未填写" in card.text
    await li.press(card, text="📱 手机号")
    assert "11 位" not in (await li.reply()).text
    await li.send("abc")
    assert "11 位" in (await li.reply()).text
    await li.send("/cancel")
    assert "已取消" in (await li.reply()).text
    assert (await User.get(id=12)).phone is None


async def test_settings_language_radius_and_places(bot, tg: FakeTelegram) -> None:
    bo = tg.user(13, first_name="Bo", language_code="en")
    await onboard(bo)
    await bo.send("/settings")
    menu = await bo.reply()
    assert "Language: English" in menu.text and "2.0 km" in menu.text
    await bo.press(menu, text="📏 Search radius")
    radius = await bo.wait_for(lambda: menu.edits and menu)
    await bo.press(radius, text="5.0 km")
    await bo.wait_for(lambda: "5.0 km" in (menu.text or ""))
    assert (await User.get(id=13)).default_radius_m == 5000

    await bo.send("/settings")
    menu = await bo.reply()
    await bo.press(menu, text="📌 Saved places")
    await bo.wait_for(lambda: menu.edits and menu)
    await bo.press(menu, text="Set 🏠 Home")
    await bo.reply()
    await bo.send("my house")
    assert "share a location" in (await bo.reply()).text
    await bo.share_location(95.0, 10.0)
    assert "out of range" in (await bo.reply()).text
    await bo.share_location(31.2304, 121.4737)
    await bo.replies(2)
    place = await Place.get(user_id=13)
    assert (place.label, place.lat) == ("home", 31.2304)

    await bo.send("/settings")
    menu = await bo.reply()
    await bo.press(menu, text="🌐 Language")
    await bo.wait_for(lambda: menu.edits and menu)
    await bo.press(menu, text="简体中文")
    switched = await bo.reply()
    assert "简体中文" in switched.text
    assert ["📍 附近", "🔎 搜索"] in switched.reply_keyboard
    await bo.press_data(menu.message_id, ChooseRadius(metres=12345).pack())  # never offered
    assert "失效" in (await bo.callback_answer())["text"]


async def test_quiet_hours_are_chosen_in_settings(bot, tg: FakeTelegram) -> None:
    cy = tg.user(14, first_name="Cy", language_code="en")
    await onboard(cy)
    await cy.send("/settings")
    menu = await cy.reply()
    assert "Quiet hours: 22:00–08:00" in menu.text  # the default
    await cy.press(menu, text="🌙 Quiet hours")
    await cy.wait_for(lambda: menu.edits and menu)
    assert menu.button_texts == [
        "21:00–08:00",
        "22:00–08:00",
        "23:00–07:00",
        "00:00–07:00",
        "none",
    ]
    await cy.press(menu, text="23:00–07:00")
    await cy.wait_for(lambda: "Quiet hours: 23:00–07:00." in (menu.text or ""))
    user = await User.get(id=14)
    assert (user.quiet_start, user.quiet_end) == (23 * 60, 7 * 60)

    forged = ChooseQuietHours(start=600, end=660).pack()  # not an offered window
    await cy.press_data(menu.message_id, forged)
    assert "expired" in (await cy.callback_answer())["text"]
    user = await User.get(id=14)
    assert (user.quiet_start, user.quiet_end) == (23 * 60, 7 * 60)

    await cy.send("/settings")
    menu = await cy.reply()
    await cy.press(menu, text="🌙 Quiet hours")
    await cy.wait_for(lambda: menu.edits and menu)
    await cy.press(menu, text="none")
    await cy.wait_for(lambda: "Quiet hours: none." in (menu.text or ""))
    user = await User.get(id=14)
    assert user.quiet_start == user.quiet_end  # no quiet window: pushes go out at once
