"""Membership cards: a shop's program (tiers, rewards, top-up bonuses), the members' cards and
the ledger behind every point and cent on them.

Money and points are integers. A card's `points` and `balance_cents` are caches of its ledger:
every change is one LedgerEntry written in the same transaction as the conditional UPDATE of the
card (bot/services/ledger.py), so `points == SUM(points_delta)` and `balance_cents ==
SUM(balance_delta)` always hold (`python -m bot check-ledger` verifies it)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class LedgerKind(StrEnum):
    EARN = "earn"  # points credited for a purchase
    REDEEM_POINTS = "redeem_points"  # points paying part of a purchase (or a reward)
    TOP_UP = "top_up"  # stored value paid in
    TOP_UP_BONUS = "top_up_bonus"  # stored value given with a top-up (TopUpBonus)
    SPEND_VALUE = "spend_value"  # stored value paying part of a purchase
    ADJUST = "adjust"  # points added or removed by the owner, with a reason
    VOID = "void"  # the reversal of a purchase's or a top-up's moves
    EXPIRE = "expire"  # earned points past their expiry


class SpendStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"


class ResetStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class CardProgram(Model):
    """The card program of a shop, designed by its owner with the /card command.
    Changing it keeps the members, their cards and history, only future moves follow the
    new rules."""

    id = fields.IntField(primary_key=True)
    shop = fields.OneToOneField(
        "models.Shop", related_name="card_program", on_delete=fields.CASCADE
    )
    active = fields.BooleanField(default=True)
    stored_value = fields.BooleanField(default=False)  # the card holds prepaid money
    # How many points pay one currency unit (e.g. 100), 0: points cannot pay money.
    points_per_currency_unit_off = fields.IntField(default=0)
    min_order_cents = fields.BigIntField(default=0)  # least order that points may pay part of
    max_points_per_order = fields.IntField(default=0)  # 0: no cap
    need_name = fields.BooleanField(default=False)
    need_phone = fields.BooleanField(default=False)
    need_birthday = fields.BooleanField(default=False)
    points_expiry_months = fields.SmallIntField(null=True)  # None: points never expire
    requalify_yearly = fields.BooleanField(default=False)
    void_days = fields.SmallIntField(default=7)  # how long the owner may void a move
    daily_alert_limit = fields.IntField(default=20)  # moves per card or clerk per day before alert
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "card_programs"


class Tier(Model):
    """A level of a program, members start at rank 0."""

    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.CardProgram", related_name="tiers", on_delete=fields.CASCADE
    )
    rank = fields.SmallIntField()
    name = fields.CharField(max_length=16)
    colour = fields.CharField(max_length=7, default="#888888")  # "#RRGGBB"
    points_per_unit = fields.IntField(default=1)  # points per whole currency unit spent
    discount_percent = fields.SmallIntField(default=0)  # 0..50
    threshold_spend_cents = fields.BigIntField(default=0)  # cumulative spend reaching it
    threshold_topup_cents = fields.BigIntField(null=True)  # one top-up of at least this reaches it

    class Meta:
        table = "card_tiers"
        unique_together = (("program", "rank"),)
        ordering = ["rank"]


class Reward(Model):
    """Points exchanged for a listed service or a gift."""

    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.CardProgram", related_name="rewards", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)
    points = fields.IntField()
    service = fields.ForeignKeyField(
        "models.Service", related_name="rewards", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "card_rewards"


class TopUpBonus(Model):
    """Top up at least `min_cents`, get `bonus_cents` of stored value on top (the best match)."""

    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.CardProgram", related_name="bonuses", on_delete=fields.CASCADE
    )
    min_cents = fields.BigIntField()
    bonus_cents = fields.BigIntField()

    class Meta:
        table = "card_topup_bonuses"


class MemberCard(Model):
    """The card of one person at one shop. `number` is typed at the counter (digits with a check
    digit); it identifies, it grants nothing: spending needs the holder's approval."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="cards", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="cards", on_delete=fields.CASCADE)
    number = fields.CharField(max_length=16, unique=True)
    tier = fields.ForeignKeyField("models.Tier", related_name="cards", on_delete=fields.RESTRICT)
    points = fields.BigIntField(default=0)
    balance_cents = fields.BigIntField(default=0)
    spend_cents = fields.BigIntField(default=0)  # qualifying spend since `qualified_since`
    password_hash = fields.CharField(max_length=160, null=True)
    failed_attempts = fields.SmallIntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    joined_at = fields.DatetimeField()
    qualified_since = fields.DatetimeField()  # start of the current qualifying year
    downgrade_noticed = fields.BooleanField(default=False)  # notice sent for this year

    class Meta:
        table = "member_cards"
        unique_together = (("shop", "user"),)
        indexes = (("user_id",), ("qualified_since",))


