"""Pressing Send more than once never sends twice: a double tap, the button of an older preview,
a forged key, and a press after a restart whose conversation state had not been saved yet (the
process-level crash tests are in test_campaign_crash.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clock import FrozenClock
from bot.flows.promo import CONFIRM
from bot.models import Outbox, Promotion, PromotionStatus
from tests.e2e.helpers import make_shop
from tests.e2e.test_promo import NOON, compose, delivered, follower
from tests.e2e.test_wallet import frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage

SEND = "✅ Send now"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(NOON) as stopped:
        yield stopped


def send_data(confirm: BotMessage) -> str:
    [data] = [d for d in confirm.callback_data if d.startswith("promo:send:")]
    return data


async def test_a_double_tap_sends_once_and_shows_where_it_stands(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    people = [await follower(tg, 60 + i, shop) for i in range(3)]
    _, confirm = await compose(boss, "Dumplings today", "⭐ Your followers")
    data = send_data(confirm)
    await boss.press_data(confirm.message_id, data)  # both presses reach the bot
    await boss.press_data(confirm.message_id, data)  # before it answered either
    await delivered(tg, [p.id for p in people])
    replies = await boss.replies(4, timeout=15)
    texts = [m.text for m in replies]
    assert sum("On its way to 3 people" in t for t in texts) == 1
    [status] = [t for t in texts if "already sent this one" in t]
    assert "/ 3 delivered" in status or "Delivered to" in status
    assert "Already sent" in tg.callback_answers[-1]["text"]
    assert not confirm.buttons  # taken off the preview's question
    assert await Promotion.all().count() == 1
    assert all(len(p.inbox) == 1 for p in people)
    assert await Outbox.all().count() == 3

    await boss.press_data(confirm.message_id, data)  # much later: the final report
    again = await boss.reply(timeout=10)
    assert "already sent this one" in again.text and "Delivered to 3 of 3 people" in again.text
    assert all(len(p.inbox) == 1 for p in people)
    # The second of the double tap saw the buttons still there, and asked to remove them again.
    assert {e.description.split(":")[1] for e in tg.errors} <= {" message is not modified"}


async def test_an_older_previews_button_and_forged_keys_send_nothing(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    ann = await follower(tg, 70, shop)
    _, old = await compose(boss, "First idea", "⭐ Your followers")
    _, new = await compose(boss, "Better idea", "⭐ Your followers")  # /promo again
    await boss.press(old, text=SEND)
    assert "expired" in (await boss.callback_answer())["text"]
    for forged in ("promo:send:", "promo:send:nope", "promo:send:a:b", "promo:send"):
        await boss.press_data(new.message_id, forged)
        assert "expired" in (await boss.callback_answer())["text"]
    assert not await Promotion.exists()

    await boss.press(new, text=SEND)
    assert "On its way to 1 person" in (await boss.reply()).text
    await delivered(tg, [ann.id])
    await boss.press_data(old.message_id, send_data(old))  # still expired: never launched
    assert "expired" in (await boss.callback_answer())["text"]
    assert [m.text.splitlines()[2] for m in ann.inbox] == ["Better idea"]
    promotion = await Promotion.get()
    assert promotion.status in (PromotionStatus.SENDING, PromotionStatus.SENT)
    assert promotion.text == "Better idea"


async def test_a_press_after_a_restart_that_lost_the_conversation_finds_the_campaign(
    bot, tg: FakeTelegram
) -> None:
    """The bot saves conversations every few seconds: after a crash it may still believe the
    merchant is looking at the preview. Send, pressed again, must not launch a second copy."""
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    ann = await follower(tg, 80, shop)
    _, confirm = await compose(boss, "Noodles at noon", "⭐ Your followers")
    data = send_data(confirm)
    draft = dict(bot.app.user_data[boss.id]["drafts"]["promo"])  # as shown in the preview
    persistence = bot.app.persistence
    await boss.press(confirm, text=SEND)
    launched, _progress, report = await boss.replies(3, timeout=15)
    assert "On its way" in launched.text and "Delivered to 1 of 1" in report.text
    await bot.stop()
    # What a crash right after the press would have left on disk: the conversation at the
    # preview, with its draft and key.
    await persistence.update_conversation("promo", (boss.id, boss.id), CONFIRM)
    await persistence.update_user_data(boss.id, {"drafts": {"promo": draft}})
    await persistence.flush()
    await bot.start()
    await boss.press_data(confirm.message_id, data)
    status = await boss.reply(timeout=10)
    assert "already sent this one" in status.text
    await boss.send("Hello")  # the flow is over: plain text goes to the menu handler
    assert "didn't understand" in (await boss.reply()).text
    assert len(ann.inbox) == 1 and await Promotion.all().count() == 1
