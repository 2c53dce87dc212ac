"""The catalogue rules without Telegram: typed values, unique names, order, hiding, rights."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.db import start_db, stop_db
from bot.models import Service, Shop, Staff, StaffRole
from bot.services import catalog
from bot.services.catalog import CatalogError, Limits, ServiceDraft
from bot.services.shops import ShopDraft, create_shop
from bot.services.staff import NotAllowed
from bot.services.users import ensure_user

LIMITS = Limits(name_max=20, description_max=30, max_price_units=1000)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    await start_db(db_url)
    try:
        yield
    finally:
        await stop_db()


async def a_shop(owner_id: int = 1, name: str = "Noodles") -> Shop:
    await ensure_user(owner_id, "Wang", None, "en")
    draft = ShopDraft(name=name, category="dining", lat=31.2, lng=121.5)
    return await create_shop(owner_id, draft, require_approval=False)


def reason(excinfo: pytest.ExceptionInfo[CatalogError]) -> str:
    return excinfo.value.reason


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("28", 2800), ("28.5", 2850), ("¥28.50", 2850), (" 0.99 ", 99), ("1,000", 100_000)],
)
def test_prices_people_type(typed: str, cents: int) -> None:
    assert LIMITS.price(typed) == cents


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("abc", "price_invalid"),
        ("-5", "price_invalid"),
        ("28.555", "price_invalid"),
        ("", "price_invalid"),
        ("1000.01", "price_too_high"),
        ("99999999", "price_too_high"),
    ],
)
def test_bad_prices_say_why(typed: str, why: str) -> None:
    with pytest.raises(CatalogError) as excinfo:
        LIMITS.price(typed)
    assert reason(excinfo) == why
    if why == "price_too_high":
        assert excinfo.value.params == {"max": 1000}


def test_names_and_descriptions() -> None:
    assert LIMITS.name("  Beef \n noodles ") == "Beef noodles"
    assert LIMITS.name("x" * 20) == "x" * 20
    with pytest.raises(CatalogError) as excinfo:
        LIMITS.name("   ")
    assert reason(excinfo) == "name_empty"
    with pytest.raises(CatalogError) as excinfo:
        LIMITS.name("x" * 21)
    assert reason(excinfo) == "name_too_long"
    assert LIMITS.description(" Two lines\nof text ") == "Two lines\nof text"
    with pytest.raises(CatalogError) as excinfo:
        LIMITS.description("y" * 31)
    assert (reason(excinfo), excinfo.value.params) == ("description_too_long", {"max": 30})


def test_limits_never_exceed_the_name_column() -> None:
    from bot.config import Config

    limits = Limits.of(Config(service_name_max=500, service_max_price=99))
    assert limits.name_max == catalog.NAME_COLUMN_MAX
    assert limits.max_price_units == 99


async def test_add_appends_in_order_and_refuses_duplicate_names(db: None) -> None:
    shop = await a_shop()
    first = await catalog.add_service(shop.id, ServiceDraft("Beef noodles", 2800), LIMITS)
    second = await catalog.add_service(
        shop.id, ServiceDraft("Dumplings", 1500, " Pork ", "PHOTO1"), LIMITS
    )
    assert [s.id for s in await catalog.services_of(shop.id)] == [first.id, second.id]
    assert (second.description, second.photo_file_id, second.hidden) == ("Pork", "PHOTO1", False)
    with pytest.raises(CatalogError) as excinfo:
        await catalog.add_service(shop.id, ServiceDraft("beef NOODLES", 100), LIMITS)
    assert reason(excinfo) == "name_taken"
    other = await a_shop(2, "Other")
    await catalog.add_service(other.id, ServiceDraft("Beef noodles", 100), LIMITS)  # other shop
    with pytest.raises(CatalogError) as excinfo:
        await catalog.add_service(shop.id, ServiceDraft("Soup", 100_001), LIMITS)
    assert reason(excinfo) == "price_invalid"
    assert await Service.filter(shop_id=shop.id).count() == 2


async def test_update_validates_and_keeps_unknown_fields_out(db: None) -> None:
    shop = await a_shop()
    noodles = await catalog.add_service(shop.id, ServiceDraft("Noodles", 2800), LIMITS)
    await catalog.add_service(shop.id, ServiceDraft("Soup", 900), LIMITS)
    await catalog.update_service(noodles, LIMITS, name="NOODLES", price_cents=3000)
    await catalog.update_service(noodles, LIMITS, description="Spicy", photo_file_id="P")
    fresh = await Service.get(id=noodles.id)
    assert (fresh.name, fresh.price_cents, fresh.description, fresh.photo_file_id) == (
        "NOODLES",
        3000,
        "Spicy",
        "P",
    )
    for changes, why in [
        ({"name": "soup"}, "name_taken"),
        ({"name": ""}, "name_empty"),
        ({"price_cents": -1}, "price_invalid"),
        ({"description": "z" * 31}, "description_too_long"),
        ({"hidden": True}, "unknown_field"),
        ({"shop_id": 99}, "unknown_field"),
    ]:
        with pytest.raises(CatalogError) as excinfo:
            await catalog.update_service(fresh, LIMITS, **changes)
        assert reason(excinfo) == why
    assert (await Service.get(id=noodles.id)).name == "NOODLES"


async def test_hidden_services_are_kept_from_customers(db: None) -> None:
    shop = await a_shop()
    noodles = await catalog.add_service(shop.id, ServiceDraft("Noodles", 2800), LIMITS)
    soup = await catalog.add_service(shop.id, ServiceDraft("Soup", 900), LIMITS)
    await catalog.set_hidden(noodles, True)
    await catalog.set_hidden(noodles, True)  # a second press changes nothing
    assert [s.id for s in await catalog.services_of(shop.id, include_hidden=False)] == [soup.id]
    assert len(await catalog.services_of(shop.id)) == 2
    await catalog.set_hidden(noodles, False)
    assert len(await catalog.services_of(shop.id, include_hidden=False)) == 2


async def test_only_the_owner_gets_a_service(db: None) -> None:
    shop = await a_shop(1)
    await a_shop(2, "Rival")
    await ensure_user(3, "Clerk", None, "en")
    await Staff.create(shop=shop, user_id=3, role=StaffRole.CLERK)
    noodles = await catalog.add_service(shop.id, ServiceDraft("Noodles", 2800), LIMITS)
    assert (await catalog.managed_service(1, noodles.id)).id == noodles.id
    assert await catalog.managed_service(1, noodles.id + 100) is None
    for rival_or_clerk, reason in ((2, "not_staff"), (3, "not_permitted")):
        with pytest.raises(NotAllowed) as denied:
            await catalog.managed_service(rival_or_clerk, noodles.id)
        assert denied.value.reason == reason


async def test_move_up_and_delete(db: None) -> None:
    shop = await a_shop()
    a, b, c = [
        await catalog.add_service(shop.id, ServiceDraft(name, 100), LIMITS) for name in "ABC"
    ]
    assert await catalog.move_up(c) is True
    assert [s.name for s in await catalog.services_of(shop.id)] == ["A", "C", "B"]
    assert await catalog.move_up(c) is True
    assert await catalog.move_up(c) is False  # already first
    assert [s.name for s in await catalog.services_of(shop.id)] == ["C", "A", "B"]
    await catalog.delete_service(a)
    d = await catalog.add_service(shop.id, ServiceDraft("D", 100), LIMITS)
    assert [s.id for s in await catalog.services_of(shop.id)] == [c.id, b.id, d.id]


async def test_a_shop_lists_a_bounded_number_of_services(db: None) -> None:
    shop = await a_shop()
    await Service.bulk_create(
        [Service(shop=shop, name=f"S{i}", price_cents=100) for i in range(catalog.MAX_SERVICES)]
    )
    with pytest.raises(CatalogError) as excinfo:
        await catalog.add_service(shop.id, ServiceDraft("One more", 100), LIMITS)
    assert (reason(excinfo), excinfo.value.params) == ("too_many", {"max": catalog.MAX_SERVICES})
