"""/staff: the staff list, invitations, removing a clerk, and the invited person's answer."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class StaffButton(CallbackData, prefix="stf"):
    pass


class StaffList(StaffButton, action="shop"):
    """The shop's staff list, in place."""

    shop_id: Id


class InviteClerk(StaffButton, action="inv"):
    """A new one-time invitation link."""

    shop_id: Id


class RemoveClerk(StaffButton, action="rm"):
    """Asks to confirm."""

    staff_id: Id


class ConfirmRemoveClerk(StaffButton, action="rmok"):
    staff_id: Id


class JoinStaff(StaffButton, action="join"):
    """The invited person joins; the token is looked up server-side, never trusted."""

    token: str


class DeclineStaff(StaffButton, action="nojoin"):
    token: str
