"""Customers' coupons: claiming one (shop page, pushed promotions) and showing one held."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class WalletButton(CallbackData, prefix="wlt"):
    pass


class ClaimCoupon(WalletButton, action="claim"):
    """Put the coupon in the presser's wallet; `promotion_id` names the push it came from."""

    coupon_id: Id
    promotion_id: Id | None = None


class OpenCoupon(WalletButton, action="open"):
    """One of the presser's own coupons, as its QR card."""

    claim_id: Id
