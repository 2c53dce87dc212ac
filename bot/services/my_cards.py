"""The order of a person's cards in /cards: nearest shop to their saved home place first when
they saved one, else the card used most recently first (its last ledger move, else joining)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.functions import Max

from bot.models import LedgerEntry, Place
from bot.services.cards import CardView, cards_of
from bot.services.search import haversine_m

HOME = "home"


@dataclass(frozen=True)
class MyCards:
    cards: list[CardView]
    #: True: sorted by distance from home; False: by last use.
    by_home: bool
    #: Each card's shop's distance from home in metres (by card id), when sorted by it.
    distances: dict[int, float] = field(default_factory=dict)


async def my_cards(user_id: int) -> MyCards:
    views = await cards_of(user_id)
    home = await Place.get_or_none(user_id=user_id, label=HOME)
    if home is not None:
        away = {v.card.id: haversine_m(home.lat, home.lng, v.shop.lat, v.shop.lng) for v in views}
        views.sort(key=lambda v: (away[v.card.id], v.card.id))
        return MyCards(views, by_home=True, distances=away)
    last = await last_used(v.card.id for v in views)
    views.sort(key=lambda v: (last.get(v.card.id) or v.card.joined_at, v.card.id), reverse=True)
    return MyCards(views, by_home=False)


async def last_used(card_ids: object) -> dict[int, datetime]:
    """Each card's latest ledger move (cards without one are absent)."""
    ids = list(card_ids)  # type: ignore[call-overload]
    if not ids:
        return {}
    rows = (
        await LedgerEntry.filter(card_id__in=ids)
        .annotate(last=Max("created_at"))
        .group_by("card_id")
        .values("card_id", "last")
    )
    return {row["card_id"]: row["last"] for row in rows}
