"""Membership cards on the customer's side: joining, one's own card (new QR, history, password)
and the owner's decision on a password reset. Every press is checked again: the card is the
presser's, the program still runs, the reset is still pending and the presser owns its shop."""

from __future__ import annotations

from bot.ui.callbacks import CallbackData, Id


class CardButton(CallbackData, prefix="crd"):
    pass


class JoinCard(CardButton, action="join"):
    """Join the shop's card (shop page, the page a join link opens)."""

    shop_id: Id


class OpenCard(CardButton, action="open"):
    """One's own card as its image (shop page's 💳 My card, messages about the card)."""

    card_id: Id


class NewQr(CardButton, action="qr"):
    """A fresh short-lived QR on the card's image, in place."""

    card_id: Id


class CardHistory(CardButton, action="hist"):
    """A page of the card's history: a new message (page 0), other pages in place."""

    card_id: Id
    page: int = 0


class CardPassword(CardButton, action="pin"):
    """The card's password: change it, or ask the shop for a reset."""

    card_id: Id


class SetPin(CardButton, action="setpin"):
    """Set the card's password (none yet, or reset by the shop)."""

    card_id: Id


class ChangePin(CardButton, action="chpin"):
    """Change the password with the old one."""

    card_id: Id


class ForgotPin(CardButton, action="forgot"):
    """Ask the shop's owner to reset the password."""

    card_id: Id


class DecideReset(CardButton, action="reset"):
    """The owner approves (or refuses) a customer's password reset."""

    reset_id: Id
    approve: bool
