"""/card, the owner's membership card designer: every button of its screens. Pressed only
under the flow's latest screen (older screens have expired)."""

from __future__ import annotations

from typing import Literal

from bot.ui.callbacks import CallbackData, Id

Section = Literal[
    "tiers", "tier", "colour", "spend", "services", "value", "fields", "expiry", "review"
]
Field = Literal[
    "name",
    "points",
    "discount",
    "spend",
    "topup",
    "off",
    "minorder",
    "maxpoints",
    "gift",
    "bonus",
    "expiry",
]
Flag = Literal["value", "name", "phone", "birthday", "requalify"]
Colour = Literal["silver", "gold", "black", "red", "blue", "green", "purple", "orange"]
Item = Literal["tier", "reward", "bonus"]


class CardProgButton(CallbackData, prefix="cpg"):
    pass


class CardShop(CardProgButton, action="shop"):
    """/card for this shop (an owner of several shops picks one)."""

    shop_id: Id


class CardGo(CardProgButton, action="go"):
    """Show a section of the program."""

    section: Section


class CardTier(CardProgButton, action="tier"):
    """Edit the tier at this position (0: the entry tier)."""

    index: int


class CardAddTier(CardProgButton, action="addt"):
    pass


class CardAsk(CardProgButton, action="ask"):
    """Ask for a typed value of this field."""

    field: Field


class CardColour(CardProgButton, action="col"):
    colour: Colour


class CardToggle(CardProgButton, action="tog"):
    flag: Flag


class CardRemove(CardProgButton, action="rm"):
    item: Item
    index: int


class CardService(CardProgButton, action="svc"):
    """A reward of points exchanged for this listed service: asks how many points."""

    service_id: Id


class CardExpiry(CardProgButton, action="exp"):
    """Points expire N months after earning (0: never)."""

    months: int


class CardSave(CardProgButton, action="save"):
    pass
