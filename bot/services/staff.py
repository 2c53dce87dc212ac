"""Who may do what for a shop: one permission check over a role → permissions matrix, and the
staff themselves (inviting a clerk with a one-time link, listing, removing).

Every merchant command and button asks `require(user, shop, permission)` (or, to offer a choice
of shops, `shops_where(user, permission)`); nothing else decides who may act for a shop. The
owner may do everything; a clerk works the counter (redeems coupons, records purchases and
top-ups) and sees the shop's coupons, read-only.

Invitations: a random token (96 bits) travels in the link `?start=staff_<token>`; only its
SHA-256 is stored. Accepting is a conditional update (unused and unexpired → used) in the same
transaction as the new Staff row, so a link works once even when two people race for it, and
the unique (shop, user) of Staff refuses someone who is already on the staff.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.models import Shop, Staff, StaffInvite, StaffRole, User
from bot.services import fast_sql


class Permission(StrEnum):
    """What a merchant command or button needs (the command or button in the comment)."""

    EDIT_SHOP = "edit_shop"  # /myshop: page fields, photos, the page preview
    MANAGE_SERVICES = "manage_services"  # /services: add, edit, hide, move, delete
    POSTER = "poster"  # /poster and the shop menu's poster button
    CREATE_COUPONS = "create_coupons"  # /newcoupon and ➕ under the coupon list
    VIEW_COUPONS = "view_coupons"  # /coupons: the list with its counts
    MANAGE_COUPONS = "manage_coupons"  # pause, resume, end early
    REDEEM = "redeem"  # /redeem, a QR photo, the scanned link, the ✅ Redeem button
    PROMOTE = "promote"  # /promo, /flash
    VIEW_RESULTS = "view_results"  # /results and its charts
    REPLY_REVIEWS = "reply_reviews"  # the shop's one public reply to a review
    MANAGE_STAFF = "manage_staff"  # /staff: invite and remove clerks
    RECORD_PURCHASE = "record_purchase"  # the counter: record a purchase (points, coupon with it)
    TOP_UP = "top_up"  # the counter: record a top-up of stored value (with its bonus)
    ADJUST_POINTS = "adjust_points"  # the card's owner screen: add or remove points, with a reason
    VOID = "void"  # the card's owner screen: void a purchase or top-up within the program's days
    DESIGN_CARD = "design_card"  # /card: design and change the shop's card program
    RESET_PASSWORD = "reset_password"  # the owner's Approve under a member's password reset
    MANAGE_GREETINGS = "manage_greetings"  # /greetings: birthday and holiday greetings
    VIEW_FEEDBACK = "view_feedback"  # /feedback: open complaints and answers


#: The matrix, in one place. A clerk works the counter; the owner runs the shop.
ROLE_PERMISSIONS: dict[StaffRole, frozenset[Permission]] = {
    StaffRole.OWNER: frozenset(Permission),
    StaffRole.CLERK: frozenset(
        {
            Permission.REDEEM,
            Permission.VIEW_COUPONS,
            Permission.RECORD_PURCHASE,
            Permission.TOP_UP,
        }
    ),
}

INVITE_TTL = timedelta(hours=48)
TOKEN_BYTES = 12  # 96 random bits, 16 URL-safe characters
INVITE_LINK_KIND = "staff"


class NotAllowed(Exception):
    """A merchant action refused: `not_staff` (no such shop, or the user does not work there)
    or `not_permitted` (their `role` there does not include the permission)."""

    def __init__(self, reason: str, role: StaffRole | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.role = role


class StaffError(Exception):
    """A staff change refused: unknown, used, expired (invitations), own_invite (the shop's
    owner opened it), already_staff, not_found, not_clerk (the owner cannot be removed)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


# --------------------------------------------------------------------------- the check


def roles_with(permission: Permission) -> list[StaffRole]:
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


