"""Shops: registration, editing, approval. Pending and rejected shops are kept out of the search
index (bot/services/search.py), so they never appear in search. Who may act for a shop is
decided in bot/services/staff.py.

Once a shop is approved, a change of its name, category or location (address included) can be
held for review (`edit_shop(..., review=True)`): it waits as a ShopChange, the live values stay
on the page and in search until an operator approves it, and other fields change at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from bot.models import Shop, ShopChange, ShopPhoto, ShopStatus, Staff, StaffRole, User
from bot.services.visible import is_blank


class ShopError(Exception):
    """A shop operation refused for a reason the user can be told (`reason` is a code)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class ShopDraft:
    """Everything the /newshop flow collects, before it becomes a Shop."""

    name: str = ""
    category: str = ""
    lat: float = 0.0
    lng: float = 0.0
    address: str = ""
    phone: str = ""
    hours: dict = field(default_factory=dict)
    description: str = ""
    photos: list[str] = field(default_factory=list)
    timezone: str = "Asia/Shanghai"


async def create_shop(owner_id: int, draft: ShopDraft, *, require_approval: bool) -> Shop:
    """Create the shop with its owner as staff; visible at once only without approval."""
    async with in_transaction():
        shop = await Shop.create(
            owner_id=owner_id,
            name=draft.name,
            category=draft.category,
            lat=draft.lat,
            lng=draft.lng,
            address=draft.address,
            phone=draft.phone,
            hours=draft.hours,
            description=draft.description,
            timezone=draft.timezone,
            status=ShopStatus.PENDING if require_approval else ShopStatus.APPROVED,
        )
        await Staff.create(shop=shop, user_id=owner_id, role=StaffRole.OWNER)
        await ShopPhoto.bulk_create(
            [ShopPhoto(shop=shop, file_id=f, position=i) for i, f in enumerate(draft.photos)]
        )
        await User.filter(id=owner_id).update(is_merchant=True)
    if shop.status == ShopStatus.APPROVED:
        await _reindex(shop)
    return shop


