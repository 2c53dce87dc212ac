"""/results: a shop's report and a coupon's chart."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class ResultsButton(CallbackData, prefix="res"):
    pass


class ResultsShop(ResultsButton, action="shop"):
    shop_id: Id


class ResultsChart(ResultsButton, action="chart"):
    coupon_id: Id
