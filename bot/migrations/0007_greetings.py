"""Birthday and holiday greetings (issue 9)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.models.greetings import GreetingAudience
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

#: month * 100 + day of each known birthday (DateField: ISO text on SQLite, DATE on PostgreSQL).
FILL_BIRTH_MD = {
    "sqlite": "UPDATE users SET birth_md = CAST(strftime('%m%d', birthday) AS INTEGER)"
    " WHERE birthday IS NOT NULL",
    "postgres": "UPDATE users SET birth_md = CAST(EXTRACT(MONTH FROM birthday) * 100"
    " + EXTRACT(DAY FROM birthday) AS SMALLINT) WHERE birthday IS NOT NULL",
}


async def fill_birth_md(apps, schema_editor) -> None:
    """Existing users' birthdays get their month-day at once (later writes keep it in sync)."""
    client = schema_editor.client
    await client.execute_script(FILL_BIRTH_MD[client.capabilities.dialect])


class Migration(migrations.Migration):
    """Greetings: shop settings, per-holiday choices, the once-only log, opt-outs; the users'
    indexed birthday month-day, the shop an outbox row speaks for, granted coupons."""

    dependencies = [('models', '0006_cards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GreetingLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='greetings', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='greetings_sent', on_delete=OnDelete.CASCADE)),
                ('occasion', fields.CharField(max_length=24)),
                ('year', fields.SmallIntField()),
                ('outbox_id', fields.BigIntField(null=True)),
                ('claim_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'greeting_log', 'app': 'models', 'unique_together': (('user', 'shop', 'occasion', 'year'),), 'indexes': [Index(fields=['shop_id', 'user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A greeting queued: at most one per person, shop, occasion ("birthday" or a holiday key)'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GreetingOptOut',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='greeting_opt_outs', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', null=True, db_constraint=True, to_field='id', related_name='greeting_opt_outs', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'greeting_opt_outs', 'app': 'models', 'unique_together': (('user', 'shop'),), 'pk_attr': 'id', 'table_description': 'A person wants no greetings from a shop, or (shop NULL) from any shop.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GreetingSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.OneToOneField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='greeting_settings', on_delete=OnDelete.CASCADE)),
                ('enabled', fields.BooleanField(default=True)),
                ('audience', fields.CharEnumField(default=GreetingAudience.CUSTOMERS, description='MEMBERS: members\nCUSTOMERS: customers\nFOLLOWERS: followers', enum_type=GreetingAudience, max_length=12)),
                ('birthday_on', fields.BooleanField(default=True)),
                ('birthday_days_before', fields.SmallIntField(default=3)),
                ('birthday_text', fields.TextField(null=True, unique=False)),
                ('birthday_coupon', fields.ForeignKeyField('models.Coupon', source_field='birthday_coupon_id', null=True, db_constraint=True, to_field='id', related_name='birthday_of', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'greeting_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One per shop, created lazily with the defaults (bot.services.greetings.settings_of).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HolidayGreeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='holiday_greetings', on_delete=OnDelete.CASCADE)),
                ('occasion', fields.CharField(max_length=24)),
                ('enabled', fields.BooleanField(default=True)),
                ('text', fields.TextField(null=True, unique=False)),
                ('coupon', fields.ForeignKeyField('models.Coupon', source_field='coupon_id', null=True, db_constraint=True, to_field='id', related_name='holiday_of', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'holiday_greetings', 'app': 'models', 'unique_together': (('shop', 'occasion'),), 'pk_attr': 'id', 'table_description': "A shop's choice for one holiday. No row: on, with the default text and no coupon."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Coupon',
            name='granted',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Outbox',
            name='shop',
            field=fields.ForeignKeyField('models.Shop', source_field='shop_id', null=True, db_constraint=True, to_field='id', related_name='outbox', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Outbox',
            index=Index(fields=['shop_id', 'user_id', 'sent_at']),
        ),
        ops.AddField(
            model_name='User',
            name='birth_md',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['birth_md']),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['user_id', 'shop_id']),
        ),
        ops.RunPython(fill_birth_md, reverse_code=ops.RunPython.noop),
    ]
