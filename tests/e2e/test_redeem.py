"""Staff redeem customers' coupons at the counter: by typed code, by a photo of the QR code, by
the QR's deep link, and `/redeem` then the code; and every refusal, with nothing changed."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.clock import FrozenClock
from bot.models import ClaimStatus, Coupon, CouponClaim, Shop
from bot.services import coupons
from bot.services.codes import ALPHABET, generate_code, normalize_code
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_wallet import (
    MORNING,
    add_coupon,
    claim_from_page,
    customer,
    frozen_at,
    owner,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser

OTHER_OWNER = 501


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


async def held(shop: Shop, user_id: int, **fields: object) -> CouponClaim:
    """A coupon of the shop in the user's wallet."""
    coupon = await add_coupon(shop, **fields)
    return await coupons.claim(coupon.id, user_id, now=MORNING)


def typed_sloppily(code: str) -> str:
    """How a hurried clerk types it: lower case, spaces, letters O and I for 0 and 1."""
    sloppy = code.lower().replace("0", "o").replace("1", "i")
    return f"{sloppy[:3]} {sloppy[3:7]}  {sloppy[7:]}"


async def with_zero_and_one(claim: CouponClaim) -> str:
    """Give the claim a valid code containing 0 and 1 (to type them as O and I)."""
    code = next(c for c in iter(generate_code, None) if "0" in c and "1" in c)
    await CouponClaim.filter(id=claim.id).update(code=normalize_code(code))
    return normalize_code(code)


async def confirm_and_redeem(staff: FakeUser) -> str:
    """Press ✅ Redeem on the confirmation just shown; the confirmation's final text."""
    confirm = await staff.reply()
    edits = len(confirm.edits)
    await staff.press(confirm, text="✅ Redeem")
    assert (await staff.callback_answer())["text"] == "✅ Redeemed"
    await staff.wait_for(lambda: len(confirm.edits) > edits)
    assert not confirm.buttons
    return confirm.text or ""


