"""One-time invitations to join a shop's staff, sent as a deep link."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from bot.models.shops import StaffRole


class StaffInvite(Model):
    """A link an owner sends to make someone a clerk (one use, expires).

    Only the token's SHA-256 is stored, so the table alone cannot be used to join; `used_at`
    is set once, by a conditional update."""

    id = fields.IntField(primary_key=True)
    shop = fields.ForeignKeyField("models.Shop", related_name="invites", on_delete=fields.CASCADE)
    created_by = fields.ForeignKeyField(
        "models.User", related_name="invites_sent", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(StaffRole, max_length=8, default=StaffRole.CLERK)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by = fields.ForeignKeyField(
        "models.User", related_name="invites_used", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "staff_invites"
