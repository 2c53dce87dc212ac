"""Nearby search: result pages and the category filters under a nearby list."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData


class NearbyButton(CallbackData, prefix="nb"):
    pass


class ResultsPage(NearbyButton, action="page"):
    """Previous / next / widen on a result list; `version` names the search it belongs to,
    so buttons of an older search are refused (the point itself never travels here)."""

    version: int
    radius_m: int
    page: int


class NearbyFilter(NearbyButton, action="f"):
    """A category filter under nearby list `version`: the category's index in the configured
    list, or None for every category."""

    version: int
    index: int | None
