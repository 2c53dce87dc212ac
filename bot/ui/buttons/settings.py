"""/settings: its sections and the choices in each."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData


class SettingsButton(CallbackData, prefix="set"):
    pass


class SettingsSection(SettingsButton, action="menu"):
    section: Literal["lang", "places", "radius", "quiet"]


class ChooseLanguage(SettingsButton, action="lang"):
    code: str


class ChooseRadius(SettingsButton, action="radius"):
    metres: int


class ChooseQuietHours(SettingsButton, action="quiet"):
    """A window in minutes after midnight (start == end: no quiet hours)."""

    start: int
    end: int


class SetPlace(SettingsButton, action="place"):
    """Starts the short flow asking for the place's location."""

    label: str


class DeletePlace(SettingsButton, action="delplace"):
    label: str
