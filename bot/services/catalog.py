"""A shop's services and products: validation of what merchants type, and the catalogue rules
(who may change a service, unique names, order, hiding). Prices are integer cents."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from bot.config import Config
from bot.formatting import parse_price
from bot.models import Service
from bot.services.staff import Permission, require
from bot.services.visible import is_blank

#: A shop page lists every visible service in one message: keep it readable.
MAX_SERVICES = 50
#: The database column is the hard ceiling, whatever the config says.
NAME_COLUMN_MAX = 64
EDITABLE = ("name", "price_cents", "description", "photo_file_id")


class CatalogError(Exception):
    """A catalogue change refused for a reason the user can be told (`reason` is a code)."""

    def __init__(self, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class Limits:
    """What a merchant may type, from the config (`max_price_units` in whole currency units)."""

    name_max: int = NAME_COLUMN_MAX
    description_max: int = 500
    max_price_units: int = 1_000_000

    @classmethod
    def of(cls, config: Config) -> Limits:
        return cls(
            name_max=min(config.service_name_max, NAME_COLUMN_MAX),
            description_max=config.service_description_max,
            max_price_units=config.service_max_price,
        )

    def name(self, text: str) -> str:
        """A trimmed, single-line name, or CatalogError (name_empty: nothing visible,
        name_too_long)."""
        name = " ".join(text.split())
        if is_blank(name):
            raise CatalogError("name_empty")
        if len(name) > self.name_max:
            raise CatalogError("name_too_long", max=self.name_max)
        return name

    def price(self, text: str) -> int:
        """Cents from "28", "28.5" or "¥28.50", or CatalogError (price_invalid, price_too_high)."""
        cents = parse_price(text, self.max_price_units)
        if cents is not None:
            return cents
        if parse_price(text, 10**15) is not None:
            raise CatalogError("price_too_high", max=self.max_price_units)
        raise CatalogError("price_invalid")

    def description(self, text: str) -> str:
        """Trimmed text (line breaks kept), or CatalogError (description_too_long)."""
        description = "" if is_blank(text) else text.strip()
        if len(description) > self.description_max:
            raise CatalogError("description_too_long", max=self.description_max)
        return description


@dataclass
class ServiceDraft:
    """What the add flow collects before it becomes a Service."""

    name: str
    price_cents: int
    description: str = ""
    photo_file_id: str | None = None


async def services_of(shop_id: int, *, include_hidden: bool = True) -> list[Service]:
    """The shop's catalogue in display order (customers never get hidden ones)."""
    query = Service.filter(shop_id=shop_id)
    if not include_hidden:
        query = query.filter(hidden=False)
    return await query.order_by("position", "id")


async def managed_service(user_id: int, service_id: int) -> Service | None:
    """The service, if it exists (None otherwise) and the user may change its shop's catalogue
    (NotAllowed otherwise)."""
    service = await Service.get_or_none(id=service_id)
    if service is not None:
        await require(user_id, service.shop_id, Permission.MANAGE_SERVICES)
    return service


async def add_service(shop_id: int, draft: ServiceDraft, limits: Limits) -> Service:
    """Append a service to the shop's catalogue, re-checking every field."""
    name = limits.name(draft.name)
    _check_price(draft.price_cents, limits)
    description = limits.description(draft.description)
    async with in_transaction():
        if await Service.filter(shop_id=shop_id).count() >= MAX_SERVICES:
            raise CatalogError("too_many", max=MAX_SERVICES)
        await ensure_name_free(shop_id, name)
        last = await Service.filter(shop_id=shop_id).order_by("-position").first()
        return await Service.create(
            shop_id=shop_id,
            name=name,
            price_cents=draft.price_cents,
            description=description,
            photo_file_id=draft.photo_file_id,
            position=0 if last is None else last.position + 1,
        )


async def update_service(service: Service, limits: Limits, **changes: object) -> Service:
    """Change name, price, description or photo; values are validated again here."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise CatalogError("unknown_field")
    if "name" in changes:
        changes["name"] = limits.name(str(changes["name"]))
        await ensure_name_free(service.shop_id, str(changes["name"]), exclude=service.id)
    if "price_cents" in changes:
        _check_price(changes["price_cents"], limits)
    if "description" in changes:
        changes["description"] = limits.description(str(changes["description"]))
    for key, value in changes.items():
        setattr(service, key, value)
    if changes:
        await service.save(update_fields=list(changes))
    return service


async def set_hidden(service: Service, hidden: bool) -> Service:
    """Hide from (or show again on) the customer page; pressing twice changes nothing."""
    if service.hidden != hidden:
        service.hidden = hidden
        await service.save(update_fields=["hidden"])
    return service


async def delete_service(service: Service) -> None:
    await service.delete()


async def move_up(service: Service) -> bool:
    """Swap the service with the one listed before it; False if it is already first."""
    async with in_transaction():
        ordered = await services_of(service.shop_id)
        ids = [s.id for s in ordered]
        index = ids.index(service.id) if service.id in ids else 0
        if index == 0:
            return False
        ids[index - 1], ids[index] = ids[index], ids[index - 1]
        current = {s.id: s.position for s in ordered}
        for position, service_id in enumerate(ids):
            if current[service_id] != position:
                await Service.filter(id=service_id).update(position=position)
    return True


async def ensure_name_free(shop_id: int, name: str, *, exclude: int | None = None) -> None:
    """CatalogError(name_taken) if the shop already has a service called that (any case): two
    would confuse customers, and usually mean a double add."""
    names = (
        await Service.filter(shop_id=shop_id)
        .exclude(id=exclude or 0)
        .values_list("name", flat=True)
    )
    if name.casefold() in {str(n).casefold() for n in names}:
        raise CatalogError("name_taken", name=name)


def _check_price(cents: object, limits: Limits) -> None:
    if not isinstance(cents, int) or not 0 <= cents <= limits.max_price_units * 100:
        raise CatalogError("price_invalid")
