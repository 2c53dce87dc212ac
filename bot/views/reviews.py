"""The shop page's review buttons (the review flow answers their presses)."""

from __future__ import annotations

from bot.i18n import t

#: Button data of the review feature.
PREFIX = "rv"


def review_buttons(
    lang: str, shop_id: int, *, count: int, can_write: bool, has_own: bool
) -> list[list[tuple[str, str]]]:
    """The shop page's review buttons: the list (when there is one) and write / edit."""
    rows = []
    if count:
        rows.append([(t(lang, "review.list_button", count=count), f"{PREFIX}:l:{shop_id}:0")])
    if can_write:
        key = "review.edit_button" if has_own else "review.write_button"
        rows.append([(t(lang, key), f"{PREFIX}:w:{shop_id}")])
    return rows
