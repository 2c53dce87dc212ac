"""/poster: a shop's QR poster."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class PosterButton(CallbackData, prefix="poster"):
    shop_id: Id
