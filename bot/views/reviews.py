"""The shop page's review buttons (the review flow answers their presses)."""

from __future__ import annotations

from bot.i18n import t
from bot.ui.buttons.reviews import ReviewList, WriteReview
from bot.ui.callbacks import CallbackData


def review_buttons(
    lang: str, shop_id: int, *, count: int, can_write: bool, has_own: bool
) -> list[list[tuple[str, CallbackData]]]:
    """The shop page's review buttons: the list (when there is one) and write / edit."""
    rows: list[list[tuple[str, CallbackData]]] = []
    if count:
        label = t(lang, "review.list_button", count=count)
        rows.append([(label, ReviewList(shop_id=shop_id, page=0))])
    if can_write:
        key = "review.edit_button" if has_own else "review.write_button"
        rows.append([(t(lang, key), WriteReview(shop_id=shop_id))])
    return rows
