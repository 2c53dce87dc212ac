"""/start: the role a newcomer picks."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData


class ChooseRole(CallbackData, prefix="role"):
    """c: customer, m: merchant, b: both."""

    role: Literal["c", "m", "b"]
