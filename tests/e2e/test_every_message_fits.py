"""Property: whatever merchants and customers type — every field at its maximum length, full of
HTML specials, emoji, CJK, right-to-left text and combining marks — every message the bot sends
is accepted by Telegram, on every screen: the shop page and its services in full, a service's
photo, the /newshop preview, /myshop, the operator's review, /services, the coupon preview and
card, /coupons, /greetings and its preview, /wallet, reviews, promo preview and push, /results
and its chart, /redeem, /following, /profile and nearby results; after the visit the welcome,
"How was your visit?", the complaint with its owner's alert and answer, and /feedback.

Content is built in the database where typing it would only be slow; the screens are sent by
the real bot through the fake server, which refuses anything Telegram would. Lengths are checked
in UTF-16 units as well (the stricter count; the fake counts characters)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot import clock
from bot.clock import FrozenClock
from bot.config import Config
from bot.models import CouponClaim, CouponKind, Review, Service, Shop, User
from bot.services import coupons, follows, greetings, reviews
from bot.services.users import ensure_user, set_roles
from bot.services.visible import is_blank
from bot.ui.buttons.greetings import GreetingCoupons, GreetingOpen, GreetingPreview
from bot.ui.buttons.newshop import PreviewChoice
from bot.ui.buttons.wallet import ClaimCoupon
from scheduler import views_of
from scheduler.care import ask_due_surveys
from tests.e2e.conftest import OPERATOR_ID
from tests.e2e.helpers import LAT, LNG, make_shop
from tests.e2e.test_wallet import MORNING, frozen_at
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_markup import utf16_len
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

#: What people type: HTML specials (raw and as entities), emoji and sequences, flags, CJK,
#: right-to-left scripts and overrides, combining marks, Markdown characters.
PIECES = [
    "a", "Z", "9", "<", ">", "&", '"', "'", "&amp;", "<b>", "</i>", "中文", "😀", "👩‍👩‍👧",
    "🇨🇳", "\u202e", "שלום", "عربي", "e\u0301", "\u0301", "\u200d", "\\", "*", "_", "`", "[",
]  # fmt: skip
PHONE = "+8613812345678"
HOURS = "Mon-Fri 09:00-21:00; Sat 10:00-18:00"
EXAMPLES = 6


def exactly(length: int) -> st.SearchStrategy[str]:
    """Text of exactly `length` characters (as the bot counts them), no whitespace, something
    in it visible (the bot refuses blank answers)."""

    def text(pieces: list[str]) -> str:
        tiled = ("".join(pieces) * length)[:length]
        return ("a" + tiled)[:length] if is_blank(tiled) else tiled

    return st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map(text)


@dataclass(frozen=True)
class Content:
    lang: str
    person: str  # Telegram first names and the profile name
    shop_name: str
    address: str
    about: str
    service_name: str
    service_about: str
    services: int
    title: str
    terms: str
    review: str
    reply: str
    promo: str
    greeting: str
    followed: int  # shops the customer follows

    def service(self, n: int, text: str, length: int) -> str:
        return (f"{n}{text}")[:length]


CONTENT = st.builds(
    Content,
    lang=st.sampled_from(["en", "zh-hans"]),
    person=exactly(64),
    shop_name=exactly(64),
    address=exactly(200),
    about=exactly(1000),
    service_name=exactly(64),
    service_about=exactly(500),
    services=st.sampled_from([50, 8, 2]),
    title=exactly(64),
    terms=exactly(500),
    review=exactly(1000),
    reply=exactly(1000),
    promo=exactly(600),
    greeting=exactly(greetings.TEXT_MAX),
    followed=st.sampled_from([25, 1]),
)


@pytest.fixture
async def tg() -> Iterator[FakeTelegram]:
    """The fake server without sending limits: this test is about lengths, not pacing."""
    async with FakeTelegram(global_rate=None, per_chat_rate=None) as fake:
        fake.user(OPERATOR_ID, first_name="Olga", language_code="en")
        yield fake


@pytest.fixture
def config(config: Config) -> Config:
    fast = replace(
        config.broadcast,
        rate_per_second=10_000.0,
        burst=1000,
        per_chat_rate=10_000.0,
        per_chat_burst=1000,
        progress_interval_seconds=0.2,
    )
    return config.with_(broadcast=fast)


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:  # 10:00 in Shanghai: nobody's quiet hours
        yield stopped


IDS = itertools.count(10_000, 100)


def a_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 40, 200)).save(buffer, "PNG")
    return buffer.getvalue()


# ------------------------------------------------------------------------- the property


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=CONTENT)
async def test_every_screen_fits_whatever_people_type(
    bot,
    tg: FakeTelegram,
    config: Config,
    frozen: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    content: Content,
) -> None:
    base = next(IDS)
    world = await build(tg, config, content, base)
    await customer_screens(tg, world)
    await merchant_screens(tg, world)
    await care_screens(bot, frozen, world)
    await registration_and_review(tg, world)
    tg.assert_no_errors()
    assert_lengths(tg)
    cut_anyhow = [r.getMessage() for r in caplog.records if r.name == "bot.ui.text"]
    assert not cut_anyhow, cut_anyhow  # screens gave way by design, not by the last resort


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    content: Content
    shop: Shop
    coupon_id: int
    owner: FakeUser
    customer: FakeUser
    merchant: FakeUser
    operator: FakeUser
    photo: bytes


async def build(tg: FakeTelegram, config: Config, c: Content, base: int) -> World:
    """An approved shop with every field at its maximum, its services (some with photos), a
    coupon, reviews with replies; a customer who follows it and more shops."""
    owner_id, customer_id, merchant_id = base, base + 1, base + 2
    for user_id in (owner_id, customer_id, merchant_id):
        user = await ensure_user(user_id, c.person, None, c.lang)
        await set_roles(user, consumer=user_id == customer_id, merchant=user_id != customer_id)
    await User.filter(id=customer_id).update(name=c.person)
    shop = await make_shop(
        c.shop_name,
        owner_id=owner_id,
        address=c.address,
        description=c.about,
        phone=PHONE,
        hours=HOURS,
    )
    photo = a_photo()
    photo_id = tg.photo_sizes(photo)[-1]["file_id"]
    await Service.bulk_create(
        Service(
            shop=shop,
            name=c.service(n, c.service_name, 64),
            price_cents=100_000_000,
            description=c.service(n, c.service_about, 500),
            photo_file_id=photo_id if n % 3 == 0 else None,
            position=n,
        )
        for n in range(c.services)
    )
    coupon = await coupons.create_coupon(
        shop.id,
        kind=CouponKind.AMOUNT,
        value=500,
        title=c.title,
        terms=c.terms,
        min_spend_cents=3000,
        stock=100,
        valid_days=30,
    )
    for n in range(6):  # two pages of reviews, each with the owner's reply
        reviewer = base + 10 + n
        await ensure_user(reviewer, c.person, None, c.lang)
        await reviews.write_review(shop.id, reviewer, 1 + n % 5, c.review, text_max=1000)
        review = await Review.get(shop_id=shop.id, user_id=reviewer)
        await reviews.reply_to_review(review.id, owner_id, c.reply, text_max=1000)
    await follows.follow_shop(customer_id, shop.id)
    await follows.follow_category(
        customer_id, "laundry", LAT, LNG, 2000, categories=config.categories
    )
    for n in range(1, c.followed):
        other = await make_shop(c.service(n, c.shop_name, 64), north_m=50 * n, owner_id=base + 50)
        await follows.follow_shop(customer_id, other.id)
    return World(
        c,
        shop,
        coupon.id,
        tg.user(owner_id, first_name=c.person, language_code=c.lang),
        tg.user(customer_id, first_name=c.person, language_code=c.lang),
        tg.user(merchant_id, first_name=c.person, language_code=c.lang),
        tg.user(OPERATOR_ID, first_name="Olga", language_code="en"),
        photo,
    )


# --------------------------------------------------------------------------------- screens


async def customer_screens(tg: FakeTelegram, w: World) -> None:
    ann, shop = w.customer, w.shop
    await ann.send(f"/start shop_{shop.id}")
    _venue, page = await ann.replies(2)
    services = data_with(page, "shop:svc:")
    if services:  # the services in full, every page, and a service's photo
        await ann.press(page, data=services)
        full = await ann.reply()
        for number in itertools.count(1):
            pic = data_with(full, "shop:pic:")
            if pic:
                await ann.press(full, data=pic)
                assert (await ann.reply()).method == "sendPhoto"
            turn = f"shop:svp:{shop.id}:{number}"
            if turn not in full.callback_data:
                break
            await edited(ann, full, turn)
    await ann.press(page, data=f"rv:l:{shop.id}:0")
    listed = await ann.reply()
    await edited(ann, listed, f"rv:p:{shop.id}:1")
    await ann.press(page, data=ClaimCoupon(coupon_id=w.coupon_id).pack())
    await until(ann, lambda m: m.method == "sendPhoto")
    for command in ("/wallet", "/following", "/profile"):  # each answers with its buttons
        await ann.send(command)
        await until(ann, lambda m: bool(m.buttons))
    await ann.send("/nearby")
    await ann.reply()
    await ann.share_location(LAT, LNG)
    _, nearby = await ann.replies(2)  # every shop around, nearest first
    assert data_with(nearby, "shop:") is not None


async def merchant_screens(tg: FakeTelegram, w: World) -> None:
    boss, c = w.owner, w.content
    await boss.send("/myshop")
    await boss.reply()
    await boss.send("/services")
    catalogue = await boss.reply()
    with_photo = await Service.filter(shop_id=w.shop.id, photo_file_id__isnull=False).first()
    if with_photo is not None and f"cat:open:{with_photo.id}" in catalogue.callback_data:
        await boss.press(catalogue, data=f"cat:open:{with_photo.id}")
        assert (await boss.reply()).method == "sendPhoto"
    await boss.send("/coupons")
    await boss.reply()

    # /greetings: the year ahead, a holiday with the longest text and the coupon, the coupon
    # list, and the preview exactly as customers get it.
    shop_id = w.shop.id
    await greetings.set_occasion(shop_id, "spring_festival", text=c.greeting, coupon_id=w.coupon_id)
    await boss.send("/greetings")
    screen = await until(boss, lambda m: data_with(m, "grt:open:") is not None)
    holiday = GreetingOpen(shop_id=shop_id, occasion="spring_festival")
    await edited(boss, screen, holiday.pack())
    await edited(boss, screen, GreetingCoupons(shop_id=shop_id, occasion="spring_festival").pack())
    await edited(boss, screen, holiday.pack())
    await boss.press(
        screen, data=GreetingPreview(shop_id=shop_id, occasion="spring_festival").pack()
    )
    await until(boss, lambda m: data_with(m, "grt:stop:") is not None)

    # /newcoupon up to its preview (the card exactly as customers get it), then leave.
    await boss.send("/newcoupon")
    kinds = await boss.reply()
    await boss.send(kinds.reply_keyboard[1][0])  # amount off
    for answer in ("5", c.title, c.terms, "30", "50", "1", "30"):
        await boss.reply()
        await boss.send(answer)
    audiences = await boss.reply()
    await boss.send(audiences.reply_keyboard[0][0])  # everyone
    await until(boss, lambda m: data_with(m, "cpn:pub") is not None)
    await boss.send("/cancel")
    await boss.reply()

    # /promo with a photo and the coupon, previewed, sent to followers (the customer).
    await boss.send("/promo")
    await boss.reply()
    await boss.send(c.promo)
    await boss.reply()
    await boss.send_photo(w.photo)
    offers = await until(boss, lambda m: data_with(m, "promo:cpn:") is not None)
    await boss.press(offers, data=f"promo:cpn:{w.coupon_id}")
    audience = await until(boss, lambda m: data_with(m, "promo:aud:") is not None)
    await boss.press(audience, data="promo:aud:followers")
    await until(boss, lambda m: m.method == "sendPhoto")
    confirm = await until(boss, lambda m: data_with(m, "promo:send") is not None)
    await boss.press(confirm, data=data_with(confirm, "promo:send"))
    push = await until(w.customer, lambda m: f"wlt:claim:{w.coupon_id}:" in str(m.callback_data))
    assert push.method == "sendPhoto"

    await boss.send("/results")
    results = await until(boss, lambda m: data_with(m, "res:chart:") is not None)
    await boss.press(results, data=f"res:chart:{w.coupon_id}")
    await until(boss, lambda m: m.method == "sendPhoto")

    claim = await CouponClaim.get(user_id=w.customer.id)
    await boss.send(f"/redeem {claim.code}")
    confirmation = await until(boss, lambda m: data_with(m, "rdm:ok:") is not None)
    await edited(boss, confirmation, f"rdm:ok:{claim.id}")
    await until(w.customer, lambda m: m.method == "sendMessage" and not m.buttons)


async def care_screens(bot, frozen: FrozenClock, w: World) -> None:
    """Half an hour after the redemption: the question, the lowest score, what went wrong at
    its longest, the owner's alerts, /feedback, and the answer delivered."""
    ann, boss, c = w.customer, w.owner, w.content
    frozen.advance(minutes=30)
    await ask_due_surveys(views_of(bot.app), clock.now())
    question = await until(ann, lambda m: data_with(m, "care:s:") is not None)
    await ann.press(question, data=data_with(question, "care:s:"))  # 1 ⭐
    await until(ann, lambda m: m.reply_keyboard is not None)
    await ann.send(c.review)
    await until(boss, lambda m: data_with(m, "care:a:") is not None)  # the alert at once
    await until(boss, lambda m: data_with(m, "care:a:") is not None)  # and with the words
    await boss.send("/feedback")
    listing = await until(boss, lambda m: data_with(m, "care:a:") is not None)
    await boss.press(listing, data=data_with(listing, "care:a:"))
    await boss.reply()
    await boss.send(c.reply)
    await boss.reply()
    await until(ann, lambda m: c.reply[:3] in (m.text or ""))


