"""Shops: registration, editing, approval. Pending and rejected shops are kept out of the search
index (bot/services/search.py), so they never appear in search. Who may act for a shop is
decided in bot/services/staff.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from bot.models import Shop, ShopPhoto, ShopStatus, Staff, StaffRole, User
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
