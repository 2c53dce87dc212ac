"""Steps many stories share, spoken as a user."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.models import Shop
from bot.sender import notify
from bot.services.hours import parse_hours
from bot.services.shops import ShopDraft, create_shop, decide
from bot.services.users import ensure_user
from bot.ui.buttons.nearby import NearbyFilter
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


async def onboard(user: FakeUser) -> None:
    """/start: a first contact is greeted as a customer, with the main menu (nothing asked)."""
    await user.send("/start")
    await user.reply()


LAT, LNG = 31.2304, 121.4737
OWNER_ID = 500
SHOP_LINE = re.compile(r"^\d+\. ")


async def make_shop(
    name: str,
    *,
    north_m: float = 0,
    category: str = "dining",
    hours: str = "Daily 00:00-24:00",
    approve: bool | None = True,
    owner_id: int = OWNER_ID,
    description: str = "",
    phone: str = "",
    address: str = "",
) -> Shop:
    """A shop `north_m` metres north of the test point; approve=None leaves it pending."""
    await ensure_user(owner_id, "Owner", None, "en")
    draft = ShopDraft(
        name=name,
        category=category,
        lat=LAT + north_m / 111_195,
        lng=LNG,
        address=address,
        phone=phone,
        hours=parse_hours(hours).to_json() if hours else {},
        description=description,
    )
    shop = await create_shop(owner_id, draft, require_approval=True)
    if approve is not None:
        shop = await decide(shop.id, approve=approve)
    return shop


async def welcomed(person: FakeUser) -> BotMessage:
    """After a first visit recorded by a service call (no counter handler to wake the sender):
    wake it and wait for the shop's welcome, so it cannot arrive in the middle of what the
    test does next."""
    notify()
    return await person.wait_for(
        lambda: next((m for m in person.inbox if (m.text or "").startswith("👋")), None)
    )


async def make_shops(names_and_metres: Iterable[tuple[str, float]], **kwargs: Any) -> list[Shop]:
    return [await make_shop(name, north_m=m, **kwargs) for name, m in names_and_metres]


ALL_CATEGORIES = ("✓ ✨ All", "✓ ✨ 全部")


async def results_for(user: FakeUser, category: str, *, location: bool = True) -> BotMessage:
    """/nearby and share the test point: the list of every category at once; then the
    `category` filter under it (unless it is ✨ All). The list message once it is shown."""
    await user.send("/nearby")
    await user.reply()
    if location:
        await user.share_location(LAT, LNG)
    _, results = await user.replies(2)
    if f"✓ {category}" in ALL_CATEGORIES:
        return results
    return await pick(user, results, category)


async def pick(user: FakeUser, message: BotMessage, button: str) -> BotMessage:
    """Press a button that edits its own message; the message after the edit."""
    edits = len(message.edits)
    await user.press(message, text=button)
    await user.wait_for(lambda: len(message.edits) > edits)
    return message


def shop_lines(message: BotMessage) -> list[str]:
    """The numbered shop lines of a result list ('3. Name · category')."""
    return [line for line in (message.text or "").splitlines() if SHOP_LINE.match(line)]


def list_buttons(message: BotMessage) -> list[str]:
    """A result list's own buttons (shops, pages, widen), without the category filters."""
    return [
        button["text"]
        for row in message.buttons
        for button in row
        if NearbyFilter.unpack(button.get("callback_data")) is None
    ]
