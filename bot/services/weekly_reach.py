"""What the promotion composer tells the merchant about the weekly per-shop cap (config
`greetings.weekly_cap_per_shop`): how many of the shop's customers can still receive a message
from it this week — those at the cap are skipped by the sender (bot.services.outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services import customers, greetings, outbox


@dataclass(frozen=True)
class WeeklyReach:
    cap: int  # messages per person per shop in any 7 days
    customers: int  # the shop's reachable customers
    can_receive: int  # of them, below the cap now


async def weekly_reach(shop_id: int, now: datetime) -> WeeklyReach:
    cap = greetings.weekly_cap()
    people = await customers.customers_of(shop_id, reachable_only=True)
    counts = await outbox.weekly_counts([shop_id], people, now, cap) if people else {}
    at_cap = sum(1 for user_id in people if counts.get((shop_id, user_id), 0) >= cap.per_shop)
    return WeeklyReach(cap.per_shop, len(people), len(people) - at_cap)
