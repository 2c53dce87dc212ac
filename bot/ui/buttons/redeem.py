"""Staff confirming a coupon redemption at the counter."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class RedeemButton(CallbackData, prefix="rdm"):
    pass


class ConfirmRedeem(RedeemButton, action="ok"):
    claim_id: Id


class DropRedeem(RedeemButton, action="no"):
    claim_id: Id