async def role_at(user_id: int, shop_id: int) -> StaffRole | None:
    """The user's role at the shop; hand-written SQL (bot.services.fast_sql): every counter
    purchase asks (`check`)."""
    _, rows = await fast_sql.execute(
        Staff, 'SELECT "role" FROM "staff" WHERE "user_id"=? AND "shop_id"=?', [user_id, shop_id]
    )
    return StaffRole(rows[0]["role"]) if rows else None


async def works_at(user_id: int, shop_id: int) -> bool:
    """Whether the user is on the shop's staff in any role (their own shop: no reviews, no
    claims, no follows, no promotions to them)."""
    return await Staff.exists(user_id=user_id, shop_id=shop_id)


async def permissions_at(user_id: int, shop_id: int) -> frozenset[Permission]:
    """What the user may do for this shop (nothing if they do not work there): which buttons
    a screen offers them."""
    role = await role_at(user_id, shop_id)
    return frozenset() if role is None else ROLE_PERMISSIONS[role]


async def allows(user_id: int, shop_id: int, permission: Permission) -> bool:
    return permission in await permissions_at(user_id, shop_id)


async def require(user_id: int, shop_id: int, permission: Permission) -> Shop:
    """The shop, if the user's role there grants the permission; NotAllowed otherwise."""
    row = await Staff.get_or_none(user_id=user_id, shop_id=shop_id).select_related("shop")
    _judge(None if row is None else row.role, permission)
    assert row is not None
    return row.shop


async def check(user_id: int, shop_id: int, permission: Permission) -> None:
    """`require` for callers that need only the answer (the counter's purchase, run per
    sale): the role alone, no shop built."""
    _judge(await role_at(user_id, shop_id), permission)


def _judge(role: StaffRole | None, permission: Permission) -> None:
    """The one rule: NotAllowed unless the user has a role at the shop that grants it."""
    if role is None:
        raise NotAllowed("not_staff")
    if permission not in ROLE_PERMISSIONS[role]:
        raise NotAllowed("not_permitted", role)


async def shop_if_allowed(user_id: int, shop_id: int, permission: Permission) -> Shop | None:
    """`require` for a flow's last step, which has its own words for "no longer allowed"."""
    try:
        return await require(user_id, shop_id, permission)
    except NotAllowed:
        return None


async def shops_where(user_id: int, permission: Permission) -> list[Shop]:
    """The shops where the user's role grants the permission, oldest first."""
    shop_ids = await Staff.filter(user_id=user_id, role__in=roles_with(permission)).values_list(
        "shop_id", flat=True
    )
    return await Shop.filter(id__in=list(shop_ids)).order_by("id") if shop_ids else []


async def require_any(user_id: int, permission: Permission) -> list[Shop]:
    """`shops_where`, never empty: NotAllowed says whether the user works at no shop at all
    or only in a role without the permission."""
    shops = await shops_where(user_id, permission)
    if shops:
        return shops
    role = await Staff.filter(user_id=user_id).order_by("id").values_list("role", flat=True)
    if not role:
        raise NotAllowed("not_staff")
    raise NotAllowed("not_permitted", StaffRole(role[0]))


async def granted_anywhere(user_id: int) -> frozenset[Permission]:
    """Every permission the user holds at one shop or another (their command menu)."""
    roles = await Staff.filter(user_id=user_id).distinct().values_list("role", flat=True)
    return frozenset().union(*(ROLE_PERMISSIONS[StaffRole(role)] for role in roles))


# --------------------------------------------------------------------------- the staff


@dataclass(frozen=True)
class Member:
    staff_id: int
    user_id: int
    first_name: str
    username: str | None
    role: StaffRole


@dataclass(frozen=True)
class Invitation:
    shop: Shop
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class InvitePreview:
    """What the invited person is shown before joining."""

    shop_id: int
    shop_name: str
    inviter_name: str
    role: StaffRole
    expires_at: datetime


@dataclass(frozen=True)
class Joined:
    shop: Shop
    inviter_id: int
    role: StaffRole


