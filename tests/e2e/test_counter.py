"""The staff counter: a customer's card found by a photo of its QR code, by the phone camera's
deep link or by the typed member number; a purchase in at most four staff interactions, an
upgrade the customer is told of at once, a top-up with its bonus, the owner's adjustments and
voids (refused to clerks), a card of another shop, an expired QR code, a double-tapped confirm.
After every story the ledger balances."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.clock import FrozenClock
from bot.models import (
    CardProgram,
    ClaimStatus,
    CouponClaim,
    LedgerEntry,
    MemberCard,
    Purchase,
    Shop,
    Staff,
    StaffRole,
    Tier,
    TopUpBonus,
    User,
)
from bot.render.card import CardFace, render_card
from bot.services import card_tokens, cards, coupons
from bot.services.users import set_roles
from tests.e2e.helpers import make_shop
from tests.e2e.test_wallet import MORNING, add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser
from tests.ledger_check import assert_ledger_balanced

ANN, BEN, CLERK = 40, 41, 510
OTHER_OWNER = 501


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


async def card_program(shop: Shop, *, stored_value: bool = True) -> CardProgram:
    """Silver (1 point per ¥1) and Gold (2 points per ¥1, 10% off, from ¥100 spent); 100
    points pay ¥1; top up ¥500, get ¥50."""
    program = await CardProgram.create(
        shop=shop,
        stored_value=stored_value,
        points_per_currency_unit_off=100,
        void_days=7,
        daily_alert_limit=20,
    )
    await Tier.create(program=program, rank=0, name="Silver", colour="#9ca3af", points_per_unit=1)
    await Tier.create(
        program=program,
        rank=1,
        name="Gold",
        colour="#d4af37",
        points_per_unit=2,
        discount_percent=10,
        threshold_spend_cents=100_00,
    )
    await TopUpBonus.create(program=program, min_cents=500_00, bonus_cents=50_00)
    return program


@dataclass
class Counter:
    shop: Shop
    card: MemberCard
    boss: FakeUser
    ann: FakeUser


@pytest.fixture
async def counter(bot, tg: FakeTelegram, frozen: FrozenClock) -> Iterator[Counter]:
    shop = await make_shop("Lao Wang Noodles")
    await card_program(shop)
    ann = await customer(tg, ANN, "Ann")
    card = await cards.join(shop.id, ANN, now=MORNING, phone="13812345678")
    await set_roles(await User.get(id=shop.owner_id), consumer=False, merchant=True)
    yield Counter(shop, card, await owner(tg), ann)
    await assert_ledger_balanced()


async def card_screen(staff: FakeUser) -> BotMessage:
    screen = await staff.reply()
    assert "🧾 Record purchase" in screen.button_texts, screen.text
    return screen


async def confirm(staff: FakeUser, screen: BotMessage, button: str = "✅ Confirm") -> BotMessage:
    edits = len(screen.edits)
    await staff.press(screen, text=button)
    await staff.callback_answer()
    await staff.wait_for(lambda: len(screen.edits) > edits)
    return screen


def interactions(staff: FakeUser) -> int:
    """Messages the staff member sent plus buttons they pressed."""
    presses = [p for p in staff.fake.presses.values() if p.chat_id == staff.chat_id]
    return len(staff.sent) + len(presses)


def qr_link(token: str) -> str:
    return f"https://t.me/TestBot?start=card_{token}"


# ------------------------------------------------------------------------ three ways in


async def test_typed_number_purchase_in_four_interactions(counter: Counter) -> None:
    boss, ann, card = counter.boss, counter.ann, counter.card
    await boss.send("🧾 Counter")  # 1
    assert "any of three ways" in (await boss.reply()).text
    await boss.send(card.number)  # 2
    screen = await card_screen(boss)
    assert "Ann" in screen.text and "Silver" in screen.text and "0 points" in screen.text
    assert "13812345678" not in screen.text  # clerks never see the phone
    await boss.send("58")  # 3
    sure = await boss.reply()
    assert "Record this purchase?" in sure.text and "¥58.00" in sure.text
    assert "Points to earn: +58" in sure.text
    await confirm(boss, sure)  # 4
    assert "Recorded" in sure.text and "now has 58" in sure.text
    receipt = await ann.reply()
    assert "Lao Wang Noodles" in receipt.text and "¥58.00" in receipt.text and "+58" in receipt.text
    assert (await MemberCard.get(id=card.id)).points == 58
    assert interactions(boss) == 4  # the counter button, the number, the amount, ✅ Confirm


async def test_purchase_by_photo_of_the_card(counter: Counter) -> None:
    boss, card = counter.boss, counter.card
    token = await card_tokens.issue(card, MORNING)
    face = CardFace("Lao Wang Noodles", None, "Silver", "#9ca3af", card.number, qr_link(token))
    await boss.send_photo(render_card(face))  # 1
    screen = await card_screen(boss)
    assert "Ann" in screen.text and "Silver" in screen.text
    await boss.press(screen, text="🧾 Record purchase")  # 2
    await boss.callback_answer()
    assert "how much" in (await boss.reply()).text
    await boss.send("28.50")  # 3
    sure = await boss.reply()
    await confirm(boss, sure)  # 4
    assert "Recorded" in sure.text
    assert "¥28.50" in (await counter.ann.reply()).text
    assert interactions(boss) == 4  # the photo, 🧾 Record purchase, the amount, ✅ Confirm
    purchase = await Purchase.get(card_id=card.id)
    assert purchase.amount_cents == 28_50 and purchase.points_earned == 28


async def test_purchase_by_deep_link_and_upgrade(counter: Counter) -> None:
    boss, ann, card = counter.boss, counter.ann, counter.card
    token = await card_tokens.issue(card, MORNING)
    await boss.send(f"/start card_{token}")
    screen = await card_screen(boss)
    await boss.press(screen, text="🧾 Record purchase")
    await boss.callback_answer()
    await boss.reply()
    await boss.send("120")
    sure = await boss.reply()
    await confirm(boss, sure)
    assert "Ann moved up to Gold: they have been told." in sure.text
    receipt = await ann.reply()
    assert "you're now Gold" in receipt.text
    refreshed = await MemberCard.get(id=card.id).select_related("tier")
    assert refreshed.tier.name == "Gold"


async def test_double_tapped_confirm_records_once(bot, counter: Counter) -> None:
    boss, card = counter.boss, counter.card
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(card.number)
    await card_screen(boss)
    await boss.send("30")
    sure = await boss.reply()
    data = sure.find_button(text="✅ Confirm")["callback_data"]
    await boss.press_data(sure.message_id, data)
    await boss.press_data(sure.message_id, data)
    await boss.wait_for(lambda: boss._last_press.answer)
    await boss.wait_for(lambda: "Recorded" in (sure.text or ""))
    await counter.ann.reply()
    # And once more after the edit took the buttons off (a retried request), after a restart.
    await bot.restart()
    await boss.press_data(sure.message_id, data)
    assert "already" in (await boss.callback_answer())["text"]
    assert await Purchase.filter(card_id=card.id).count() == 1
    assert (await MemberCard.get(id=card.id)).points == 30


# ---------------------------------------------------------------------------- refusals


async def test_expired_qr_refused_typed_number_still_earns(
    counter: Counter, frozen: FrozenClock
) -> None:
    boss, card = counter.boss, counter.card
    token = await card_tokens.issue(card, MORNING)
    frozen.advance(hours=1)
    await boss.send(f"/start card_{token}")
    assert "expired" in (await boss.reply()).text
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(card.number)
    await card_screen(boss)
    await boss.send("10")
    await confirm(boss, await boss.reply())
    assert (await MemberCard.get(id=card.id)).points == 10


async def test_card_of_another_shop_refused(counter: Counter, tg: FakeTelegram) -> None:
    other = await make_shop("Hair by Mei", category="hairdressing", owner_id=OTHER_OWNER)
    await card_program(other)
    theirs = await cards.join(other.id, ANN, now=MORNING)
    boss = counter.boss
    await boss.send(f"/start card_{await card_tokens.issue(theirs, MORNING)}")
    assert "another shop" in (await boss.reply()).text
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(theirs.number)
    reply = (await boss.reply()).text
    assert "Record purchase" not in reply and "Mei" not in reply


async def test_a_consumer_cannot_use_the_counter(counter: Counter, tg: FakeTelegram) -> None:
    ann, card = counter.ann, counter.card
    ben = await customer(tg, BEN, "Ben")
    await ann.send("/redeem")
    assert "redeemed by the shop's staff" in (await ann.reply()).text
    token = await card_tokens.issue(card, MORNING)
    await ben.send(f"/start card_{token}")
    refusal = await ben.reply()
    assert "for staff" in refusal.text or "counter" in refusal.text
    assert "Ann" not in refusal.text and "Record purchase" not in refusal.button_texts
    await ben.send(card.number)
    assert "Record purchase" not in (await ben.reply()).button_texts
    # The holder opening their own card's link sees their card (its picture), nothing more.
    await ann.send(f"/start card_{token}")
    own = await ann.reply()
    assert own.photo is not None and "Record purchase" not in own.button_texts
    assert not await Purchase.exists()


# ------------------------------------------------------------------------ top-up, owners


async def test_top_up_with_bonus(counter: Counter) -> None:
    boss, ann, card = counter.boss, counter.ann, counter.card
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(card.number)
    screen = await card_screen(boss)
    await boss.press(screen, text="💳 Top up")
    await boss.callback_answer()
    assert "Top up" in (await boss.reply()).text
    await boss.send("500")
    sure = await boss.reply()
    assert "¥500.00" in sure.text and "Bonus: +¥50.00" in sure.text
    await confirm(boss, sure)
    assert "Stored value now ¥550.00" in sure.text
    receipt = await ann.reply()
    assert "top-up of ¥500.00" in receipt.text and "¥550.00" in receipt.text
    assert (await MemberCard.get(id=card.id)).balance_cents == 550_00

    # The owner voids it from the recent activity: the top-up and its bonus go.
    await boss.press(screen, text="📜 Recent activity")
    await boss.callback_answer()
    history = await boss.reply()
    assert "top-up ¥500.00" in history.text
    await boss.press(history, text=next(b for b in history.button_texts if b.startswith("↩️")))
    await boss.callback_answer()
    await boss.wait_for(lambda: "Void this?" in (history.text or ""))
    await confirm(boss, history, "✅ Yes, void it")
    told = (await ann.reply()).text
    assert "Voided" in history.text and "voided this record on your card" in told
    assert "top-up ¥500.00" in told and "Stored value now ¥0.00" in told
    assert (await MemberCard.get(id=card.id)).balance_cents == 0


async def test_owner_adjusts_and_voids_clerk_may_not(counter: Counter, tg: FakeTelegram) -> None:
    boss, ann, card, shop = counter.boss, counter.ann, counter.card, counter.shop
    zhou = await customer(tg, CLERK, "Zhou")
    await Staff.create(shop=shop, user_id=CLERK, role=StaffRole.CLERK)

    # The clerk records a purchase, and sees no owner buttons.
    await zhou.send("🧾 Counter")
    await zhou.reply()
    await zhou.send(card.number)
    screen = await card_screen(zhou)
    assert "± Points" not in screen.button_texts and "📜 Recent activity" not in screen.button_texts
    await zhou.send("40")
    await confirm(zhou, await zhou.reply())
    await ann.reply()
    purchase = await Purchase.get(card_id=card.id)

    # Forged owner buttons from the clerk: refused, nothing changes.
    await zhou.press_data(screen.message_id, f"ctr:adj:{card.id}")
    assert "Only the shop's owner" in (await zhou.callback_answer())["text"]
    await zhou.press_data(screen.message_id, f"ctr:vp:{purchase.id}:1")
    assert "Only the shop's owner" in (await zhou.callback_answer())["text"]
    assert (await Purchase.get(id=purchase.id)).voided_at is None

    # The owner: ± Points with a reason, then voids the purchase.
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(card.number)
    screen = await card_screen(boss)
    await boss.press(screen, text="± Points")
    await boss.callback_answer()
    assert "reason" in (await boss.reply()).text
    await boss.send("+25 birthday gift")
    assert "now has 65 points" in (await boss.reply()).text
    assert "+25 (birthday gift)" in (await ann.reply()).text

    await boss.press(screen, text="📜 Recent activity")
    await boss.callback_answer()
    history = await boss.reply()
    assert "¥40.00" in history.text
    void = next(b for b in history.button_texts if b.startswith("↩️"))
    await boss.press(history, text=void)
    await boss.callback_answer()
    await boss.wait_for(lambda: "Void this?" in (history.text or ""))
    await confirm(boss, history, "✅ Yes, void it")
    assert "Voided" in history.text
    assert "voided" in (await ann.reply()).text
    assert (await Purchase.get(id=purchase.id)).voided_at is not None
    assert (await MemberCard.get(id=card.id)).points == 25
    assert await LedgerEntry.filter(card_id=card.id).count() >= 3


async def test_purchase_with_a_coupon_in_the_same_transaction(counter: Counter) -> None:
    boss, ann, card, shop = counter.boss, counter.ann, counter.card, counter.shop
    coupon = await add_coupon(shop, title="20% off noodles")  # 20% off
    claim = await coupons.claim(coupon.id, ANN, now=MORNING)
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(card.number)
    await card_screen(boss)
    await boss.send("50")
    sure = await boss.reply()
    edits = len(sure.edits)
    await boss.press(sure, text="☐ 20% off noodles")
    await boss.callback_answer()
    await boss.wait_for(lambda: len(sure.edits) > edits)
    assert "Coupon: 20% off noodles: −¥10.00" in sure.text and "To pay now: ¥40.00" in sure.text
    assert "Points to earn: +40" in sure.text
    await confirm(boss, sure)
    receipt = await ann.reply()
    assert "Discount: −¥10.00" in receipt.text and "+40" in receipt.text
    purchase = await Purchase.get(card_id=card.id)
    assert purchase.coupon_claim_id == claim.id and purchase.discount_cents == 10_00
    assert (await CouponClaim.get(id=claim.id)).status == ClaimStatus.REDEEMED


async def test_coupon_from_the_card_screen(counter: Counter) -> None:
    boss, ann, card, shop = counter.boss, counter.ann, counter.card, counter.shop
    coupon = await add_coupon(shop, title="Free tea")
    await coupons.claim(coupon.id, ANN, now=MORNING)
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(card.number)
    screen = await card_screen(boss)
    assert "1 coupon usable here" in screen.text
    await boss.press(screen, text="🎟 Redeem a coupon")
    await boss.callback_answer()
    listing = await boss.reply()
    await boss.press(listing, text="✅ Free tea")
    assert (await boss.callback_answer())["text"] == "✅ Redeemed"
    assert "was just used" in (await ann.reply()).text


async def test_suspicious_activity_alerts_the_owner_once(
    counter: Counter, tg: FakeTelegram
) -> None:
    """Over the shop's daily limit (here 2) the owner hears once, in their own words."""
    await CardProgram.filter(shop_id=counter.shop.id).update(daily_alert_limit=2)
    zhou = await customer(tg, CLERK, "Zhou")
    await Staff.create(shop=counter.shop, user_id=CLERK, role=StaffRole.CLERK)
    boss = counter.boss
    await zhou.send("🧾 Counter")
    await zhou.reply()
    for amount in ("10", "11", "12", "13"):
        await zhou.send(counter.card.number)
        await card_screen(zhou)
        await zhou.send(amount)
        await confirm(zhou, await zhou.reply())
        await counter.ann.reply()  # her receipt
        await zhou.send("🧾 Counter")
        await zhou.reply()
    alerts = [m for m in boss.inbox if "unusual activity" in (m.text or "")]
    assert len(alerts) == 1
    assert "3 transactions today on Ann's card" in alerts[0].text
    assert await Purchase.filter(card_id=counter.card.id).count() == 4


