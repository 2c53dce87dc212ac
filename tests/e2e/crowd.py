"""Many people at once, for the flood tests and benchmarks/flood.py: one person sending a burst
of messages while others use the bot normally.

The flooder's burst is name searches: `/search`, then a name no shop has, again and again. Every
reply names the message it answers, and each pair walks a conversation step, so a message
handled out of order, or twice, or not at all shows in the replies.
"""

from __future__ import annotations

from bot.i18n import t
from tests.fakes.telegram_models import BotMessage
from tests.fakes.users import FakeUser


def flood_messages(count: int) -> list[str]:
    return ["/search" if i % 2 == 0 else f"zz{i // 2}" for i in range(count)]


def flood_replies(count: int, lang: str = "en") -> list[str]:
    """The replies `flood_messages(count)` must get, in this order."""
    return [
        t(lang, "search.ask_name") if i % 2 == 0 else t(lang, "search.none", query=f"zz{i // 2}")
        for i in range(count)
    ]


async def flood(user: FakeUser, count: int) -> None:
    """Send the whole burst at once (no waiting in between)."""
    for text in flood_messages(count):
        await user.send(text)


def answered_in_order(replies: list[BotMessage], count: int, lang: str = "en") -> bool:
    return [m.text for m in replies] == flood_replies(count, lang)
