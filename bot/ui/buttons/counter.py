"""The staff counter: a customer's card screen and what staff do from it (record a purchase,
redeem a coupon, top up; owners adjust points and void). Confirm buttons carry the whole
transaction and its idempotency key, so a double tap, a retried request or a restart records it
once; every press is re-validated (the card exists, the presser may act at its shop)."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class CounterButton(CallbackData, prefix="ctr"):
    pass


class CounterCard(CounterButton, action="card"):
    """Show the card screen again (fresh balances)."""

    card_id: Id


class RecordPurchase(CounterButton, action="buy"):
    card_id: Id


class CardCoupons(CounterButton, action="cpns"):
    """The customer's coupons usable at this shop, each with its Redeem button."""

    card_id: Id


class TopUp(CounterButton, action="top"):
    card_id: Id


class PurchaseOption(CounterButton, action="opt"):
    """The purchase confirmation with another choice of coupon / points / stored value."""

    card_id: Id
    cents: int
    claim_id: Id | None
    points: bool
    value: bool
    key: str


class ConfirmPurchase(CounterButton, action="ok"):
    card_id: Id
    cents: int
    claim_id: Id | None
    points: bool
    value: bool
    key: str


class ConfirmTopUp(CounterButton, action="tok"):
    card_id: Id
    cents: int
    key: str


class AdjustPoints(CounterButton, action="adj"):
    """Owners: add or remove points by hand, with a reason."""

    card_id: Id


class RecentActivity(CounterButton, action="hist"):
    """Owners: the card's recent purchases and top-ups, each with its void button."""

    card_id: Id


class VoidPurchase(CounterButton, action="vp"):
    purchase_id: Id
    sure: bool


class VoidTopUp(CounterButton, action="vt"):
    entry_id: Id
    sure: bool


class DropCounter(CounterButton, action="drop"):
    """✖️ Done on a card screen (the buttons go), ✖️ Cancel on a confirmation (`cancel`: the
    buttons go and it says nothing was recorded)."""

    cancel: bool
