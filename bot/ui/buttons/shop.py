"""A shop's page, linked from search results and anywhere else, and the buttons that continue
it: the services in full (their own pages) and one service's photo."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class ShopButton(CallbackData, prefix="shop"):
    pass


class ShopPage(ShopButton, default=True):
    """`shop:<id>`: the shop's page."""

    shop_id: Id


class AllServices(ShopButton, action="svc"):
    """The services in full as a new message, at `page` (from 0)."""

    shop_id: Id
    page: int


class ServicesPage(ShopButton, action="svp"):
    """Another page of the services in full, in place."""

    shop_id: Id
    page: int


class ServicePhoto(ShopButton, action="pic"):
    service_id: Id
