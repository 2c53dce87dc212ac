from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Promotions carry the idempotency key of their Send button (unique: one campaign per
    key, however often Send is pressed)."""

    dependencies = [("models", "0004_shop_changes")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Promotion",
            name="launch_key",
            field=fields.CharField(
                null=True,
                unique=True,
                max_length=32,
                description="Idempotency key of the Send button that launched it",
            ),
        ),
    ]
