"""Every message fits: a shop page that holds everything merchants may type still reaches
customers in one message (descriptions shortened, the last services left out with a note, every
service one tap away under 📋 All services, each service's photo on request); a coupon whose
terms overflow its picture's caption follows it with the whole text; a pushed promotion's words
give way to fit under its photo, exactly as the preview showed."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.clock import FrozenClock
from bot.models import Service, Shop
from bot.ui.buttons.shop import ServicePhoto
from tests.e2e.helpers import OWNER_ID, make_shop
from tests.e2e.test_promo import PHOTO, compose, follower, send_now
from tests.e2e.test_wallet import MORNING, add_coupon, customer, frozen_at, open_page, owner
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_markup import utf16_len
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser

ABOUT = ("Hand-pulled noodles, broth simmered for twelve hours. " * 20)[:994] + " (END)"


def described(n: int) -> str:
    """A 500-character description whose end is recognisable."""
    return (f"Service {n} is made fresh every morning. " * 15)[:490] + f" [end {n:02d}]"


def a_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


async def shop_with_services(count: int, *, name_length: int = 12) -> Shop:
    shop = await make_shop("Long Noodles", description=ABOUT, address="88 Nanjing Road")
    for n in range(1, count + 1):
        name = f"Dish {n:02d} ".ljust(name_length, "x")
        await Service.create(
            shop=shop, name=name, price_cents=100_000_000, description=described(n), position=n
        )
    return shop


async def turn(user: FakeUser, message: BotMessage, button: str) -> None:
    """Press a button that edits its own message, and wait for the edit."""
    edits = len(message.edits)
    await user.press(message, text=button)
    await user.wait_for(lambda: len(message.edits) > edits)


async def page_through(user: FakeUser, first: BotMessage) -> list[str]:
    """Every page of the services in full, turning with Next (edited in place)."""
    texts = [first.text or ""]
    while "Next »" in first.button_texts:
        await turn(user, first, "Next »")
        texts.append(first.text or "")
    return texts


async def test_a_full_page_fits_and_every_service_is_one_tap_away(bot, tg: FakeTelegram) -> None:
    shop = await shop_with_services(8)
    ann = await customer(tg, 40)
    page = await open_page(ann, shop)

    text = page.text or ""
    assert utf16_len(text) <= 4096
    assert text.startswith("Long Noodles\n🍜 Dining") and "📍 88 Nanjing Road" in text
    assert all(f"Dish {n:02d}" in text and "¥1,000,000.00" in text for n in range(1, 9))
    assert "(END)" not in text and "[end" not in text  # descriptions shortened...
    assert text.count("…") >= 9  # ...each of them, with an ellipsis
    assert "Hand-pulled noodles" in text and "more." not in text  # no service left out
    assert page.button_texts[0] == "📋 All services (8)"
    assert page.button_texts[1:] == ["✍️ Write a review", "⭐ Follow"]

    await ann.press(page, text="📋 All services (8)")
    full = await ann.reply()
    assert (full.text or "").startswith("Long Noodles · services and prices (1/")
    texts = await page_through(ann, full)
    everything = "\n".join(texts)
    assert ABOUT in everything  # the description the page shortened, in full
    assert all(described(n) in everything for n in range(1, 9))
    assert all(utf16_len(t) <= 4096 for t in texts)
    tg.assert_no_errors()


async def test_fifty_services_leave_a_note_and_page_through(bot, tg: FakeTelegram) -> None:
    shop = await shop_with_services(50, name_length=64)
    ann = await customer(tg, 41)
    page = await open_page(ann, shop)

    text = page.text or ""
    assert utf16_len(text) <= 4096
    shown = [n for n in range(1, 51) if f"Dish {n:02d}" in text]
    left_out = 50 - len(shown)
    assert shown == list(range(1, len(shown) + 1)) and left_out > 0  # the last ones give way
    assert f"…and {left_out} more services. Tap 📋 All services to see every one." in text

    await ann.press(page, text="📋 All services (50)")
    full = await ann.reply()
    texts = await page_through(ann, full)
    count = len(texts)  # as many as 4,096 characters hold, ten services at most
    assert count > 5 and texts[-1].startswith(f"Long Noodles · services and prices ({count}/")
    assert all(utf16_len(t) <= 4096 for t in texts)
    everything = "\n".join(texts)
    assert all(described(n) in everything for n in range(1, 51))
    assert [everything.index(f"Dish {n:02d}") for n in range(1, 51)] == sorted(
        everything.index(f"Dish {n:02d}") for n in range(1, 51)
    )
    await turn(ann, full, "« Previous")
    assert (full.text or "") == texts[-2]
    tg.assert_no_errors()


async def test_service_photos_are_shown_on_request(bot, tg: FakeTelegram) -> None:
    shop = await make_shop("Photo Noodles")
    photo_id = tg.photo_sizes(a_photo())[-1]["file_id"]
    beef = await Service.create(
        shop=shop,
        name="Beef <noodles>",
        price_cents=2800,
        description="Slow broth & beef.",
        photo_file_id=photo_id,
        position=0,
    )
    await Service.create(shop=shop, name="Tea", price_cents=500, position=1)
    hidden = await Service.create(
        shop=shop, name="Secret", price_cents=1, photo_file_id=photo_id, hidden=True, position=2
    )
    li = await customer(tg, 42, "李雷", "zh-hans")
    page = await open_page(li, shop)
    assert "Beef <noodles> — ¥28.00" in (page.text or "") and "Secret" not in (page.text or "")
    assert page.button_texts[0] == "📋 全部服务（2）"  # short page, but there is a photo to see

    await li.press(page, text="📋 全部服务（2）")
    full = await li.reply()
    assert full.text == (
        "Photo Noodles · 服务与价格（1/1）\n\n"
        "• Beef <noodles> — ¥28.00 📷\n  Slow broth & beef.\n• Tea — ¥5.00"
    )
    assert full.button_texts == ["📷 Beef <noodles>"]
    await li.press(full, text="📷 Beef <noodles>")
    picture = await li.reply()
    assert picture.method == "sendPhoto" and picture.photo == a_photo()
    assert picture.caption == "Beef <noodles> — ¥28.00\nSlow broth & beef.\n🏪 Photo Noodles"

    # A hidden service's photo, a forged or malformed button: politely expired, nothing sent.
    forged = (
        ServicePhoto(service_id=hidden.id).pack(),
        ServicePhoto(service_id=999999).pack(),
        "shop:svc:abc:0",
        "shop:svp:1",
    )
    for data in forged:
        await li.press_data(full.message_id, data)
        assert "已失效" in (await li.callback_answer())["text"], data
    assert len(li.inbox) == 4 and beef.id
    tg.assert_no_errors()


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    with frozen_at(MORNING) as stopped:  # 10:00 in Shanghai: nobody's quiet hours
        yield stopped


#: 500 characters (within the limit) that Telegram counts as 1,000: a caption cannot hold them
#: beside the rest of a coupon card.
EMOJI_TERMS = "🍜" * 500


async def test_terms_too_long_for_the_caption_follow_the_card_in_full(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Terms Noodles")
    await add_coupon(shop, terms=EMOJI_TERMS)
    ann = await customer(tg, 43)
    page = await open_page(ann, shop)
    await ann.press(page, text="🎟 20% off noodles")
    card, whole = await ann.replies(2)

    caption = card.caption or ""
    assert card.method == "sendPhoto" and utf16_len(caption) <= 1024
    assert caption.startswith("✅ Added to 🎟 My coupons\n\n🎟 20% off noodles\n🏪 Terms Noodles")
    assert "📝 🍜🍜" in caption and "🍜…\n" in caption  # the terms gave way...
    assert "Code: " in caption and "Use by" in caption  # ...nothing else did
    assert whole.method == "sendMessage" and f"📝 {EMOJI_TERMS}\n" in (whole.text or "")
    tg.assert_no_errors()


async def test_a_pushed_photo_keeps_its_caption_within_telegrams_limit(
    bot, tg: FakeTelegram, frozen: FrozenClock
) -> None:
    shop = await make_shop("Push Noodles")
    fan = await follower(tg, 44, shop)
    boss = await owner(tg, OWNER_ID)
    words = "🔥" * 600  # the longest text /promo accepts, twice as long for Telegram
    preview, confirm = await compose(boss, words, "⭐ Your followers", photo=PHOTO)
    assert preview.method == "sendPhoto" and utf16_len(preview.caption or "") <= 1024
    assert "🔥…" in (preview.caption or "") and "you follow Push Noodles" in (preview.caption or "")

    await send_now(boss, confirm)
    push = await fan.reply()
    assert push.method == "sendPhoto" and push.caption == preview.caption
    tg.assert_no_errors()
