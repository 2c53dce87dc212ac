"""Steps many stories share, spoken as a user."""

from __future__ import annotations

from tests.fakes.users import FakeUser

ROLE_BUTTON = {
    ("en", "c"): "🛍 I'm a customer",
    ("en", "m"): "🏪 I run a shop",
    ("en", "b"): "Both",
    ("zh", "c"): "🛍 我是顾客",
    ("zh", "m"): "🏪 我是店主",
    ("zh", "b"): "两者都是",
}


async def onboard(user: FakeUser, role: str = "c") -> None:
    """/start and pick a role; swallow the menu and the profile reminder."""
    await user.send("/start")
    welcome = await user.reply()
    lang = "zh" if (user.language_code or "").startswith("zh") else "en"
    await user.press(welcome, text=ROLE_BUTTON[(lang, role)])
    await user.replies(2)  # main menu + profile reminder