class LedgerEntry(Model):
    """One move of points and/or stored value on a card. Rows are never updated except
    `points_left` (what of an earning is still unspent, consumed oldest first)."""

    id = fields.BigIntField(primary_key=True)
    card = fields.ForeignKeyField(
        "models.MemberCard", related_name="ledger", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(LedgerKind, max_length=16)
    points_delta = fields.BigIntField(default=0)
    balance_delta = fields.BigIntField(default=0)
    amount_cents = fields.BigIntField(default=0)  # the purchase or top-up amount it belongs to
    purchase = fields.ForeignKeyField(
        "models.Purchase", related_name="ledger", null=True, on_delete=fields.RESTRICT
    )
    staff = fields.ForeignKeyField(
        "models.User", related_name="ledger_moves", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.CharField(max_length=200, null=True)
    key = fields.CharField(max_length=64, unique=True, null=True)
    created_at = fields.DatetimeField()
    points_left = fields.BigIntField(default=0)  # of a credit of points: not yet spent/expired
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ledger_entries"
        indexes = (
            ("card_id", "id"),  # a card's history, newest first; check_ledger's sums per card
            ("purchase_id",),  # a purchase's moves (void, check_ledger)
            ("expires_at", "points_left"),  # the expiry job
            ("staff_id", "created_at"),  # suspicious activity per clerk
        )


class SpendRequest(Model):
    """Staff asked to take points and/or stored value, nothing moves until the holder approves
    with their password in their own chat (or it expires)."""

    id = fields.IntField(primary_key=True)
    card = fields.ForeignKeyField(
        "models.MemberCard", related_name="spend_requests", on_delete=fields.CASCADE
    )
    staff = fields.ForeignKeyField(
        "models.User", related_name="spend_requests", null=True, on_delete=fields.SET_NULL
    )
    amount_cents = fields.BigIntField()  # the purchase amount
    points = fields.BigIntField(default=0)
    value_cents = fields.BigIntField(default=0)
    coupon_claim = fields.ForeignKeyField(
        "models.CouponClaim", related_name="spend_requests", null=True, on_delete=fields.SET_NULL
    )
    reward = fields.ForeignKeyField(
        "models.Reward", related_name="spend_requests", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(SpendStatus, max_length=8, default=SpendStatus.PENDING)
    key = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    purchase = fields.ForeignKeyField(
        "models.Purchase", related_name="spend_requests", null=True, on_delete=fields.SET_NULL
    )
    staff_chat_id = fields.BigIntField(null=True)
    staff_message_id = fields.BigIntField(null=True)
    customer_message_id = fields.BigIntField(null=True)

    class Meta:
        table = "spend_requests"
        indexes = (("status", "expires_at"),)


class PasswordReset(Model):
    """A holder who forgot their consumption password asks the owner to clear it."""

    id = fields.IntField(primary_key=True)
    card = fields.ForeignKeyField(
        "models.MemberCard", related_name="password_resets", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(ResetStatus, max_length=8, default=ResetStatus.PENDING)
    created_at = fields.DatetimeField()
    decided_by = fields.ForeignKeyField(
        "models.User", related_name="password_resets", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "password_resets"


class BotSecret(Model):
    """Secrets the bot makes for itself once (e.g. the key signing card QR codes). Never
    logged, never shown."""

    name = fields.CharField(max_length=32, primary_key=True)
    value = fields.CharField(max_length=128)

    class Meta:
        table = "bot_secrets"
