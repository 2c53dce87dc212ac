"""The row under every pushed promotion: leave what brought it (unfollow, mute). Labels in
every language, since the outbox renders each recipient's message at send time."""

from __future__ import annotations

from bot.i18n import LANGUAGES, t
from bot.models import PromotionAudience
from bot.ui.buttons.follows import LeavePushedCategory, LeavePushedShop


def push_buttons(audience: PromotionAudience, shop_id: int, category_index: int) -> list[dict]:
    """The unfollow / mute row under a pushed promotion, as outbox payload buttons (labels
    in every language): what it leaves is what brought the message."""

    def label(key: str) -> dict[str, str]:
        return {lang: t(lang, key) for lang in LANGUAGES}

    if audience == PromotionAudience.CUSTOMERS:
        mute_shop = LeavePushedShop(leave="mute", shop_id=shop_id).pack()
        return [{"text": label("follow.push_mute_shop"), "callback_data": mute_shop}]
    if audience == PromotionAudience.FOLLOWERS:
        mute = LeavePushedShop(leave="mute", shop_id=shop_id).pack()
        unfollow = LeavePushedShop(leave="unf", shop_id=shop_id).pack()
    else:
        mute = LeavePushedCategory(leave="mute", index=category_index).pack()
        unfollow = LeavePushedCategory(leave="unf", index=category_index).pack()
    return [
        {"text": label("follow.push_mute"), "callback_data": mute},
        {"text": label("follow.push_unfollow"), "callback_data": unfollow},
    ]
