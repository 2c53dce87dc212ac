"""/profile: completing the missing fields (from the reminder) or changing one."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData

ProfileField = Literal["name", "phone", "birthday"]


class ProfileButton(CallbackData, prefix="profile"):
    pass


class CompleteProfile(ProfileButton, action="edit"):
    """Ask each missing field in turn."""


class EditProfileField(ProfileButton, action="field"):
    field: ProfileField
