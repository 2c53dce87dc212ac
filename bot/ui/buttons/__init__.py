"""Every feature's button data (see bot.ui.callbacks), one module per feature, in the toolkit
so that any handler, flow or view can link to another feature's buttons through its classes
(`ShopPage(shop_id=...)`), never through a typed string. Importing any of them registers them
all, so a prefix or action used twice fails at import."""

from bot.ui.buttons import (  # noqa: F401  (registration)
    cardprog,
    catalog,
    coupons,
    follows,
    nearby,
    newshop,
    operator,
    poster,
    profile,
    promo,
    redeem,
    results,
    reviews,
    settings,
    shop,
    staff,
    wallet,
)