async def update_shop(shop: Shop, **changes: object) -> Shop:
    """Change page fields; the search index follows location and category."""
    allowed = {"name", "category", "lat", "lng", "address", "phone", "hours", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ShopError("unknown_field")
    for key, value in changes.items():
        setattr(shop, key, value)
    await shop.save(update_fields=[*changes, "updated_at"])
    if shop.status == ShopStatus.APPROVED:
        await _reindex(shop)
    return shop


#: What changes of an approved shop wait for an operator: who it claims to be and where it is.
REVIEWED_FIELDS = ("name", "category", "lat", "lng", "address")


@dataclass(frozen=True)
class EditResult:
    """What an edit did: `held` is the whole change waiting for review after this edit
    (merged with what was waiting before), None when the edit held nothing back."""

    shop: Shop
    held: ShopChange | None


async def edit_shop(shop: Shop, changes: dict[str, object], *, review: bool) -> EditResult:
    """A merchant's edit of page fields. With `review`, the reviewed fields of an approved shop
    are held (see ShopChange) and the rest applied at once; otherwise everything is applied."""
    held = (
        {k: v for k, v in changes.items() if k in REVIEWED_FIELDS}
        if review and shop.status == ShopStatus.APPROVED
        else {}
    )
    now = {k: v for k, v in changes.items() if k not in held}
    if now:
        await update_shop(shop, **now)
    return EditResult(shop, await _hold(shop, held) if held else None)


async def _hold(shop: Shop, fields: dict[str, object]) -> ShopChange | None:
    """Merge `fields` into the shop's waiting change, as a new row (older review buttons
    expire); values equal to the live ones need no review and are dropped."""
    async with in_transaction():
        before = await ShopChange.get_or_none(shop_id=shop.id)
        merged = {f: getattr(before, f) for f in REVIEWED_FIELDS if before} | fields
        merged = {k: v for k, v in merged.items() if v is not None}
        if "lat" in merged or "lng" in merged:  # a location is one value: both or neither
            merged.setdefault("lat", shop.lat)
            merged.setdefault("lng", shop.lng)
            if (merged["lat"], merged["lng"]) == (shop.lat, shop.lng):
                del merged["lat"], merged["lng"]
        merged = {k: v for k, v in merged.items() if k in ("lat", "lng") or v != getattr(shop, k)}
        if before is not None:
            await before.delete()
        if not merged:
            return None
        return await ShopChange.create(shop_id=shop.id, **merged)


async def pending_change(shop_id: int) -> ShopChange | None:
    return await ShopChange.get_or_none(shop_id=shop_id)


async def get_change(change_id: int) -> ShopChange | None:
    return await ShopChange.get_or_none(id=change_id)


async def pending_changes() -> list[ShopChange]:
    """Every change waiting for an operator, oldest first, with its shop loaded."""
    return await ShopChange.all().order_by("id").prefetch_related("shop")


async def decide_change(change_id: int, approve: bool) -> tuple[Shop, ShopChange]:
    """Approve (apply to the live shop, search index included) or reject a waiting change,
    exactly once; ShopError `change_gone` when it was decided already or replaced by a newer
    edit. Returns the shop as it is now and the change as it was."""
    async with in_transaction():
        change = await ShopChange.get_or_none(id=change_id)
        if change is None or not await ShopChange.filter(id=change_id).delete():
            raise ShopError("change_gone")
        shop = await Shop.get(id=change.shop_id)
        if approve:
            values = {f: getattr(change, f) for f in REVIEWED_FIELDS}
            for key, value in values.items():
                if value is not None:
                    setattr(shop, key, value)
            changed = [k for k, v in values.items() if v is not None]
            await shop.save(update_fields=[*changed, "updated_at"])
    if approve and shop.status == ShopStatus.APPROVED:
        await _reindex(shop)
    return shop, change


async def set_photos(shop: Shop, file_ids: list[str]) -> None:
    async with in_transaction():
        await ShopPhoto.filter(shop=shop).delete()
        await ShopPhoto.bulk_create(
            [ShopPhoto(shop=shop, file_id=f, position=i) for i, f in enumerate(file_ids)]
        )


async def photos_of(shop_id: int) -> list[str]:
    return list(
        await ShopPhoto.filter(shop_id=shop_id)
        .order_by("position", "id")
        .values_list("file_id", flat=True)
    )


async def decide(shop_id: int, approve: bool) -> Shop:
    """Approve or reject a pending shop, exactly once (a second tap is refused)."""
    status = ShopStatus.APPROVED if approve else ShopStatus.REJECTED
    changed = await Shop.filter(id=shop_id, status=ShopStatus.PENDING).update(status=status)
    shop = await Shop.get_or_none(id=shop_id)
    if shop is None:
        raise ShopError("not_found")
    if not changed:
        raise ShopError("already_decided")
    if approve:
        await _reindex(shop)
    return shop


async def pending_shops() -> list[Shop]:
    return await Shop.filter(status=ShopStatus.PENDING).order_by("id")


async def get_shop(shop_id: int) -> Shop | None:
    return await Shop.get_or_none(id=shop_id)


async def public_shop(shop_id: int) -> Shop | None:
    """A shop customers may see: approved only."""
    return await Shop.get_or_none(id=shop_id, status=ShopStatus.APPROVED)


def clean_text(text: str, max_len: int, *, multiline: bool = False) -> str:
    """A typed page field, trimmed (and on one line unless `multiline`), or ShopError with
    reason `empty` (nothing visible, see bot.services.visible) or `too_long`."""
    if multiline:
        cleaned = "\n".join(line.rstrip() for line in text.strip().splitlines())
    else:
        cleaned = " ".join(text.split())
    if is_blank(cleaned):
        raise ShopError("empty")
    if len(cleaned) > max_len:
        raise ShopError("too_long")
    return cleaned


async def _reindex(shop: Shop) -> None:
    from bot.services.search import index_shop  # search imports models only: no cycle

    await index_shop(shop)
