"""Who may do what for a shop, without Telegram: the role matrix, `require` and `shops_where`,
and the staff themselves — one-time invitations (also under a race) and removing a clerk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import start_db, stop_db
from bot.models import Shop, Staff, StaffInvite, StaffRole, User
from bot.services import staff
from bot.services.shops import ShopDraft, create_shop
from bot.services.staff import NotAllowed, Permission, StaffError
from bot.services.users import ensure_user
from bot.ui.commands import COMMAND_PERMISSIONS, MERCHANT_COMMANDS, merchant_commands

NOW = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)
OWNER, CLERK, STRANGER, OTHER_OWNER = 1, 2, 3, 4


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[None]:
    await start_db(db_url)
    try:
        yield
    finally:
        await stop_db()


async def a_shop(owner_id: int, name: str) -> Shop:
    await ensure_user(owner_id, f"Owner {owner_id}", None, "en")
    draft = ShopDraft(name=name, category="dining", lat=31.2, lng=121.5)
    return await create_shop(owner_id, draft, require_approval=False)


@pytest.fixture
async def shop(db: None) -> Shop:
    """Noodles (OWNER, with CLERK), and a rival shop of OTHER_OWNER."""
    noodles = await a_shop(OWNER, "Noodles")
    for user_id in (CLERK, STRANGER):
        await ensure_user(user_id, f"User {user_id}", None, "en")
    await Staff.create(shop=noodles, user_id=CLERK, role=StaffRole.CLERK)
    await a_shop(OTHER_OWNER, "Rival")
    return noodles


def test_the_matrix() -> None:
    assert staff.ROLE_PERMISSIONS[StaffRole.OWNER] == frozenset(Permission)
    clerk = staff.ROLE_PERMISSIONS[StaffRole.CLERK]
    assert clerk == {
        Permission.REDEEM,
        Permission.VIEW_COUPONS,
        Permission.RECORD_PURCHASE,
        Permission.TOP_UP,
    }
    assert set(COMMAND_PERMISSIONS) == set(MERCHANT_COMMANDS)
    assert merchant_commands(clerk) == ("newshop", "coupons", "redeem")
    assert merchant_commands(frozenset()) == ("newshop",)
    assert merchant_commands(frozenset(Permission)) == MERCHANT_COMMANDS


async def test_require_asks_the_matrix(shop: Shop) -> None:
    assert (await staff.require(OWNER, shop.id, Permission.MANAGE_STAFF)).id == shop.id
    assert (await staff.require(CLERK, shop.id, Permission.REDEEM)).id == shop.id
    for permission in set(Permission) - staff.ROLE_PERMISSIONS[StaffRole.CLERK]:
        with pytest.raises(NotAllowed) as denied:
            await staff.require(CLERK, shop.id, permission)
        assert (denied.value.reason, denied.value.role) == ("not_permitted", StaffRole.CLERK)
    for user_id, shop_id in ((STRANGER, shop.id), (OTHER_OWNER, shop.id), (OWNER, shop.id + 99)):
        with pytest.raises(NotAllowed) as denied:
            await staff.require(user_id, shop_id, Permission.REDEEM)
        assert denied.value.reason == "not_staff"
    assert await staff.allows(CLERK, shop.id, Permission.VIEW_COUPONS)
    assert not await staff.allows(CLERK, shop.id, Permission.MANAGE_COUPONS)
    assert await staff.shop_if_allowed(CLERK, shop.id, Permission.PROMOTE) is None


async def test_shops_where_offers_only_permitted_shops(shop: Shop) -> None:
    second = await a_shop(OWNER, "Noodles 2")
    rival = await Shop.get(name="Rival")
    await Staff.create(shop=rival, user_id=OWNER, role=StaffRole.CLERK)  # helps out next door

    ids = [s.id for s in await staff.shops_where(OWNER, Permission.PROMOTE)]
    assert ids == [shop.id, second.id]
    ids = [s.id for s in await staff.shops_where(OWNER, Permission.REDEEM)]
    assert ids == sorted([shop.id, second.id, rival.id])  # oldest first
    assert [s.id for s in await staff.shops_where(CLERK, Permission.VIEW_COUPONS)] == [shop.id]
    assert await staff.shops_where(CLERK, Permission.PROMOTE) == []
    with pytest.raises(NotAllowed) as denied:
        await staff.require_any(CLERK, Permission.PROMOTE)
    assert (denied.value.reason, denied.value.role) == ("not_permitted", StaffRole.CLERK)
    with pytest.raises(NotAllowed) as denied:
        await staff.require_any(STRANGER, Permission.REDEEM)
    assert denied.value.reason == "not_staff"
    assert await staff.granted_anywhere(CLERK) == staff.ROLE_PERMISSIONS[StaffRole.CLERK]
    assert await staff.granted_anywhere(STRANGER) == frozenset()


async def test_an_invitation_works_once_and_only_for_its_time(shop: Shop) -> None:
    invitation = await staff.create_invite(OWNER, shop.id, now=NOW)
    assert invitation.expires_at == NOW + timedelta(hours=48)
    assert len(invitation.token) == 16  # 96 random bits
    stored = await StaffInvite.get(shop_id=shop.id)
    assert invitation.token not in (stored.token_hash, str(stored.id))  # only its hash is kept

    async def refused(reason: str, user_id: int, now: datetime = NOW) -> None:
        for attempt in (staff.preview_invite, staff.accept_invite):
            with pytest.raises(StaffError) as excinfo:
                await attempt(invitation.token, user_id, now=now)
            assert excinfo.value.reason == reason

    await refused("own_invite", OWNER)
    await refused("already_staff", CLERK)
    for attempt in (staff.preview_invite, staff.accept_invite):
        with pytest.raises(StaffError, match="unknown"):
            await attempt(invitation.token[:-1], STRANGER, now=NOW)
    await refused("expired", STRANGER, NOW + timedelta(hours=48))

    offer = await staff.preview_invite(invitation.token, STRANGER, now=NOW)
    assert (offer.shop_name, offer.inviter_name, offer.role) == ("Noodles", "Owner 1", "clerk")
    joined = await staff.accept_invite(invitation.token, STRANGER, now=NOW + timedelta(hours=47))
    assert (joined.shop.id, joined.inviter_id, joined.role) == (shop.id, OWNER, StaffRole.CLERK)
    assert await staff.role_at(STRANGER, shop.id) == StaffRole.CLERK
    await ensure_user(5, "Late", None, "en")
    await refused("used", 5)
    await refused("already_staff", STRANGER)

    with pytest.raises(NotAllowed):  # only the owner invites
        await staff.create_invite(CLERK, shop.id, now=NOW)


async def test_twenty_people_race_for_one_link(shop: Shop) -> None:
    invitation = await staff.create_invite(OWNER, shop.id, now=NOW)
    people = list(range(100, 120))
    await User.bulk_create([User(id=i, first_name=f"p{i}") for i in people])
    results = await asyncio.gather(
        *(staff.accept_invite(invitation.token, p, now=NOW) for p in people),
        return_exceptions=True,
    )
    joined = [r for r in results if isinstance(r, staff.Joined)]
    refused = [r for r in results if isinstance(r, StaffError)]
    assert len(joined) == 1 and len(refused) == 19, results
    assert {r.reason for r in refused} == {"used"}
    assert await Staff.filter(shop_id=shop.id, user_id__in=people).count() == 1


async def test_the_owner_removes_a_clerk(shop: Shop) -> None:
    row = await Staff.get(shop_id=shop.id, user_id=CLERK)
    owner_row = await Staff.get(shop_id=shop.id, user_id=OWNER)
    with pytest.raises(NotAllowed):
        await staff.remove_clerk(CLERK, row.id)  # a clerk cannot remove anyone
    with pytest.raises(NotAllowed):
        await staff.remove_clerk(OTHER_OWNER, row.id)  # nor another shop's owner
    with pytest.raises(StaffError, match="not_clerk"):
        await staff.remove_clerk(OWNER, owner_row.id)

    _, members = await staff.members(OWNER, shop.id)
    assert [(m.user_id, m.role) for m in members] == [
        (OWNER, StaffRole.OWNER),
        (CLERK, StaffRole.CLERK),
    ]
    removed = await staff.remove_clerk(OWNER, row.id)
    assert (removed.shop.id, removed.user_id) == (shop.id, CLERK)
    assert await staff.role_at(CLERK, shop.id) is None
    with pytest.raises(StaffError, match="not_found"):  # a second tap
        await staff.remove_clerk(OWNER, row.id)
    assert await staff.granted_anywhere(CLERK) == frozenset()
