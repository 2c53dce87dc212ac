"""The customer's approval of a spend of points or stored value, in their own chat. The request
is re-read on every press: it must be theirs and still pending (else the polite expired)."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class SpendButton(CallbackData, prefix="spd"):
    pass


class ApproveSpend(SpendButton, action="ok"):
    request_id: Id


class DeclineSpend(SpendButton, action="no"):
    request_id: Id
