"""Paying part of a purchase with points or stored value: the customer approves in their own
chat with the consumption password (its message deleted at once), or declines; wrong
passwords count down and the fifth locks spending for 15 minutes; an expired request's
buttons answer politely. Both chats are edited with the outcome; nothing moves until approved.
After every story the ledger balances."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import clock
from bot.clock import FrozenClock
from bot.config import Config
from bot.models import MemberCard, Purchase, SpendRequest, SpendStatus, User
from bot.services import cards, ledger, passwords
from bot.services.users import set_roles
from scheduler import views_of
from scheduler.spend_requests import close_lapsed
from tests.e2e.helpers import make_shop
from tests.e2e.test_counter import ANN, Counter, card_program, card_screen
from tests.e2e.test_wallet import MORNING, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser
from tests.ledger_check import assert_ledger_balanced

PIN = "135790"


def saved(config: Config) -> bytes:
    """The persistence file as written."""
    return Path(config.persistence_file).read_bytes()


STORY: list[str] = []


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


@pytest.fixture
async def counter(bot, tg: FakeTelegram, frozen: FrozenClock) -> Iterator[Counter]:
    """Ann holds 2,000 points (worth ¥20) and ¥100 of stored value, with a password."""
    shop = await make_shop("Lao Wang Noodles")
    await card_program(shop)
    ann = await customer(tg, ANN, "Ann")
    card = await cards.join(shop.id, ANN, now=MORNING)
    await set_roles(await User.get(id=shop.owner_id), consumer=False, merchant=True)
    await passwords.set_password(card.id, PIN)
    await ledger.adjust_points(
        card.id, shop.owner_id, 2000, "welcome", key="t-welcome", now=MORNING
    )
    await ledger.top_up(card.id, shop.owner_id, 100_00, key="t-top", now=MORNING)
    yield Counter(shop, await MemberCard.get(id=card.id), await owner(tg), ann)
    await assert_ledger_balanced()


async def ask_with_points(counter: Counter, amount: str = "58") -> tuple[BotMessage, BotMessage]:
    """Staff: the card, the amount, ☐ Pay with points, then 📲 Ask; the customer's request."""
    boss, ann = counter.boss, counter.ann
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(counter.card.number)
    await card_screen(boss)
    await boss.send(amount)
    sure = await boss.reply()
    toggle = next(b for b in sure.button_texts if "Pay with points" in b)
    edits = len(sure.edits)
    await boss.press(sure, text=toggle)
    await boss.callback_answer()
    await boss.wait_for(lambda: len(sure.edits) > edits)
    assert "Paid with 2000 points: −¥20.00" in sure.text and "To pay now: ¥38.00" in sure.text
    await boss.press(sure, text="📲 Ask the customer to approve")
    await boss.callback_answer()
    request = await ann.reply()
    await boss.wait_for(lambda: "Waiting for Ann" in (sure.text or ""))
    return sure, request


async def test_approve_with_password(counter: Counter) -> None:
    boss, ann = counter.boss, counter.ann
    sure, request = await ask_with_points(counter)
    assert "Lao Wang Noodles" in request.text and "¥58.00" in request.text
    assert "2000 points" in request.text
    assert not await Purchase.exists()  # nothing moves before the customer approves

    await ann.press(request, text="✅ Approve")
    await ann.callback_answer()
    assert "six-digit consumption password" in (await ann.reply()).text
    typed = await ann.send(PIN)
    await ann.wait_for(lambda: typed.deleted)
    await ann.wait_for(lambda: "Approved" in (request.text or ""))
    receipt = await ann.reply()
    assert "¥58.00" in receipt.text and "Points used: 2000" in receipt.text
    assert "Paid at the counter: ¥38.00" in receipt.text
    await boss.wait_for(lambda: "approved" in (sure.text or ""))
    assert "To pay now: ¥38.00" in sure.text and "Paid with 2000 points: −¥20.00" in sure.text
    assert not sure.buttons and not request.buttons
    purchase = await Purchase.get(card_id=counter.card.id)
    assert purchase.points_spent == 2000
    card = await MemberCard.get(id=counter.card.id)
    assert card.points == purchase.points_earned  # 2000 spent, then earned on the rest
    STORY[:] = [boss.transcript(), ann.transcript()]

    # The approval button again: the request was decided.
    await ann.press_data(request.message_id, f"spd:ok:{(await SpendRequest.first()).id}")
    assert "expired" in (await ann.callback_answer())["text"]
    assert await Purchase.filter(card_id=counter.card.id).count() == 1


