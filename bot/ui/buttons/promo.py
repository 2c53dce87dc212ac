"""/promo and /flash: the choices of the flow and the preview's send / cancel."""

from __future__ import annotations

from bot.models import PromotionAudience
from bot.ui.callbacks import CallbackData, Id


class PromoButton(CallbackData, prefix="promo"):
    pass


class PromoShop(PromoButton, action="shop"):
    shop_id: Id


class PromoCoupon(PromoButton, action="cpn"):
    """The coupon to attach, or None for none."""

    coupon_id: Id | None


class FlashOffer(PromoButton, action="offer"):
    coupon_id: Id


class FlashStock(PromoButton, action="stock"):
    stock: int


class FlashMinutes(PromoButton, action="min"):
    minutes: int


class PromoAudienceChoice(PromoButton, action="aud"):
    audience: PromotionAudience


class SendPromo(PromoButton, action="send"):
    """Send now; `key` is the preview's launch key, so a second press sends nothing again."""

    key: str


class DropPromo(PromoButton, action="drop"):
    pass
