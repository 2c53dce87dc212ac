"""A shop's page, linked from search results and anywhere else."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class ShopPage(CallbackData, prefix="shop"):
    shop_id: Id
