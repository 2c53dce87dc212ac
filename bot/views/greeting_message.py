"""The buttons under a greeting message (the outbox renders them per reader at send time):
one per gift granted with it (opens that coupon in the wallet), then one "no more greetings
from <shop>" per shop in it (bot.views.greetings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import LANGUAGES, t
from bot.services.greetings import Greeted
from bot.ui.buttons.wallet import OpenCoupon
from bot.views.greetings import greeting_buttons


def gift_button(claim_id: int, title: str) -> dict[str, Any]:
    """Button text is plain: the coupon's title as the merchant typed it."""
    return {
        "text": {lang: t(lang, "greetings.gift_button", coupon=title) for lang in LANGUAGES},
        "callback_data": OpenCoupon(claim_id=claim_id).pack(),
    }


def greeting_rows(greeted: Sequence[Greeted]) -> list[list[dict[str, Any]]]:
    gifts = [
        [gift_button(g.claim_id, g.coupon_title or "")]
        for g in greeted
        if g.claim_id is not None
    ]
    shops = dict.fromkeys((g.shop_id, g.shop_name) for g in greeted)  # each shop once
    return gifts + greeting_buttons(list(shops))