async def registration_and_review(tg: FakeTelegram, w: World) -> None:
    """/newshop typed at every maximum, its preview, publishing; the operator's review."""
    max_, c = w.merchant, w.content
    await max_.send("/newshop")
    await max_.reply()
    await max_.send(c.shop_name)
    await max_.press(await max_.reply(), data="nshop:cat:0")
    await max_.reply()
    await max_.share_location(LAT, LNG)
    await max_.reply()
    for answer in (c.address, PHONE, HOURS, c.about):
        await max_.send(answer)
        await max_.reply()
    await max_.send_photo(w.photo)
    done = await max_.reply()
    await max_.send(done.reply_keyboard[0][0])  # ✅ Done
    publish = PreviewChoice(choice="ok").pack()
    question = await until(max_, lambda m: publish in m.callback_data)
    await max_.press(question, data=publish)
    await max_.reply()
    review = await until(w.operator, lambda m: data_with(m, "opr:view:") is not None)
    await w.operator.press(review, data=data_with(review, "opr:view:"))
    await until(w.operator, lambda m: m.method == "sendMessage" and c.shop_name[:5] in m.text)
    await w.operator.send("/pending")
    await until(w.operator, lambda m: data_with(m, "opr:ok:") is not None)


# -------------------------------------------------------------------------------- helpers


def data_with(message: BotMessage, prefix: str) -> str | None:
    """The first button data on the message that starts with `prefix`."""
    return next((d for d in message.callback_data if d.startswith(prefix)), None)


async def until(user: FakeUser, wanted: Callable[[BotMessage], bool]) -> BotMessage:
    """The next bot message that is `wanted` (those before it passed over)."""
    while True:
        message = await user.reply(timeout=15)
        if wanted(message):
            return message


async def edited(user: FakeUser, message: BotMessage, data: str) -> None:
    """Press a button that edits its own message (if the message has it), wait for the edit."""
    if data not in message.callback_data:
        return
    edits = len(message.edits)
    await user.press(message, data=data)
    await user.wait_for(lambda: len(message.edits) > edits, timeout=15)


def assert_lengths(tg: FakeTelegram) -> None:
    """Every text and caption sent or edited, measured as UTF-16 units."""
    for chat_id in list(tg._chats):
        for message in tg.chat_messages(chat_id):
            states = [message.snapshot(), *(edit.after for edit in message.edits)]
            for state in states:
                for key, limit in (("text", 4096), ("caption", 1024)):
                    shown = state.get(key) or ""
                    assert utf16_len(shown) <= limit, (chat_id, message.method, key, len(shown))