@dataclass(frozen=True)
class Clerk:
    """A clerk of a shop, as the owner removes them."""

    shop: Shop
    staff_id: int
    user_id: int
    first_name: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def members(owner_id: int, shop_id: int) -> tuple[Shop, list[Member]]:
    """The shop's staff, owner first, then clerks in the order they joined."""
    shop = await require(owner_id, shop_id, Permission.MANAGE_STAFF)
    rows = await Staff.filter(shop_id=shop_id).select_related("user").order_by("id")
    listed = [
        Member(row.id, row.user_id, row.user.first_name, row.user.username, row.role)
        for row in rows
    ]
    listed.sort(key=lambda m: m.role != StaffRole.OWNER)
    return shop, listed


async def create_invite(owner_id: int, shop_id: int, *, now: datetime) -> Invitation:
    """A fresh one-time link to join the shop as a clerk, valid for INVITE_TTL."""
    shop = await require(owner_id, shop_id, Permission.MANAGE_STAFF)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + INVITE_TTL
    await StaffInvite.create(
        shop_id=shop_id,
        created_by_id=owner_id,
        token_hash=_hash(token),
        role=StaffRole.CLERK,
        created_at=now,
        expires_at=expires_at,
    )
    return Invitation(shop, token, expires_at)


async def preview_invite(token: str, user_id: int, *, now: datetime) -> InvitePreview:
    """What the link offers this user, or StaffError: unknown, used, expired, own_invite,
    already_staff."""
    invite = await _usable_invite(token, user_id, now)
    inviter = await User.get(id=invite.created_by_id)
    return InvitePreview(
        invite.shop_id, invite.shop.name, inviter.first_name, invite.role, invite.expires_at
    )


async def accept_invite(token: str, user_id: int, *, now: datetime) -> Joined:
    """Put the user on the shop's staff, exactly once per link; the same refusals as
    preview_invite (`used` for the loser of a race)."""
    invite = await _usable_invite(token, user_id, now)
    try:
        async with in_transaction():
            taken = await StaffInvite.filter(
                id=invite.id, used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now, used_by_id=user_id)
            if taken != 1:
                raise StaffError("used")
            await Staff.create(shop_id=invite.shop_id, user_id=user_id, role=invite.role)
    except IntegrityError:  # joined meanwhile through another link: this one stays unused
        raise StaffError("already_staff", shop=invite.shop.name) from None
    return Joined(invite.shop, invite.created_by_id, invite.role)


async def _usable_invite(token: str, user_id: int, now: datetime) -> StaffInvite:
    invite = await StaffInvite.get_or_none(token_hash=_hash(token)).select_related("shop")
    if invite is None:
        raise StaffError("unknown")
    role = await role_at(user_id, invite.shop_id)
    if role == StaffRole.OWNER:
        raise StaffError("own_invite")
    if role is not None:
        raise StaffError("already_staff", shop=invite.shop.name)
    if invite.used_at is not None:
        raise StaffError("used")
    if now >= invite.expires_at:
        raise StaffError("expired")
    return invite


async def clerk_to_remove(owner_id: int, staff_id: int) -> Clerk:
    """The clerk behind a staff row the owner may remove, or StaffError not_found / not_clerk
    (NotAllowed for anyone who does not manage that shop's staff)."""
    row = await Staff.get_or_none(id=staff_id).select_related("user", "shop")
    if row is None:
        raise StaffError("not_found")
    await require(owner_id, row.shop_id, Permission.MANAGE_STAFF)
    if row.role != StaffRole.CLERK:
        raise StaffError("not_clerk")
    return Clerk(row.shop, row.id, row.user_id, row.user.first_name)


async def remove_clerk(owner_id: int, staff_id: int) -> Clerk:
    """Take a clerk off the shop's staff (a second tap finds nothing to remove)."""
    clerk = await clerk_to_remove(owner_id, staff_id)
    if not await Staff.filter(id=staff_id, role=StaffRole.CLERK).delete():
        raise StaffError("not_found")
    return clerk
