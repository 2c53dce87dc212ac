"""Roles: the owner may do everything; a clerk redeems coupons and sees the shop's coupons; a
customer who is not on the staff gets the merchant commands' polite refusal. Every merchant
command and the important buttons, for each of the three, pressed honestly or forged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.models import (
    ClaimStatus,
    Complaint,
    ComplaintStatus,
    Coupon,
    CouponClaim,
    CouponStatus,
    MemberCard,
    Promotion,
    Purchase,
    Service,
    Shop,
    Staff,
    StaffRole,
    Survey,
    User,
)
from bot.render.coupon import coupon_qr_png
from bot.services import cards, care, coupons, ledger, shops
from bot.services.reviews import write_review
from bot.services.users import set_roles
from bot.ui.buttons.care import AnswerComplaint, FeedbackShop
from tests.e2e.helpers import OWNER_ID, make_shop, welcomed
from tests.e2e.test_wallet import MORNING, add_coupon, customer, frozen_at, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.users import FakeUser

CLERK_ID, CUSTOMER_ID = 510, 520
ROLES = ("owner", "clerk", "customer")
OWNER_ONLY = "Only the shop's owner can do that."
MERCHANT_ONLY = "This command is for shop owners and their staff."
EXPIRED = "This button has expired."
CLERK_MENU = ["newshop", "coupons", "redeem"]


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:
        yield stopped


@dataclass
class Team:
    """An approved shop with a coupon, a service and a customer's review; its owner, one
    clerk, and a customer who holds one of its coupons."""

    shop: Shop
    coupon: Coupon
    claim: CouponClaim
    service: Service
    people: dict[str, FakeUser]


@pytest.fixture
async def team(bot, tg: FakeTelegram, frozen: FrozenClock) -> Team:
    shop = await make_shop("Lao Wang Noodles")
    coupon = await add_coupon(shop)
    people = {
        "owner": await owner(tg),
        "clerk": await customer(tg, CLERK_ID, "Zhou"),
        "customer": await customer(tg, CUSTOMER_ID, "Ann"),
    }
    await set_roles(await User.get(id=shop.owner_id), consumer=False, merchant=True)
    await Staff.create(shop=shop, user_id=CLERK_ID, role=StaffRole.CLERK)
    claim = await coupons.claim(coupon.id, CUSTOMER_ID, now=MORNING)
    service = await Service.create(shop=shop, name="Beef noodles", price_cents=2800)
    return Team(shop, coupon, claim, service, people)


# ------------------------------------------------------------------------------ commands

#: What the owner gets from each merchant command (its first reply, text or caption).
OWNER_GETS = {
    "myshop": "What would you like to change?",
    "services": "Services and prices — Lao Wang Noodles",
    "poster": "Your poster for Lao Wang Noodles",
    "newcoupon": "New coupon for Lao Wang Noodles",
    "coupons": "Coupons — Lao Wang Noodles",
    "card": "Let's design the membership card of Lao Wang Noodles",
    "redeem": "any of three ways",
    "promo": "What would you like to tell people?",
    "flash": "Flash deal for Lao Wang Noodles",
    "results": "Results · Lao Wang Noodles",
    "feedback": "Feedback — Lao Wang Noodles",
    "staff": "Staff of Lao Wang Noodles",
    "greetings": "Greetings — Lao Wang Noodles",
}
CLERK_MAY = {"coupons", "redeem"}


def expected(command: str, role: str) -> str:
    if role == "owner" or (role == "clerk" and command in CLERK_MAY):
        return OWNER_GETS[command]
    if role == "clerk":
        return OWNER_ONLY
    if command == "redeem":
        return "Coupons are redeemed by the shop's staff."
    return MERCHANT_ONLY


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("command", list(OWNER_GETS))
async def test_each_merchant_command_for_each_role(
    team: Team, tg: FakeTelegram, command: str, role: str
) -> None:
    person = team.people[role]
    await person.send(f"/{command}")
    reply = await person.reply()
    shown = reply.text or reply.caption or ""
    assert expected(command, role) in shown, shown
    if command in CLERK_MAY and role == "clerk":
        assert not reply.buttons  # the clerk's list is read-only
    await person.send("/cancel")  # leave any flow the command started
    await person.reply()
    tg.assert_no_errors()


async def test_the_clerks_coupon_list_is_read_only(team: Team) -> None:
    clerk, boss = team.people["clerk"], team.people["owner"]
    await clerk.send("/coupons")
    listing = await clerk.reply()
    assert "20% off noodles" in listing.text and "1 claimed" in listing.text
    assert "Only the owner can change them." in listing.text and not listing.buttons
    await boss.send("/coupons")
    listing = await boss.reply()
    assert "⏸ Pause 1" in listing.button_texts and "➕ New coupon" in listing.button_texts


async def test_help_lists_what_each_role_may_do(team: Team) -> None:
    def merchant_lines(text: str) -> list[str]:
        after = text.split("For your shop:")[1] if "For your shop:" in text else ""
        return [line.split(" ")[0] for line in after.splitlines() if line.startswith("/")]

    replies = {}
    for role, person in team.people.items():
        await person.send("/help")
        replies[role] = (await person.reply()).text
    assert merchant_lines(replies["clerk"]) == ["/coupons", "/redeem"]
    assert merchant_lines(replies["customer"]) == []
    assert merchant_lines(replies["owner"]) == [
        "/myshop",
        "/services",
        "/poster",
        "/newcoupon",
        "/coupons",
        "/card",
        "/redeem",
        "/promo",
        "/flash",
        "/results",
        "/feedback",
        "/staff",
        "/greetings",
    ]


# ------------------------------------------------------------------------------- buttons


async def press_forged(person: FakeUser, data: str) -> str:
    """Press a button with this data (forged: on a message of the person's own chat)."""
    await person.send("/help")
    message = await person.reply()
    await person.press_data(message.message_id, data)
    return (await person.callback_answer()).get("text", "")


def refusal_for(role: str) -> str:
    return OWNER_ONLY if role == "clerk" else EXPIRED


@pytest.mark.parametrize("role", ROLES)
async def test_coupon_pause_and_end_buttons(team: Team, role: str) -> None:
    ids = f"{team.shop.id}:{team.coupon.id}"
    person = team.people[role]
    pause = await press_forged(person, f"cpn:pause:{ids}")
    end = await press_forged(person, f"cpn:endok:{ids}")
    status = (await Coupon.get(id=team.coupon.id)).status
    if role == "owner":
        assert pause.startswith("Paused") and end.startswith("Ended")
        assert status == CouponStatus.ENDED
    else:
        assert refusal_for(role) in pause and refusal_for(role) in end
        assert status == CouponStatus.ACTIVE


@pytest.mark.parametrize("role", ROLES)
async def test_service_hide_and_edit_buttons(team: Team, role: str) -> None:
    person = team.people[role]
    hidden = await press_forged(person, f"cat:hide:{team.service.id}:1")
    assert (hidden == "Hidden from customers.") if role == "owner" else refusal_for(role) in hidden
    assert (await Service.get(id=team.service.id)).hidden is (role == "owner")
    await person.send("/help")
    message = await person.reply()
    await person.press_data(message.message_id, f"cat:edit:{team.service.id}:name")
    if role == "owner":
        assert "new name" in (await person.reply()).text.lower()
    else:
        assert refusal_for(role) in (await person.callback_answer())["text"]
        await person.send("Hacked noodles")  # not inside any flow: nothing is renamed
        await person.reply()
        assert (await Service.get(id=team.service.id)).name == "Beef noodles"


@pytest.mark.parametrize("role", ROLES)
async def test_shop_edit_button(team: Team, role: str) -> None:
    person = team.people[role]
    await person.send("/help")
    message = await person.reply()
    await person.press_data(message.message_id, f"myshop:edit:{team.shop.id}:name")
    if role == "owner":
        assert "called" in (await person.reply()).text
        await person.send("Wang's Noodles")
        await person.reply()
        # A live shop's new name waits for an operator (tests/e2e/test_shop_edits.py).
        change = await shops.pending_change(team.shop.id)
        assert change is not None and change.name == "Wang's Noodles"
        return
    assert refusal_for(role) in (await person.callback_answer())["text"]
    await person.send("Hacked Noodles")
    await person.reply()
    assert (await Shop.get(id=team.shop.id)).name == "Lao Wang Noodles"
    assert await shops.pending_change(team.shop.id) is None


@pytest.mark.parametrize("role", ROLES)
async def test_other_owner_buttons_refused(team: Team, role: str) -> None:
    """The shop menu's pickers and hand-overs, /results, /poster, /staff and a new coupon."""
    person = team.people[role]
    shop_id = team.shop.id
    for data in (
        f"myshop:pick:{shop_id}",
        f"poster:{shop_id}",
        f"res:shop:{shop_id}",
        f"res:chart:{team.coupon.id}",
        f"cpn:new:{shop_id}",
        f"cat:add:{shop_id}",
        f"stf:inv:{shop_id}",
        f"grt:shop:{shop_id}",
        f"grt:sw:{shop_id}:spring_festival:0",
        f"grt:days:{shop_id}:5",
        f"grt:prev:{shop_id}:birthday",
    ):
        answer = await press_forged(person, data)
        if role != "owner":
            assert refusal_for(role) in answer, data
        else:
            assert OWNER_ONLY not in answer and EXPIRED not in answer, data
            await person.send("/cancel")
            await person.reply()


@pytest.mark.parametrize("role", ROLES)
async def test_redeem_confirm_button(team: Team, role: str) -> None:
    person = team.people[role]
    answer = await press_forged(person, f"rdm:ok:{team.claim.id}")
    redeemed = (await CouponClaim.get(id=team.claim.id)).status == ClaimStatus.REDEEMED
    if role == "customer":
        assert not redeemed
        assert "for the shop's staff" in (await person.reply()).text
    else:
        assert answer == "✅ Redeemed" and redeemed


@pytest.mark.parametrize("role", ROLES)
async def test_redeem_by_deep_link_and_photo(team: Team, role: str) -> None:
    person = team.people[role]
    code = team.claim.code
    await person.send(f"/start redeem_{code}")
    by_link = await person.reply()
    await person.send_photo(coupon_qr_png(f"https://t.me/b?start=redeem_{code}", code, "QR"))
    by_photo = await person.reply()
    if role == "customer":  # only staff get a confirmation
        assert "for the shop's staff" in by_link.text
        assert "✅ Redeem" not in by_photo.button_texts
        return
    for confirm in (by_link, by_photo):
        assert "Redeem this coupon?" in confirm.text and "✅ Redeem" in confirm.button_texts


@pytest.mark.parametrize("role", ROLES)
async def test_review_reply_button(team: Team, role: str) -> None:
    await write_review(team.shop.id, CUSTOMER_ID, 4, "Good broth", text_max=1000)
    review_id = (await team.shop.reviews.all())[0].id
    person = team.people[role]
    await person.send("/help")
    message = await person.reply()
    await person.press_data(message.message_id, f"rv:r:{review_id}")
    if role == "owner":
        assert "Your reply to Ann's review" in (await person.reply()).text
    else:
        assert "Only the shop's owner can reply" in (await person.callback_answer())["text"]


@pytest.mark.parametrize("role", ROLES)
async def test_promo_send_button_outside_the_owners_flow(team: Team, role: str) -> None:
    """Only the owner reaches the preview; a forged ✅ Send from anyone else sends nothing."""
    person = team.people[role]
    answer = await press_forged(person, "promo:send")
    assert EXPIRED in answer
    assert await Promotion.all().count() == 0


# ------------------------------------------------------------------------------- counter


async def _card_of_customer(team: Team) -> MemberCard:
    """A card program at the team's shop, the customer a member with one purchase."""
    from tests.e2e.test_counter import card_program

    await card_program(team.shop)
    return await cards.join(team.shop.id, CUSTOMER_ID, now=MORNING)


@pytest.mark.parametrize("role", ROLES)
async def test_the_counter_entry(team: Team, role: str) -> None:
    """🧾 Counter (the menu button) and /redeem open the counter for staff only; a member
    number typed by a customer opens nothing."""
    card = await _card_of_customer(team)
    person = team.people[role]
    await person.send("🧾 Counter")
    opened = (await person.reply()).text
    await person.send(card.number)
    answer = await person.reply()
    if role == "customer":
        assert "redeemed by the shop's staff" in opened
        assert "🧾 Record purchase" not in answer.button_texts
        return
    assert "any of three ways" in opened
    assert "🧾 Record purchase" in answer.button_texts
    owner_buttons = {"± Points", "📜 Recent activity"} & set(answer.button_texts)
    assert owner_buttons == ({"± Points", "📜 Recent activity"} if role == "owner" else set())


@pytest.mark.parametrize("role", ROLES)
async def test_counter_buttons(team: Team, role: str) -> None:
    """Record purchase for staff; adjust points, recent activity and void for the owner only;
    all of it refused (as expired) to a customer."""
    card = await _card_of_customer(team)
    purchase = await ledger.record_purchase(
        team.shop.id, card, 30_00, OWNER_ID, key="roles-purchase", now=MORNING
    )
    person = team.people[role]
    buy = await press_forged(person, f"ctr:buy:{card.id}")
    if role == "customer":
        assert EXPIRED in buy
    else:
        assert "how much" in (await person.reply()).text
        await person.send("/cancel")
        await person.reply()
    for data in (
        f"ctr:adj:{card.id}",
        f"ctr:hist:{card.id}",
        f"ctr:vp:{purchase.purchase.id}:1",
    ):
        answer = await press_forged(person, data)
        if role == "owner":
            assert OWNER_ONLY not in answer and EXPIRED not in answer, data
            await person.send("/cancel")
            await person.reply()
        else:
            assert refusal_for(role) in answer, data
    voided = (await Purchase.get(id=purchase.purchase.id)).voided_at is not None
    assert voided is (role == "owner")
    assert (await MemberCard.get(id=card.id)).points == (0 if role == "owner" else 30)


@pytest.mark.parametrize("role", ROLES)
async def test_complaint_answer_and_feedback_buttons(team: Team, role: str) -> None:
    """A low score's "💬 Answer" and /feedback's shop choice: the owner's alone."""
    await coupons.redeem(team.claim.id, CLERK_ID, now=MORNING)
    await welcomed(team.people["customer"])
    await care.queue_due_surveys(MORNING + timedelta(hours=1), lambda due: {"text": "How?"})
    survey = await Survey.get(user_id=CUSTOMER_ID)
    low = await care.answer_survey(survey.id, CUSTOMER_ID, 1, now=MORNING + timedelta(hours=1))
    assert low.complaint is not None
    person = team.people[role]
    answer = await press_forged(person, AnswerComplaint(complaint_id=low.complaint.id).pack())
    if role == "owner":
        assert OWNER_ONLY not in answer and EXPIRED not in answer
        assert "Your answer to Ann" in (await person.reply()).text
        await person.send("/cancel")
        await person.reply()
    listing = await press_forged(person, FeedbackShop(shop_id=team.shop.id).pack())
    if role == "owner":
        assert "1 open complaint" in (await person.reply()).text
    else:
        assert refusal_for(role) in answer and refusal_for(role) in listing
        await person.send("Hacked answer")  # not inside any flow: nothing is answered
        await person.reply()
    complaint = await Complaint.get(id=low.complaint.id)
    assert complaint.status == ComplaintStatus.OPEN and complaint.answer is None
