"""The row under every pushed promotion: leave what brought it (unfollow, mute). Labels in
every language, since the outbox renders each recipient's message at send time."""

from __future__ import annotations

from bot.i18n import LANGUAGES, t
from bot.models import PromotionAudience

#: Button data of the follows feature (its handler answers these presses).
FOLLOW_PREFIX = "fol"


def push_buttons(audience: PromotionAudience, shop_id: int, category_index: int) -> list[dict]:
    """The unfollow / mute row under a pushed promotion, as outbox payload buttons (labels
    in every language): what it leaves is what brought the message."""

    def label(key: str) -> dict[str, str]:
        return {lang: t(lang, key) for lang in LANGUAGES}

    if audience == PromotionAudience.CUSTOMERS:
        mute_shop = f"{FOLLOW_PREFIX}:mute:s{shop_id}"
        return [{"text": label("follow.push_mute_shop"), "callback_data": mute_shop}]
    target = f"s{shop_id}" if audience == PromotionAudience.FOLLOWERS else f"c{category_index}"
    return [
        {"text": label("follow.push_mute"), "callback_data": f"{FOLLOW_PREFIX}:mute:{target}"},
        {"text": label("follow.push_unfollow"), "callback_data": f"{FOLLOW_PREFIX}:unf:{target}"},
    ]
