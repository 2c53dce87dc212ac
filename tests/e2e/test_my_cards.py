"""My cards: every card as its picture, nearest to home first (else most recently used), 🔄 New
QR in place with the old code refused afterwards, the history paged with ◀ ▶, changing the
password, a reset the shop's owner approves, and card links opened by their holder or by someone
else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clock import FrozenClock
from bot.models import (
    CardProgram,
    MemberCard,
    PasswordReset,
    ResetStatus,
    Shop,
    Staff,
    StaffRole,
    Tier,
)
from bot.services import card_tokens, cards, ledger, passwords
from bot.services.cards import CardError, display_number
from bot.services.users import save_place
from bot.ui.buttons.cards import DecideReset
from tests.e2e.cards_helpers import make_program, token_of
from tests.e2e.conftest import BotRunner
from tests.e2e.helpers import LAT, LNG, OWNER_ID, make_shop
from tests.e2e.test_wallet import MORNING, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser
from tests.ledger_check import assert_ledger_balanced

PIN, NEW_PIN = "583920", "204816"


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


async def member(shop: Shop, user_id: int, *, pin: str | None = None) -> MemberCard:
    card = await cards.join(shop.id, user_id, now=MORNING)
    if pin is not None:
        await passwords.set_password(card.id, pin)
    return card


async def my_cards(person: FakeUser, count: int) -> list:
    await person.send("/cards")
    heading, *pictures = await person.replies(1 + count)
    return [heading, *pictures]


async def test_cards_sorted_by_home_else_by_last_use(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    near_home = await make_shop("Corner Noodles", north_m=5_000)
    far = await make_shop("Far Laundry", north_m=0, category="laundry")
    for shop in (near_home, far):
        await make_program(shop)
    ann = await customer(tg, 71)
    await member(near_home, 71)
    frozen.advance(minutes=5)
    far_card = await member(far, 71)

    # No home saved: the card used last comes first (Far Laundry: joined last, then a purchase).
    await ledger.record_purchase(far.id, far_card, 2_800, OWNER_ID, key="p1", now=MORNING)
    heading, first, second = await my_cards(ann, 2)
    assert "most recently used first" in heading.text
    assert "Far Laundry" in (first.caption or "") and "Corner Noodles" in (second.caption or "")
    assert "Points: 28" in (first.caption or "")
    await assert_ledger_balanced()

    # Home saved near Corner Noodles: nearest first.
    await save_place(71, "home", LAT + 5_000 / 111_195, LNG)
    heading, first, second = await my_cards(ann, 2)
    assert "nearest to home first" in heading.text
    assert "Corner Noodles" in (first.caption or "") and "Far Laundry" in (second.caption or "")
    assert (first.caption or "").startswith("📍 0 m from home")
    assert (second.caption or "").startswith("📍 5.0 km from home")

    # The menu button does the same.
    await ann.send("💳 My cards")
    assert "nearest to home first" in (await ann.reply()).text


async def test_new_qr_replaces_the_code_and_the_old_one_stops_working(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop)
    ann = await customer(tg, 72)
    card = await member(shop, 72)
    _, picture = await my_cards(ann, 1)
    old = token_of(tg, picture)
    assert await card_tokens.verify(old, MORNING) == card.id

    frozen.advance(minutes=1)
    await ann.press(picture, text="🔄 New QR")
    assert "previous one no longer works" in (await ann.callback_answer())["text"]
    await ann.wait_for(lambda: picture.edits)
    new = token_of(tg, picture)  # the same message, redrawn
    assert new != old and await card_tokens.verify(new, frozen.now()) == card.id

    frozen.advance(minutes=15)  # past the old code's few minutes
    with pytest.raises(CardError) as refused:
        await card_tokens.verify(old, frozen.now())
    assert refused.value.reason == "expired_qr"
    await ann.send(f"/start card_{old}")  # the old picture's code no longer opens anything
    assert (await ann.reply()).method == "sendMessage"


async def test_card_links_of_the_holder_and_of_someone_else(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop)
    ann, bob = await customer(tg, 73), await customer(tg, 74, "Bob")
    card = await member(shop, 73)
    token = await card_tokens.issue(card, MORNING)

    await ann.send(f"/start card_{token}")
    mine = await ann.reply()
    assert mine.method == "sendPhoto" and display_number(card.number) in (mine.caption or "")

    # Someone else (not on any shop's staff): nothing of Ann's card is shown.
    for link in (f"card_{token}", "card_not-a-token"):
        await bob.send(f"/start {link}")
        refusal = await bob.reply()
        assert refusal.method == "sendMessage" and "If it's your card" in refusal.text
        assert display_number(card.number) not in refusal.text

    # Someone else's card buttons, forged: expired, nothing shown.
    await bob.press_data(mine.message_id, f"crd:qr:{card.id}")
    assert "expired" in (await bob.callback_answer())["text"]
    await bob.press_data(mine.message_id, f"crd:hist:{card.id}:0")
    assert "expired" in (await bob.callback_answer())["text"]


async def test_history_is_paged(bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop)
    ann = await customer(tg, 75)
    card = await member(shop, 75)
    for n in range(12):
        frozen.advance(hours=1)
        await ledger.record_purchase(
            shop.id, card, 1_000 + n, OWNER_ID, key=f"h{n}", now=frozen.now()
        )
    await assert_ledger_balanced()
    _, picture = await my_cards(ann, 1)

    await ann.press(picture, text="📜 History")
    page = await ann.reply()
    assert "card history (1/2)" in page.text
    assert page.text.count("Purchase") == 10
    assert "Purchase ¥10.11: +10 points" in page.text  # newest first
    assert page.button_texts == ["▶"]

    await ann.press(page, text="▶")
    await ann.wait_for(lambda: page.edits)
    assert "card history (2/2)" in page.text and page.text.count("Purchase") == 2
    assert "Purchase ¥10.00: +10 points" in page.text
    assert page.button_texts == ["◀"]
    await ann.press(page, text="◀")
    await ann.wait_for(lambda: len(page.edits) == 2)
    assert "card history (1/2)" in page.text


async def test_history_names_every_kind_of_move(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    program = await make_program(shop, stored_value=True)
    await CardProgram.filter(id=program.id).update(points_expiry_months=1)
    li = await customer(tg, 79, "李雷", "zh-hans")
    card = await member(shop, 79)
    now = frozen.now
    await ledger.record_purchase(shop.id, card, 2_800, OWNER_ID, key="k1", now=now())
    await ledger.top_up(card.id, OWNER_ID, 50_000, key="k2", now=now())
    await ledger.adjust_points(card.id, OWNER_ID, 50, "生日<礼物>", key="k3", now=now())
    second = await ledger.record_purchase(shop.id, card, 1_000, OWNER_ID, key="k4", now=now())
    await ledger.void_purchase(second.purchase.id, OWNER_ID, now=now())
    frozen.advance(days=40)
    assert await ledger.expire_points(frozen.now()) > 0
    await assert_ledger_balanced()

    _, picture = await my_cards(li, 1)
    await li.press(picture, text="📜 消费记录")
    page = (await li.reply()).text
    assert "会员卡记录（1/1）" in page
    assert "消费 ¥28.00：积分 +28" in page and "充值 ¥500.00" in page
    assert "店家调整积分 +50 — 生日<礼物>" in page  # the reason as typed, escaped on the way
    assert "店家撤销：积分 -10" in page and "积分已过期" in page
    assert page.index("积分已过期") < page.index("充值")  # newest first


async def test_change_the_password_with_the_old_one(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop, stored_value=True)
    ann = await customer(tg, 76)
    card = await member(shop, 76, pin=PIN)
    _, picture = await my_cards(ann, 1)

    await ann.press(picture, text="🔑 Password")
    menu = await ann.reply()
    await ann.press(menu, text="✏️ Change password")
    assert "current six-digit password" in (await ann.reply()).text
    wrong = await ann.send("000000")
    assert "not the current password" in (await ann.reply()).text
    old = await ann.send(PIN)
    assert "new six-digit password" in (await ann.reply()).text
    new = await ann.send(NEW_PIN)
    await ann.reply()
    again = await ann.send(NEW_PIN)
    done, _card = await ann.replies(2)
    assert "Password changed" in done.text
    assert all(m.deleted for m in (wrong, old, new, again))
    card = await MemberCard.get(id=card.id)
    assert passwords.verify_password(NEW_PIN, card.password_hash or "")
    assert not passwords.verify_password(PIN, card.password_hash or "")


async def test_reset_approved_by_the_owner(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop, stored_value=True)
    ann = await customer(tg, 77, "Ann")
    clerk = await customer(tg, 78, "Zhou")
    await Staff.create(shop=shop, user_id=78, role=StaffRole.CLERK)
    boss = await owner(tg)
    card = await member(shop, 77, pin=PIN)
    _, picture = await my_cards(ann, 1)

    await ann.press(picture, text="🔑 Password")
    menu = await ann.reply()
    await ann.press(menu, text="❓ Forgot password")
    assert "asked the owner of Lao Wang Noodles" in (await ann.reply()).text
    request = await boss.reply()
    assert f"card No. {display_number(card.number)}" in request.text and "Ann" in request.text
    reset = await PasswordReset.get(card_id=card.id)
    frozen.advance(minutes=1)
    await ann.press(menu, text="❓ Forgot password")  # again: the request is already waiting
    assert "already waiting" in (await ann.callback_answer())["text"]
    assert await PasswordReset.filter(card_id=card.id).count() == 1

    # A clerk or the customer pressing the owner's button (forged): refused, nothing changes.
    approve = DecideReset(reset_id=reset.id, approve=True).pack()
    await clerk.press_data(request.message_id, approve)
    assert "Only the shop's owner" in (await clerk.callback_answer())["text"]
    await ann.press_data(picture.message_id, approve)
    assert "expired" in (await ann.callback_answer())["text"]
    assert (await PasswordReset.get(id=reset.id)).status == ResetStatus.PENDING

    await boss.press(request, text="✅ Approve")
    await boss.wait_for(lambda: request.edits)
    assert "Reset approved" in request.text
    told = await ann.reply()
    assert "reset your card password" in told.text
    assert (await MemberCard.get(id=card.id)).password_hash is None

    await boss.press_data(request.message_id, approve)  # twice: decided already
    assert "already decided" in (await boss.callback_answer())["text"]

    await ann.press(told, text="🔑 Set password")
    await ann.reply()
    await ann.send(NEW_PIN)
    await ann.reply()
    await ann.send(NEW_PIN)
    done, _ = await ann.replies(2)
    assert "Password set" in done.text
    card = await MemberCard.get(id=card.id)
    assert passwords.verify_password(NEW_PIN, card.password_hash or "")


async def test_reset_refused_and_wrong_current_passwords_lock(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await make_program(shop, points_off=100)
    ann = await customer(tg, 80, "Ann")
    boss = await owner(tg)
    card = await member(shop, 80, pin=PIN)
    _, picture = await my_cards(ann, 1)

    await ann.press(picture, text="🔑 Password")
    menu = await ann.reply()
    await ann.press(menu, text="❓ Forgot password")
    await ann.reply()
    request = await boss.reply()
    await boss.press(request, text="✖️ Refuse")
    await boss.wait_for(lambda: request.edits)
    assert "Reset refused" in request.text
    assert "did not reset your card password" in (await ann.reply()).text
    card = await MemberCard.get(id=card.id)
    assert passwords.verify_password(PIN, card.password_hash or "")

    # Five wrong current passwords lock the card's password for a while.
    await ann.press(menu, text="✏️ Change password")
    await ann.reply()
    for _ in range(4):
        await ann.send("000000")
        assert "not the current password" in (await ann.reply()).text
    await ann.send("000000")
    assert "Too many wrong passwords" in (await ann.reply()).text
    assert (await MemberCard.get(id=card.id)).locked_until is not None
    _, picture = await my_cards(ann, 1)
    assert "Spending is locked until 2030-03-01 10:15" in (picture.caption or "")


async def test_longest_names_and_reasons_fit_telegram(
    bot: BotRunner, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    """Every field at its maximum, full of HTML specials, emoji and CJK: the card's caption
    and a full history page are accepted (the fake refuses what Telegram would)."""
    name = ("<b>&😀中" * 20)[:64]
    shop = await make_shop(name)
    program = await make_program(shop)
    await Tier.filter(program_id=program.id).update(name="👩‍👩‍👧<&>" * 2)
    ann = await customer(tg, 81)
    card = await member(shop, 81)
    reason = ("<i>&amp;😀中文" * 30)[:200]
    for n in range(12):
        await ledger.adjust_points(card.id, OWNER_ID, 10 + n, reason, key=f"a{n}", now=MORNING)
    _, picture = await my_cards(ann, 1)
    assert name in (picture.caption or "")
    await ann.press(picture, text="📜 History")
    page = await ann.reply()
    assert page.text.count(reason) == 10
    await assert_ledger_balanced()
