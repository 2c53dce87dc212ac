"""Merchants' coupons: /newcoupon's preview and /coupons, the list with pause / resume / end."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class CouponButton(CallbackData, prefix="cpn"):
    pass


class NewCoupon(CouponButton, action="new"):
    """Starts /newcoupon for the shop."""

    shop_id: Id


class PublishCoupon(CouponButton, action="pub"):
    pass


class RedoCoupon(CouponButton, action="redo"):
    pass


class DiscardCoupon(CouponButton, action="drop"):
    pass


class CouponList(CouponButton, action="list"):
    """The list as a new message."""

    shop_id: Id


class CouponListInPlace(CouponButton, action="back"):
    """The list in place of the pressed message."""

    shop_id: Id


class PauseCoupon(CouponButton, action="pause"):
    shop_id: Id
    coupon_id: Id


class ResumeCoupon(CouponButton, action="resume"):
    shop_id: Id
    coupon_id: Id


class EndCoupon(CouponButton, action="end"):
    """Asks to confirm: ending is for good."""

    shop_id: Id
    coupon_id: Id


class ConfirmEndCoupon(CouponButton, action="endok"):
    shop_id: Id
    coupon_id: Id
