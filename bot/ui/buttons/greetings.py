"""Greetings: the owner's /greetings screens (year ahead, one occasion's detail, its switches,
text, coupon, days before, preview) and the customer's "no more greetings" buttons.

`occasion` is "birthday" or a holiday key of bot.services.occasions (new_year, spring_festival...).
"""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData, Id

Audience = Literal["members", "customers", "followers"]


class GreetingsButton(CallbackData, prefix="grt"):
    pass


# ----------------------------------------------------------------------- the owner's /greetings


class GreetingsShop(GreetingsButton, action="shop"):
    """An owner of several shops picks the shop (also the year ahead's 'back' button)."""

    shop_id: Id


class GreetingOpen(GreetingsButton, action="open"):
    """One line of the year ahead: the occasion's detail."""

    shop_id: Id
    occasion: str


class GreetingSwitch(GreetingsButton, action="sw"):
    """Switch an occasion on or off (`on` is the state asked for, so a double tap is harmless)."""

    shop_id: Id
    occasion: str
    on: bool


class GreetingText(GreetingsButton, action="text"):
    """Starts the short flow that reads the occasion's new text."""

    shop_id: Id
    occasion: str


class GreetingDefaultText(GreetingsButton, action="deftext"):
    """Back to the catalogue's default text."""

    shop_id: Id
    occasion: str


class GreetingCoupons(GreetingsButton, action="cpns"):
    """The list of the shop's coupons to attach."""

    shop_id: Id
    occasion: str


class GreetingCoupon(GreetingsButton, action="cpn"):
    """Attach this coupon (None: no coupon)."""

    shop_id: Id
    occasion: str
    coupon_id: Id | None


class GreetingDays(GreetingsButton, action="days"):
    """Birthday greetings this many days before (0–7)."""

    shop_id: Id
    days: int


class GreetingPreview(GreetingsButton, action="prev"):
    shop_id: Id
    occasion: str


class PreviewGift(GreetingsButton, action="gift"):
    """The gift button of a preview (a customer's opens the granted coupon in their wallet)."""

    shop_id: Id


class GreetingAudiences(GreetingsButton, action="auds"):
    """The choice of who receives greetings."""

    shop_id: Id


class GreetingAudience(GreetingsButton, action="aud"):
    shop_id: Id
    audience: Audience


# ----------------------------------------------------------------------------- the customer's


class StopGreetings(GreetingsButton, action="stop"):
    """Under a greeting: no more greetings from this shop (a customer's own opt-out)."""

    shop_id: Id


class ResumeGreetings(GreetingsButton, action="resume"):
    """Undo of StopGreetings, offered right after it."""

    shop_id: Id


class AllGreetings(GreetingsButton, action="all"):
    """/settings: greetings from every shop on or off (`on` is the state asked for)."""

    on: bool
