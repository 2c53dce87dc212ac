"""What every card service shares (re-exported by bot.services.cards): the one error and the
`cards:` settings, in their own module so card_tokens and passwords use them without importing
the card service."""

from __future__ import annotations

from bot.config import CardSettings

_settings = CardSettings()


def configure(new: CardSettings) -> None:
    """Set the `cards:` config for the card services (the composition root calls this)."""
    global _settings
    _settings = new


def settings() -> CardSettings:
    return _settings


class CardError(Exception):
    """A card action refused. Reasons: no_program, missing_field (field), already_member,
    not_found, other_shop, expired_qr, bad_qr, not_member, bad_amount, not_staff, not_permitted,
    own_card, insufficient_points, insufficient_balance, min_order, max_points, points_off,
    no_stored_value, coupon (coupon_reason), wrong_password (left), locked (until), expired,
    decided, no_password, bad_pin, too_old, already_voided, insufficient, not_owner."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details
