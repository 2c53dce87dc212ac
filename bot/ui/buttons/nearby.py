"""Nearby search: the category asked after the location, and result pages."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData


class NearbyButton(CallbackData, prefix="nb"):
    pass


class NearbyCategory(NearbyButton, action="cat"):
    """A category by its index in the configured list; None: every category."""

    index: int | None


class ResultsPage(NearbyButton, action="page"):
    """Previous / next / widen on a result list; `version` names the search it belongs to,
    so buttons of an older search are refused (the point itself never travels here)."""

    version: int
    radius_m: int
    page: int
