"""Following: the shop page's follow button, leaving from under a push, /following, and the
short flow following a kind of shop nearby."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData, Id

Leave = Literal["unf", "mute"]


class FollowButton(CallbackData, prefix="fol"):
    pass


class FollowShop(FollowButton, action="on"):
    shop_id: Id


class UnfollowShop(FollowButton, action="off"):
    shop_id: Id


class LeavePushedShop(FollowButton, action="ps"):
    """Under a push: unfollow or mute the shop it came from."""

    leave: Leave
    shop_id: Id


class LeavePushedCategory(FollowButton, action="pc"):
    """Under a push: unfollow or mute the category (index in the configured list)."""

    leave: Leave
    index: int


class RemoveFollow(FollowButton, action="unf"):
    """/following: remove one of one's own follows."""

    follow_id: Id


class ToggleMute(FollowButton, action="mute"):
    """/following: mute or unmute one of one's own follows."""

    follow_id: Id


class FollowCategory(FollowButton, action="cat"):
    """Starts the flow following a kind of shop nearby."""


class FollowCategoryPick(FollowButton, action="pick"):
    index: int


class FollowRadius(FollowButton, action="rad"):
    metres: int
