"""The shop page customers open from search results and from `/start shop_<id>` links."""

from __future__ import annotations

from bot.models import Service, Shop, ShopStatus
from bot.services.users import ensure_user, set_roles
from tests.e2e.helpers import make_shop, onboard, results_for
from tests.fakes.telegram import FakeTelegram


async def noodle_house() -> Shop:
    """An approved, always-open shop with two visible services and a hidden one."""
    shop = await make_shop(
        "Noodle <House>",
        north_m=300,
        phone="+8613800138000",
        address="12 Fuzhou Road",
        description="Hand-pulled noodles since 1998.",
    )
    await Service.create(shop=shop, name="Beef noodles", price_cents=2800, position=0)
    await Service.create(shop=shop, name="Secret menu", price_cents=9900, hidden=True, position=1)
    await Service.create(
        shop=shop, name="Dumplings", price_cents=1550, description="Six pieces", position=2
    )
    return shop


async def test_shop_page_from_search_result(bot, tg: FakeTelegram) -> None:
    shop = await noodle_house()
    ann = tg.user(20, first_name="Ann", language_code="en")
    results = await results_for(ann, "🍜 Dining")
    await ann.press(results, text="1. Noodle <House>")
    venue, page = await ann.replies(2)

    assert venue.method == "sendVenue"
    assert venue.venue["title"] == "Noodle <House>"
    assert venue.venue["address"] == "12 Fuzhou Road"
    assert abs(venue.content["location"]["latitude"] - shop.lat) < 1e-6
    text = page.text
    assert text.startswith("Noodle <House>\n🍜 Dining")
    assert "No ratings yet" in text and "open now" in text
    assert "Hand-pulled noodles since 1998." in text
    assert "Beef noodles — ¥28.00" in text and "Dumplings — ¥15.50" in text
    assert "Six pieces" in text
    assert "Secret menu" not in text and "99.00" not in text
    assert page.button_texts == ["✍️ Write a review", "⭐ Follow"]
    assert page.callback_data == [f"rv:w:{shop.id}", f"fol:on:{shop.id}"]


async def test_shop_page_from_deep_link_in_chinese(bot, tg: FakeTelegram) -> None:
    shop = await noodle_house()
    li = tg.user(21, first_name="李雷", language_code="zh-hans")
    await onboard(li)
    await li.send(f"/start shop_{shop.id}")
    venue, page = await li.replies(2)
    assert venue.venue["title"] == "Noodle <House>"
    assert "🍜 餐饮" in page.text and "暂无评分" in page.text
    assert "服务与价格" in page.text and "Beef noodles — ¥28.00" in page.text
    assert "Secret menu" not in page.text
    assert page.button_texts == ["✍️ 写评价", "⭐ 关注本店"]


async def test_deep_link_for_a_new_user_shows_page_then_welcome(bot, tg: FakeTelegram) -> None:
    shop = await noodle_house()
    bob = tg.user(22, first_name="Bob", language_code="en")
    await bob.send(f"/start shop_{shop.id}")
    venue, page, welcome = await bob.replies(3)
    assert venue.method == "sendVenue" and "Beef noodles" in page.text
    assert "Hello Bob" in welcome.text


async def test_unavailable_shops_and_malformed_links(bot, tg: FakeTelegram) -> None:
    pending = await make_shop("Pending Place", approve=None)
    rejected = await make_shop("Rejected Place", approve=False)
    ann = tg.user(23, first_name="Ann", language_code="en")
    await set_roles(await ensure_user(23, "Ann", None, "en"), consumer=True, merchant=False)

    for link in (f"shop_{pending.id}", f"shop_{rejected.id}", "shop_99999", "shop_abc", "shop_-1"):
        await ann.send(f"/start {link}")
        note = await ann.reply()
        assert "this shop is not available" in note.text, link
        assert note.method == "sendMessage"

    await ann.press_data(note.message_id, f"shop:{pending.id}")
    assert "not available" in (await ann.reply()).text
    await ann.press_data(note.message_id, "shop:abc")
    assert "expired" in (await ann.callback_answer())["text"]
    assert not [m for m in ann.inbox if m.method == "sendVenue"]


async def test_owner_sees_no_write_button_on_own_page(bot, tg: FakeTelegram) -> None:
    shop = await noodle_house()
    owner = tg.user(500, first_name="Owner", language_code="en")
    await owner.send(f"/start shop_{shop.id}")
    _, page = await owner.replies(2)
    assert not page.buttons  # no reviews yet, and owners do not review themselves


async def test_results_button_opens_current_page(bot, tg: FakeTelegram) -> None:
    """A shop hidden after the search was shown is refused politely from the old list."""
    shop = await make_shop("Soon Gone", north_m=100)
    ann = tg.user(24, first_name="Ann", language_code="en")
    results = await results_for(ann, "✨ All")
    await Shop.filter(id=shop.id).update(status=ShopStatus.REJECTED)
    await ann.press(results, text="1. Soon Gone")
    assert "not available" in (await ann.reply()).text