async def test_redeem_a_typed_code_sloppy_but_right(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    ann = await customer(tg, 40)
    claim = await held(shop, 40, min_spend_cents=5000)
    code = await with_zero_and_one(claim)
    boss = await owner(tg)

    await boss.send(f"/redeem {typed_sloppily(code)}")
    confirm = await boss.reply()
    text = confirm.text
    assert "Redeem this coupon?" in text and "20% off noodles" in text
    assert "💰 20% off" in text and "¥50.00" in text and "Dine-in only." in text
    assert "👤 Customer: Ann" in text
    assert confirm.button_texts == ["✅ Redeem", "✖️ Not now"]
    assert (await CouponClaim.get(id=claim.id)).status == ClaimStatus.ACTIVE

    await boss.press(confirm, text="✅ Redeem")
    await boss.callback_answer()
    await boss.wait_for(lambda: not confirm.buttons)
    assert "✅ Redeemed at 2030-03-01 10:00" in confirm.text
    receipt = await ann.reply()
    assert "20% off noodles" in receipt.text and "was just used at Lao Wang Noodles" in receipt.text
    used = await CouponClaim.get(id=claim.id)
    assert used.status == ClaimStatus.REDEEMED and used.redeemed_by_id == OWNER_ID
    assert (await Coupon.get(id=claim.coupon_id)).redeemed_count == 1

    # A second tap on the same button changes nothing and says when and where.
    await boss.press_data(confirm.message_id, f"rdm:ok:{claim.id}")
    await boss.callback_answer()
    again = await boss.reply()
    assert "already redeemed on 2030-03-01 10:00 at Lao Wang Noodles" in again.text
    assert (await Coupon.get(id=claim.coupon_id)).redeemed_count == 1


async def test_redeem_by_qr_photo_and_by_deep_link(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await add_coupon(shop, title="Free tea", stock=10, per_user_limit=2)
    ann = await customer(tg, 41)
    first = await claim_from_page(ann, shop, "Free tea")
    boss = await owner(tg)

    # The clerk photographs the customer's screen: the same PNG, sent back as a photo.
    await boss.send_photo(first.photo or b"")
    assert "👤 Customer: Ann" in await confirm_and_redeem(boss)
    assert "was just used" in (await ann.reply()).text  # Ann's receipt
    assert "Welcome to Lao Wang Noodles" in (await ann.reply()).text  # her first visit here

    # The phone camera opens the QR's link instead: `/start redeem_<code>`.
    second = await claim_from_page(ann, shop, "Free tea")
    code = (await CouponClaim.filter(user_id=41).order_by("-id").first()).code
    assert code in (second.caption or "").replace("-", "")
    await boss.send(f"/start redeem_{code}")
    assert "Free tea" in await confirm_and_redeem(boss)
    assert await CouponClaim.filter(user_id=41, status=ClaimStatus.REDEEMED).count() == 2


async def test_redeem_command_then_code_or_photo(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await customer(tg, 42)
    claim = await held(shop, 42)
    boss = await owner(tg)

    await boss.send("/redeem")
    how = (await boss.reply()).text
    assert "three ways" in how and "photo" in how and "camera" in how
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 80, 40)).save(buffer, "PNG")
    await boss.send_photo(buffer.getvalue())
    refusal = await boss.reply()
    assert "couldn't find a card or coupon QR code" in refusal.text and "/cancel" in refusal.text
    await boss.send("hello")
    assert "doesn't look like a coupon code" in (await boss.reply()).text
    await boss.send_sticker()
    assert "coupon code or a photo of the QR code" in (await boss.reply()).text
    await boss.send(claim.code)
    assert "20% off noodles" in await confirm_and_redeem(boss)

    # The flow is over: text is no longer taken as a code, and /redeem alone is staff-only.
    await boss.send("hello")
    assert "didn't understand" in (await boss.reply()).text
    ann = tg.user(42)
    await ann.wait_for(lambda: any("Welcome to" in (m.text or "") for m in ann.inbox))
    await ann.send("/redeem")
    assert "redeemed by the shop's staff" in (await ann.reply()).text


async def test_refusals_change_nothing(bot, tg: FakeTelegram, frozen: FrozenClock) -> None:
    shop = await make_shop("Lao Wang Noodles")
    other = await make_shop("Hair by Mei", category="hairdressing", owner_id=OTHER_OWNER)
    ann = await customer(tg, 43)
    boss = await owner(tg)
    elsewhere = await held(other, 43, title="Mei's trim")
    lapsing = await held(shop, 43, title="Quick one", valid_days=1)
    paused = await held(shop, 43, title="On hold")
    await coupons.pause(paused.coupon_id, shop.id)

    async def refused(text: str) -> str:
        await boss.send(text)
        return (await boss.reply()).text

    unknown = await refused(f"/redeem {generate_code()}")
    assert "No coupon has this code" in unknown
    # Another shop's code reads exactly like a code that does not exist: its existence is secret.
    assert await refused(f"/redeem {elsewhere.code}") == unknown
    assert "Mei" not in boss.last.text
    assert "paused" in await refused(f"/redeem {paused.code}")
    typo = lapsing.code[:-1] + next(s for s in ALPHABET if s != lapsing.code[-1])
    assert "has a typo" in await refused(f"/redeem {typo}")
    assert "doesn't look like a coupon code" in await refused("/redeem 12345")

    frozen.advance(days=2)
    text = await refused(f"/redeem {lapsing.code}")
    assert "expired on 2030-03-02 10:00" in text

    # A customer who scans a coupon QR code is told that staff redeem it.
    await ann.send(f"/start redeem_{lapsing.code}")
    assert "for the shop's staff" in (await ann.reply()).text
    statuses = await CouponClaim.filter(user_id=43).values_list("status", flat=True)
    assert set(statuses) == {ClaimStatus.ACTIVE}
    assert not await CouponClaim.filter(redeemed_at__isnull=False).exists()


async def test_confirmation_revalidates_on_press(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await customer(tg, 44)
    claim = await held(shop, 44)
    boss = await owner(tg)

    await boss.send(f"/redeem {claim.code}")
    confirm = await boss.reply()
    await coupons.pause(claim.coupon_id, shop.id)  # paused while the clerk looks
    await boss.press(confirm, text="✅ Redeem")
    await boss.callback_answer()
    assert "paused" in (await boss.reply()).text
    assert not confirm.buttons

    await coupons.resume(claim.coupon_id, shop.id)
    await boss.send(f"/redeem {claim.code}")
    confirm = await boss.reply()
    await boss.press(confirm, text="✖️ Not now")
    assert (await boss.callback_answer())["text"] == "Not redeemed."
    await boss.wait_for(lambda: not confirm.buttons)
    for forged in (f"rdm:ok:{claim.id + 7}", "rdm:ok:x", "rdm:zap:1"):
        await boss.press_data(confirm.message_id, forged)
        assert "expired" in (await boss.callback_answer())["text"]
    assert (await CouponClaim.get(id=claim.id)).status == ClaimStatus.ACTIVE


async def test_photos_go_to_redeem_only_for_staff_outside_flows(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await add_coupon(shop, title="Free tea")
    ann = await customer(tg, 45)
    card = await claim_from_page(ann, shop, "Free tea")

    # A customer's photo is not a redemption.
    await ann.send_photo(card.photo or b"")
    assert "didn't understand" in (await ann.reply()).text

    # Staff in the middle of another flow: the photo belongs to that flow's step.
    boss = await owner(tg)
    await boss.send("/newcoupon")
    await boss.reply()
    await boss.send_photo(card.photo or b"")
    assert "type your answer" in (await boss.reply()).text
    await boss.send("/cancel")
    await boss.reply()
    await boss.send_photo(card.photo or b"")
    assert "Redeem this coupon?" in (await boss.reply()).text
