"""Everyone: /start in the user's language, role choice, main menu, /help, /cancel."""

from __future__ import annotations

from tests.fakes.telegram import FakeTelegram


async def test_start_greets_in_english_and_asks_role_once(bot, tg: FakeTelegram) -> None:
    ann = tg.user(1, first_name="Ann", language_code="en")
    await ann.send("/start")
    welcome = await ann.reply()
    assert "Hello Ann" in welcome.text
    assert welcome.button_texts == ["🛍 I'm a customer", "🏪 I run a shop", "Both"]

    await ann.press(welcome, text="🛍 I'm a customer")
    menu = await ann.reply()
    assert "Nearby" in menu.text
    assert menu.reply_keyboard is not None
    labels = [label for row in menu.reply_keyboard for label in row]
    assert "📍 Nearby" in labels and "🏪 My shop" not in labels
    reminder = await ann.reply()
    assert "your name" in reminder.text and "your mobile phone" in reminder.text
    assert "birthday" in reminder.text  # every missing field in one message

    await ann.send("/start")
    again = await ann.reply()
    assert "Welcome back" in again.text  # asked once only
    assert not again.buttons
    await ann.send("/help")
    assert "/nearby" in (await ann.reply()).text
    assert "reminder" not in " ".join(m.text or "" for m in ann.inbox[4:]).lower()


async def test_start_in_chinese_merchant_menu(bot, tg: FakeTelegram) -> None:
    li = tg.user(2, first_name="李雷", language_code="zh-hans")
    await li.send("/start")
    welcome = await li.reply()
    assert "李雷，您好" in welcome.text
    await li.press(welcome, text="🏪 我是店主")
    menu = await li.reply()
    labels = [label for row in menu.reply_keyboard for label in row]
    assert "🏪 我的店铺" in labels and "➕ 新店铺" in labels


async def test_forged_button_and_cancel_outside_flow(bot, tg: FakeTelegram) -> None:
    ann = tg.user(3, first_name="Ann", language_code="en")
    await ann.send("/start")
    welcome = await ann.reply()
    await ann.press_data(welcome.message_id, "role:x")
    answer = await ann.callback_answer()
    assert "expired" in answer["text"]
    await ann.press_data(welcome.message_id, "nonsense")
    assert "expired" in (await ann.callback_answer())["text"]
    await ann.send("/cancel")
    assert "nothing to cancel" in (await ann.reply()).text.lower()


async def test_default_commands_per_language(bot, tg: FakeTelegram) -> None:
    tg.user(4, language_code="zh")
    assert "nearby" in tg.commands_for(4, "en")
    assert "myshop" not in tg.commands_for(4, "en")
    assert "newshop" in tg.commands_for(4, "zh")


async def test_operator_sees_pending_in_their_chat_only(bot, tg: FakeTelegram) -> None:
    from tests.e2e.conftest import OPERATOR_ID

    tg.user(5, language_code="en")
    assert "pending" in tg.commands_for(OPERATOR_ID, "en")
    assert "myshop" not in tg.commands_for(OPERATOR_ID, "en")  # runs no shop
    assert "pending" not in tg.commands_for(5, "en")
