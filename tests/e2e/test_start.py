"""Everyone: /start in the user's language (a customer, nothing asked), the main menu fitting
the roles, shop links, the profile reminder once, /help, /cancel."""

from __future__ import annotations

from typing import Any

import pytest

from bot.models import User
from bot.ui import base
from tests.e2e.helpers import make_shop, onboard
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage


def labels(message: BotMessage) -> list[str]:
    return [label for row in message.reply_keyboard or [] for label in row]


async def test_start_greets_a_customer_without_asking_a_role(bot, tg: FakeTelegram) -> None:
    ann = tg.user(1, first_name="Ann", language_code="en")
    await ann.send("/start")
    welcome = await ann.reply()
    assert "Hello Ann" in welcome.text and "📍 Nearby" in welcome.text
    assert "/newshop" in welcome.text  # how shop owners begin
    assert not welcome.buttons  # no role question
    assert "📍 Nearby" in labels(welcome) and "🎟 My coupons" in labels(welcome)
    assert "🏪 My shop" not in labels(welcome) and "🧾 Counter" not in labels(welcome)
    user = await User.get(id=1)
    assert user.is_consumer and not user.is_merchant and user.role_chosen

    await ann.send("/start")
    again, reminder = await ann.replies(2)  # the profile reminder waits for a later visit
    assert "Welcome back" in again.text and not again.buttons
    assert "your name" in reminder.text and "your mobile phone" in reminder.text
    assert "birthday" in reminder.text  # every missing field in one message
    await ann.send("/start")
    assert "Welcome back" in (await ann.reply()).text
    await ann.send("/help")
    assert "/nearby" in (await ann.reply()).text
    assert sum("profile is missing" in (m.text or "") for m in ann.inbox) == 1  # once only


async def test_start_in_chinese_and_merchants_get_the_counter(bot, tg: FakeTelegram) -> None:
    li = tg.user(2, first_name="李雷", language_code="zh-hans")
    await li.send("/start")
    welcome = await li.reply()
    assert "李雷，您好" in welcome.text and "/newshop" in welcome.text
    assert "📍 附近" in labels(welcome) and "🏪 我的店铺" not in labels(welcome)

    await make_shop("老李面馆", owner_id=2)  # what /newshop does (tests/e2e/test_newshop.py)
    await li.send("/start")
    menu = await li.reply()
    assert "欢迎回来" in menu.text
    assert menu.reply_keyboard[2] == ["🧾 收银台"]  # the counter first among shop rows
    assert "🏪 我的店铺" in labels(menu) and "➕ 新店铺" in labels(menu)
    assert "📍 附近" in labels(menu)  # still a customer too
    await li.send("/help")
    await li.reply()
    assert not any("资料还缺少" in (m.text or "") for m in li.inbox)  # merchants: no reminder


async def test_shop_links_never_ask_a_role_nor_remind(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Noodle Bar")
    bob = tg.user(6, first_name="Bob", language_code="en")
    await bob.send(f"/start shop_{shop.id}")
    venue, page, welcome = await bob.replies(3)  # the page first, then the menu
    assert venue.method == "sendVenue" and "Noodle Bar" in page.text
    assert "Hello Bob" in welcome.text and not welcome.buttons
    for _ in range(2):
        await bob.send(f"/start shop_{shop.id}")
        _, again = await bob.replies(2)
        assert "Noodle Bar" in again.text
    await bob.send("/help")
    await bob.reply()
    texts = " ".join(m.text or "" for m in bob.inbox)
    assert texts.count("Hello Bob") == 1 and "profile is missing" not in texts


async def test_forged_button_and_cancel_outside_flow(bot, tg: FakeTelegram) -> None:
    ann = tg.user(3, first_name="Ann", language_code="en")
    await ann.send("/start")
    welcome = await ann.reply()
    await ann.press_data(welcome.message_id, "role:c")  # the old role question's button
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


async def test_the_user_row_is_loaded_once_per_update(
    bot, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One read (or creation) of the sender's row per update, however many handlers run;
    updates from nobody or from a bot, and membership changes, load nothing and break
    nothing."""
    loaded: list[int] = []
    real = base.ensure_user

    async def counting(telegram_id: int, *args: Any) -> User:
        loaded.append(telegram_id)
        return await real(telegram_id, *args)

    monkeypatch.setattr(base, "ensure_user", counting)
    ann = tg.user(5, first_name="Ann", language_code="en")
    await onboard(ann)  # /start
    assert loaded == [5]

    tg.block(5, notify_bot=True)
    tg.unblock(5, notify_bot=True)
    channel = {"id": -1001, "type": "channel", "title": "News"}
    tg.enqueue_update(
        {"channel_post": {"message_id": 1, "date": 0, "chat": channel, "text": "/start"}}
    )
    other_bot = {"id": 777, "is_bot": True, "first_name": "Robot"}
    chat = {"id": 777, "type": "private", "first_name": "Robot"}
    tg.enqueue_update(
        {"message": {"message_id": 1, "date": 0, "chat": chat, "from": other_bot, "text": "/help"}}
    )
    await ann.send("/help")  # updates are handled in order: the ones above are done by now
    assert "/nearby" in (await ann.reply()).text
    assert loaded == [5, 5]
    assert not tg.chat_messages(777) and not tg.chat_messages(-1001)
    assert await User.filter(id__in=(777, -1001)).count() == 0
