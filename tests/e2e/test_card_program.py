"""/card: an owner designs the membership card program, seeing the card face at every step;
bad answers are refused politely; only the owner may; tier coupons reach only members of that
tier or a higher one, and a refusal names the tier."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import zxingcpp
from PIL import Image

from bot.clock import FrozenClock
from bot.models import (
    Audience,
    CardProgram,
    Coupon,
    CouponKind,
    MemberCard,
    Reward,
    Service,
    Shop,
    Staff,
    StaffRole,
    Tier,
    TopUpBonus,
    User,
)
from bot.render.card import parse_colour
from bot.services import card_programs
from bot.services.card_programs import PALETTE
from bot.services.users import set_roles
from bot.ui.buttons.wallet import ClaimCoupon
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_wallet import MORNING, customer, frozen_at, open_page, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

NOW = MORNING


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


def qr_texts(png: bytes | None) -> list[str]:
    assert png is not None
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def background(screen: BotMessage) -> tuple[int, int, int]:
    """The card face's colour, at a spot with no text, sheen or code on it."""
    assert screen.photo is not None
    image = Image.open(io.BytesIO(screen.photo)).convert("RGB")
    return image.getpixel((30, image.height // 2))  # type: ignore[return-value]


def near(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 6 for x, y in zip(a, b, strict=True))


async def open_card(boss: FakeUser, intro: str = "Let's design the membership card") -> BotMessage:
    await boss.send("/card")
    text, screen = await boss.replies(2)
    assert intro in text.text, text.text
    assert screen.method == "sendPhoto" and screen.photo
    return screen


async def tap(user: FakeUser, screen: BotMessage, button: str) -> BotMessage:
    """Press a button under a screen; the next screen (a new card preview)."""
    await user.press(screen, text=button)
    following = await user.reply()
    assert following.method == "sendPhoto", following.text
    return following


async def ask(user: FakeUser, screen: BotMessage, button: str, expected: str) -> None:
    await user.press(screen, text=button)
    question = await user.reply()
    assert expected in question.text, question.text


async def answer(user: FakeUser, text: str) -> BotMessage:
    await user.send(text)
    following = await user.reply()
    assert following.method == "sendPhoto", following.text
    return following


async def refused(user: FakeUser, text: str, expected: str) -> None:
    await user.send(text)
    reply = await user.reply()
    assert reply.method == "sendMessage" and expected in reply.text, reply.text


async def tiers_of(shop: Shop) -> list[tuple[str, str, int, int, int, int | None]]:
    return [
        (
            t.name,
            t.colour,
            t.points_per_unit,
            t.discount_percent,
            t.threshold_spend_cents,
            t.threshold_topup_cents,
        )
        for t in await Tier.filter(program__shop_id=shop.id).order_by("rank")
    ]


# --------------------------------------------------------------------------- the designer


async def test_accepting_the_defaults_takes_three_taps_and_saves_once(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    boss = await owner(tg)
    screen = await open_card(boss)
    caption = screen.caption or ""
    assert "💳 Lao Wang Noodles membership card" in caption
    assert "1. Silver · every member · 1 pt per ¥1.00" in caption
    assert "2. Gold · from ¥1,000.00 spent · 2 pt per ¥1.00 · 5% off" in caption
    assert "🎯 100 points pay ¥1.00" in caption and "Step 1 · Tiers" in caption
    assert qr_texts(screen.photo) == [f"https://t.me/{tg.bot_username}?start=join_{shop.id}"]
    assert near(background(screen), parse_colour(PALETTE["silver"]))

    review = await tap(boss, screen, "✅ Review and save")
    assert "Ready." in (review.caption or "")
    await boss.press(review, text="💾 Save")
    assert (await boss.callback_answer())["text"] == "Saved"
    saved = await boss.reply()
    assert "membership card of Lao Wang Noodles is saved" in saved.text
    assert await tiers_of(shop) == [
        ("Silver", PALETTE["silver"], 1, 0, 0, None),
        ("Gold", PALETTE["gold"], 2, 5, 100_000, None),
    ]
    program = await CardProgram.get(shop_id=shop.id)
    assert (program.points_per_currency_unit_off, program.stored_value) == (100, False)

    # A second tap on Save (a double tap, or later) saves nothing more.
    await boss.press_data(review.message_id, "cpg:save")
    assert "expired" in (await boss.callback_answer())["text"]
    assert await CardProgram.all().count() == 1 and await Tier.all().count() == 2

    # The shop page now shows the program.
    ann = await customer(tg, 40)
    page = await open_page(ann, shop)
    assert "💳 Membership card: Silver → Gold" in page.text
    tg.assert_no_errors()


async def test_three_tiers_points_value_fields_and_expiry_with_bad_answers(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    noodles = await Service.create(shop=shop, name="Beef noodles", price_cents=2800)
    boss = await owner(tg)
    screen = await open_card(boss)

    # A third tier, renamed, recoloured, with its discount and threshold.
    screen = await tap(boss, screen, "➕ Add a tier")
    assert "Tier 3:" in (screen.caption or "")
    await ask(boss, screen, "✏️ Name", "tier's name")
    await refused(boss, "P" * 17, "1 to 16 characters")
    await refused(boss, "gold", "already called gold")
    screen = await answer(boss, "Platinum")
    assert "3. Platinum ·" in (screen.caption or "")
    screen = await tap(boss, screen, "🎨 Colour")
    assert "⚫ Black" in screen.button_texts
    screen = await tap(boss, screen, "⚫ Black")
    assert near(background(screen), parse_colour(PALETTE["black"]))  # the preview follows
    await ask(boss, screen, "🏷 Discount", "0 to 50")
    await refused(boss, "60", "from 0 to 50")
    await refused(boss, "ten", "from 0 to 50")
    screen = await answer(boss, "１０％")  # full-width digits are fine
    await ask(boss, screen, "📈 Spending to reach", "spent in total")
    await refused(boss, "lots", "not an amount")
    await refused(boss, "500", "more spending than Gold")
    screen = await answer(boss, "５０００")
    await ask(boss, screen, "⭐ Points earned", "per ¥1.00")
    screen = await answer(boss, "3")
    assert "3. Platinum · from ¥5,000.00 spent · 3 pt per ¥1.00 · 10% off" in (screen.caption or "")
    await ask(boss, screen, "💳 Top-up to reach", "single top-up")
    await refused(boss, "3000", "Turn on stored value first")

    # How points are spent: a rate, a minimum order, a gift and a listed service.
    screen = await tap(boss, screen, "⬅️ Tiers")
    screen = await tap(boss, screen, "Next: using points ➡️")
    await ask(boss, screen, "🎯 Points per unit off", "How many points pay ¥1.00")
    await refused(boss, "-5", "whole number from 0")
    screen = await answer(boss, "50")
    await ask(boss, screen, "Minimum order", "order amount")
    screen = await answer(boss, "30")
    await ask(boss, screen, "🎁 A gift for points", "gift and its points")
    await refused(boss, "Free tea", "then its points")
    screen = await answer(boss, "Free tea 300")
    screen = await tap(boss, screen, "🎁 A service for points")
    await ask(boss, screen, "Beef noodles", "How many points for Beef noodles")
    await refused(boss, "0", "points from 1 to")
    screen = await answer(boss, "800")
    caption = screen.caption or ""
    assert "🎯 50 points pay ¥1.00" in caption and "on orders from ¥30.00" in caption
    assert "🎁 Free tea: 300 points" in caption and "🎁 Beef noodles: 800 points" in caption

    # Stored value with a top-up bonus; a photo where text is due is refused.
    screen = await tap(boss, screen, "Next: stored value ➡️")
    assert "➕ Top-up bonus" not in screen.button_texts  # only with stored value on
    screen = await tap(boss, screen, "⬜ Stored value (members top up at the counter)")
    await ask(boss, screen, "➕ Top-up bonus", "top-up and its bonus")
    await boss.send_sticker()
    assert "type the value as text" in (await boss.reply()).text
    await refused(boss, "50 500", "smaller bonus")
    screen = await answer(boss, "500 送 50")
    assert "top up ¥500.00, get ¥50.00" in (screen.caption or "")

    # Member fields, expiry, requalification.
    screen = await tap(boss, screen, "Next: member details ➡️")
    screen = await tap(boss, screen, "⬜ Phone")
    assert "✅ Phone" in screen.button_texts
    await refused(boss, "birthday please", "use the buttons under the card")
    screen = await tap(boss, screen, "Next: expiry ➡️")
    await ask(boss, screen, "✍️ Other number of months", "1 to 60")
    await refused(boss, "61", "from 1 to 60")
    screen = await answer(boss, "18")
    screen = await tap(boss, screen, "⬜ Re-qualify tiers every year")
    old = screen
    screen = await tap(boss, screen, "✅ Review and save")
    # An older screen's buttons have expired.
    await boss.press_data(old.message_id, "cpg:exp:12")
    assert "expired" in (await boss.callback_answer())["text"]
    assert not await CardProgram.exists()

    await boss.press(screen, text="💾 Save")
    await boss.reply()
    assert await tiers_of(shop) == [
        ("Silver", PALETTE["silver"], 1, 0, 0, None),
        ("Gold", PALETTE["gold"], 2, 5, 100_000, None),
        ("Platinum", PALETTE["black"], 3, 10, 500_000, None),
    ]
    program = await CardProgram.get(shop_id=shop.id)
    assert (program.points_per_currency_unit_off, program.min_order_cents) == (50, 3000)
    assert (program.stored_value, program.need_phone, program.need_name) == (True, True, False)
    assert (program.points_expiry_months, program.requalify_yearly) == (18, True)
    assert sorted((r.name, r.points, r.service_id) for r in await Reward.all()) == [  # type: ignore[attr-defined]
        ("Beef noodles", 800, noodles.id),
        ("Free tea", 300, None),
    ]
    assert [(b.min_cents, b.bonus_cents) for b in await TopUpBonus.all()] == [(50_000, 5_000)]
    tg.assert_no_errors()


async def test_changing_the_program_keeps_members(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    draft = card_programs.default_draft()
    draft.tiers.append(
        card_programs.TierDraft("Platinum", PALETTE["black"], 3, 10, threshold_spend_cents=500_000)
    )
    await card_programs.save(shop.id, OWNER_ID, draft, NOW)
    gold, platinum = await Tier.filter(program__shop_id=shop.id, rank__gte=1).order_by("rank")
    await customer(tg, 41)
    card = await MemberCard.create(
        shop=shop,
        user_id=41,
        number="880000000041",
        tier=platinum,
        points=120,
        joined_at=NOW,
        qualified_since=NOW,
    )
    boss = await owner(tg)
    screen = await open_card(boss, "Members keep their points")
    screen = await tap(boss, screen, "✏️ Platinum")
    assert "🗑 Remove this tier" in screen.button_texts
    screen = await tap(boss, screen, "🗑 Remove this tier")
    assert "Platinum" not in (screen.caption or "")
    screen = await tap(boss, screen, "✏️ Gold")
    assert "🗑 Remove this tier" not in screen.button_texts  # two tiers at least
    screen = await tap(boss, screen, "⬅️ Tiers")
    screen = await tap(boss, screen, "✅ Review and save")
    await boss.press(screen, text="💾 Save")
    await boss.reply()
    kept = await MemberCard.get(id=card.id)
    assert (kept.tier_id, kept.points) == (gold.id, 120)  # type: ignore[attr-defined]
    assert [name for name, *_ in await tiers_of(shop)] == ["Silver", "Gold"]


# ------------------------------------------------------------------------------- who may


async def test_a_clerk_and_a_customer_may_not_design_the_card(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Lao Wang Noodles")
    clerk = await customer(tg, 42, "Zhou")
    await Staff.create(shop=shop, user_id=42, role=StaffRole.CLERK)
    ann = await customer(tg, 43)
    await clerk.send("/card")
    assert "Only the shop's owner can do that." in (await clerk.reply()).text
    await ann.send("/card")
    assert "This command is for shop owners and their staff." in (await ann.reply()).text
    for person in (clerk, ann):  # a forged designer button starts nothing
        await person.send("/help")
        await person.press_data((await person.reply()).message_id, f"cpg:shop:{shop.id}")
        assert (await person.callback_answer())["text"]
    assert not await CardProgram.exists()


async def test_an_owner_of_two_shops_picks_one(bot, tg: FakeTelegram) -> None:
    await make_shop("Lao Wang Noodles")
    second = await make_shop("Lao Wang Dumplings", north_m=300)
    boss = await owner(tg)
    await boss.send("/card")
    choice = await boss.reply()
    assert "Which shop" in choice.text
    await boss.press(choice, text="Lao Wang Dumplings")
    _, screen = await boss.replies(2)
    assert "Lao Wang Dumplings membership card" in (screen.caption or "")
    review = await tap(boss, screen, "✅ Review and save")
    await boss.press(review, text="💾 Save")
    await boss.reply()
    assert (await CardProgram.get()).shop_id == second.id  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ tier coupons


async def test_tier_coupons_reach_that_tier_and_above_only(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await card_programs.save(shop.id, OWNER_ID, card_programs.default_draft(), NOW)
    silver, gold = await Tier.filter(program__shop_id=shop.id).order_by("rank")
    boss = await owner(tg)
    await set_roles(await User.get(id=OWNER_ID), consumer=False, merchant=True)

    # The owner aims a coupon at Gold: the audience choice lists the tiers.
    await boss.send("/newcoupon")
    await boss.reply()
    for answer_ in ("🎁 Free gift or service", "Free tea", "Skip", "Skip", "♾ Unlimited", "1"):
        await boss.send(answer_)
        await boss.reply()
    await boss.send("30 days after claiming")
    ask_audience = await boss.reply()
    assert ["💳 Gold members and above"] in (ask_audience.reply_keyboard or [])
    assert ["💳 Silver members and above"] in (ask_audience.reply_keyboard or [])
    await boss.send("💳 Gold members and above")
    _, summary = await boss.replies(2)
    assert "💳 Gold members and above" in summary.text
    await boss.press(summary, text="✅ Publish")
    await boss.reply()
    coupon = await Coupon.get(shop_id=shop.id)
    assert (coupon.audience, coupon.audience_tier) == (Audience.TIER, gold.id)

    ann, bo, cy = (
        await customer(tg, 44, "Ann"),
        await customer(tg, 45, "Bo"),
        await customer(tg, 46, "Cy"),
    )
    for user_id, tier in ((45, silver), (46, gold)):
        await MemberCard.create(
            shop=shop,
            user_id=user_id,
            number=f"8800000000{user_id}",
            tier=tier,
            joined_at=NOW,
            qualified_since=NOW,
        )
    # Not a member, or a Silver member: no button on the page; a forged press says which tier.
    for person in (ann, bo):
        page = await open_page(person, shop)
        assert "🎟 Free tea" not in page.button_texts
        await person.press_data(page.message_id, ClaimCoupon(coupon_id=coupon.id).pack())
        refusal = (await person.callback_answer())["text"]
        assert "for Gold members and above" in refusal, refusal
    # A Gold member sees it and claims it.
    page = await open_page(cy, shop)
    await cy.press(page, text="🎟 Free tea")
    assert "Added to My coupons" in (await cy.callback_answer())["text"]
    assert await coupon.claims.all().count() == 1  # type: ignore[attr-defined]


async def test_a_tier_refusal_is_in_the_customers_language(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Lao Wang Noodles")
    await card_programs.save(shop.id, OWNER_ID, card_programs.default_draft(), NOW)
    gold = await Tier.get(program__shop_id=shop.id, rank=1)
    coupon = await Coupon.create(
        shop=shop,
        kind=CouponKind.GIFT,
        title="Free tea",
        valid_days=30,
        audience=Audience.TIER,
        audience_tier=gold.id,
    )
    li = await customer(tg, 47, "李雷", "zh-hans")
    page = await open_page(li, shop)
    await li.press_data(page.message_id, ClaimCoupon(coupon_id=coupon.id).pack())
    assert "仅限本店Gold及以上会员" in (await li.callback_answer())["text"]


async def test_the_biggest_program_fits_every_screen(bot, tg: FakeTelegram) -> None:
    """Five tiers with the longest names (HTML specials, emoji, CJK), nine long rewards and five
    bonuses: every screen is accepted by Telegram, and the step's own text is never cut."""
    shop = await make_shop(("<b>&amp;</b> 老王手工拉面馆 🍜" * 4)[:64])
    await Service.create(shop=shop, name="🍜" * 40, price_cents=2800)
    names = ["<i>&lt;🍜老王" + str(n) * 8 for n in range(5)]
    draft = card_programs.ProgramDraft(
        tiers=[
            card_programs.TierDraft(name[:16], colour, 100, 50, n * 100_000_000 // 5)
            for n, (name, colour) in enumerate(zip(names, PALETTE.values(), strict=False))
        ],
        rewards=[
            card_programs.RewardDraft(f"<b>{n}</b> 🎁 免费 " + "x" * 26, 9_999_999)
            for n in range(9)
        ],
        stored_value=True,
        top_up_bonuses=[card_programs.BonusDraft(99_000_000 + n, 9_000_000) for n in range(5)],
        need_name=True,
        need_phone=True,
        need_birthday=True,
        points_expiry_months=60,
        requalify_yearly=True,
        min_order_cents=99_999_999,
        max_points_per_order=10_000_000,
        points_per_currency_unit_off=100_000,
    )
    assert card_programs.validate(draft) == []
    await card_programs.save(shop.id, OWNER_ID, draft, NOW)
    boss = await owner(tg)
    screen = await open_card(boss, "membership card")
    assert "Step 1 · Tiers" in (screen.caption or "")
    walk = [
        (f"✏️ {names[1][:16]}", "Tier 2:"),
        ("🎨 Colour", "Choose the colour"),
        ("« Back", "Tier 2:"),
        ("⬅️ Tiers", "Step 1 · Tiers"),
        ("Next: using points ➡️", "Step 2 · Using points"),
        ("🎁 A service for points", "Which service"),
        ("« Back", "Step 2 · Using points"),
        ("Next: stored value ➡️", "Step 3 · Stored value"),
        ("Next: member details ➡️", "Step 4 · Member details"),
        ("Next: expiry ➡️", "Step 5 · Expiry"),
        ("✅ Review and save", "Ready."),
    ]
    for button, expected in walk:
        screen = await tap(boss, screen, button)
        assert expected in (screen.caption or ""), screen.caption
    tg.assert_no_errors()