async def test_decline_tells_the_staff(counter: Counter) -> None:
    boss, ann = counter.boss, counter.ann
    sure, request = await ask_with_points(counter)
    await ann.press(request, text="✖️ Decline")
    await ann.callback_answer()
    await boss.wait_for(lambda: "declined" in (sure.text or ""))
    await ann.wait_for(lambda: "Declined" in (request.text or ""))
    assert (await SpendRequest.first()).status == SpendStatus.DECLINED
    assert not await Purchase.exists()
    assert (await MemberCard.get(id=counter.card.id)).points == 2000


async def test_wrong_passwords_then_lockout(
    bot, config: Config, counter: Counter, frozen: FrozenClock
) -> None:
    boss, ann = counter.boss, counter.ann
    sure, request = await ask_with_points(counter)
    await ann.press(request, text="✅ Approve")
    await ann.callback_answer()
    await ann.reply()
    await ann.send("024680")
    assert "4 tries left" in (await ann.reply()).text
    # As saved mid-way: the approval waits for the password; no typed password is kept.
    await bot.stop()
    raw = saved(config)
    assert b"spend.pin" in raw and b"024680" not in raw and PIN.encode() not in raw
    await bot.start()
    for left in (3, 2, 1):
        await ann.send("000000")
        assert f"{left} tr" in (await ann.reply()).text
    await ann.send("000000")
    locked = await ann.reply()
    assert "locked until" in locked.text
    await boss.wait_for(lambda: "locked" in (sure.text or ""))
    assert not await Purchase.exists()
    assert all(m.deleted for m in ann.sent if m.text == "000000")

    card = await MemberCard.get(id=counter.card.id)
    assert card.locked_until is not None and card.points == 2000


async def test_stale_approval_button(counter: Counter, frozen: FrozenClock) -> None:
    ann = counter.ann
    sure, request = await ask_with_points(counter)
    frozen.advance(minutes=30)
    await ann.press(request, text="✅ Approve")
    assert "expired" in (await ann.callback_answer())["text"]
    # Both chats are told it lapsed; its buttons are gone.
    await ann.wait_for(lambda: "request expired" in (request.text or ""))
    await counter.boss.wait_for(lambda: "expired: nothing was recorded" in (sure.text or ""))
    assert not request.buttons and (await SpendRequest.first()).status == SpendStatus.EXPIRED
    await ann.send(PIN)  # not inside any flow: no approval, no purchase
    await ann.reply()
    assert not await Purchase.exists()


async def test_someone_else_cannot_approve(counter: Counter, tg: FakeTelegram) -> None:
    await ask_with_points(counter)
    ben: FakeUser = await customer(tg, 41, "Ben")
    request_id = (await SpendRequest.first()).id
    await ben.send("/help")
    message = await ben.reply()
    await ben.press_data(message.message_id, f"spd:ok:{request_id}")
    assert "expired" in (await ben.callback_answer())["text"]
    assert (await SpendRequest.get(id=request_id)).status == SpendStatus.PENDING


async def test_an_unanswered_request_lapses_in_both_chats(
    bot, counter: Counter, frozen: FrozenClock
) -> None:
    """Nobody answers: the scheduler's job expires it once and edits both messages."""
    sure, request = await ask_with_points(counter)
    assert await close_lapsed(views_of(bot.app), clock.now()) == 0  # not yet
    frozen.advance(minutes=6)
    assert await close_lapsed(views_of(bot.app), clock.now()) == 1
    await counter.ann.wait_for(lambda: "request expired" in (request.text or ""))
    await counter.boss.wait_for(lambda: "expired: nothing was recorded" in (sure.text or ""))
    assert not request.buttons
    assert await close_lapsed(views_of(bot.app), clock.now()) == 0  # once
    assert (await SpendRequest.first()).status == SpendStatus.EXPIRED
    assert not await Purchase.exists()
