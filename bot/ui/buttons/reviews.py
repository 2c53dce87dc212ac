"""Reviews: writing one (stars), the list and its pages, the owner's reply."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class ReviewButton(CallbackData, prefix="rv"):
    pass


class WriteReview(ReviewButton, action="w"):
    shop_id: Id


class ReviewStars(ReviewButton, action="s"):
    stars: int


class ReviewList(ReviewButton, action="l"):
    """A page of the list as a new message."""

    shop_id: Id
    page: int


class ReviewListPage(ReviewButton, action="p"):
    """A page of the list in place of the pressed one."""

    shop_id: Id
    page: int


class ReplyToReview(ReviewButton, action="r"):
    review_id: Id