async def test_the_counter_in_chinese(counter: Counter, tg: FakeTelegram) -> None:
    """A clerk whose Telegram is in Chinese: the same four steps, in Chinese."""
    zhou = await customer(tg, CLERK, "周", lang="zh-hans")
    await Staff.create(shop=counter.shop, user_id=CLERK, role=StaffRole.CLERK)
    await zhou.send("🧾 收银台")
    assert "三种方式" in (await zhou.reply()).text
    await zhou.send(counter.card.number)
    screen = await zhou.reply()
    assert "Ann" in screen.text and "0 积分" in screen.text and "🧾 记消费" in screen.button_texts
    await zhou.send("３２")  # full-width digits, as a Chinese keyboard types them
    sure = await zhou.reply()
    assert "确认记这笔消费" in sure.text and "¥32.00" in sure.text and "+32" in sure.text
    await confirm(zhou, sure, "✅ 确认")
    assert "已于" in sure.text and "现有 32 积分" in sure.text


async def test_done_and_cancel(counter: Counter) -> None:
    """✖️ Done takes the card screen's buttons off; ✖️ Cancel on a confirmation records
    nothing and says so."""
    boss = counter.boss
    await boss.send("🧾 Counter")
    await boss.reply()
    await boss.send(counter.card.number)
    screen = await card_screen(boss)
    await boss.send("20")
    sure = await boss.reply()
    await confirm(boss, sure, "✖️ Cancel")
    assert "nothing was recorded" in sure.text and not sure.buttons
    await boss.press(screen, text="✖️ Done")
    await boss.callback_answer()
    await boss.wait_for(lambda: not screen.buttons)
    assert "Cancelled" not in screen.text
    assert not await Purchase.exists()
