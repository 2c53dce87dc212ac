"""Membership cards: programs, tiers, rewards, top-up bonuses, member cards, the ledger, spend
requests, password resets, the bot's own secrets; purchases gain their card columns and an
idempotency key; customers gain `joined_at`."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.models.cards import LedgerKind, ResetStatus, SpendStatus
from bot.models.customers import CustomerEvent
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_launch_key')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BotSecret',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('value', fields.CharField(max_length=128)),
            ],
            options={'table': 'bot_secrets', 'app': 'models', 'pk_attr': 'name', 'table_description': 'Secrets the bot makes for itself once (e.g. the key signing card QR codes). Never'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardProgram',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.OneToOneField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='card_program', on_delete=OnDelete.CASCADE)),
                ('active', fields.BooleanField(default=True)),
                ('stored_value', fields.BooleanField(default=False)),
                ('points_per_currency_unit_off', fields.IntField(default=0)),
                ('min_order_cents', fields.BigIntField(default=0)),
                ('max_points_per_order', fields.IntField(default=0)),
                ('need_name', fields.BooleanField(default=False)),
                ('need_phone', fields.BooleanField(default=False)),
                ('need_birthday', fields.BooleanField(default=False)),
                ('points_expiry_months', fields.SmallIntField(null=True)),
                ('requalify_yearly', fields.BooleanField(default=False)),
                ('void_days', fields.SmallIntField(default=7)),
                ('daily_alert_limit', fields.IntField(default=20)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'card_programs', 'app': 'models', 'pk_attr': 'id', 'table_description': "The card program of a shop, designed by its owner with the /card command."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reward',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('program', fields.ForeignKeyField('models.CardProgram', source_field='program_id', db_constraint=True, to_field='id', related_name='rewards', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('points', fields.IntField()),
                ('service', fields.ForeignKeyField('models.Service', source_field='service_id', null=True, db_constraint=True, to_field='id', related_name='rewards', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'card_rewards', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Points exchanged for a listed service or a gift.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tier',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('program', fields.ForeignKeyField('models.CardProgram', source_field='program_id', db_constraint=True, to_field='id', related_name='tiers', on_delete=OnDelete.CASCADE)),
                ('rank', fields.SmallIntField()),
                ('name', fields.CharField(max_length=16)),
                ('colour', fields.CharField(default='#888888', max_length=7)),
                ('points_per_unit', fields.IntField(default=1)),
                ('discount_percent', fields.SmallIntField(default=0)),
                ('threshold_spend_cents', fields.BigIntField(default=0)),
                ('threshold_topup_cents', fields.BigIntField(null=True)),
            ],
            options={'table': 'card_tiers', 'app': 'models', 'unique_together': (('program', 'rank'),), 'pk_attr': 'id', 'table_description': 'A level of a program, members start at rank 0.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberCard',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(unique=True, max_length=16)),
                ('tier', fields.ForeignKeyField('models.Tier', source_field='tier_id', db_constraint=True, to_field='id', related_name='cards', on_delete=OnDelete.RESTRICT)),
                ('points', fields.BigIntField(default=0)),
                ('balance_cents', fields.BigIntField(default=0)),
                ('spend_cents', fields.BigIntField(default=0)),
                ('password_hash', fields.CharField(null=True, max_length=160)),
                ('failed_attempts', fields.SmallIntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('qualified_since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('downgrade_noticed', fields.BooleanField(default=False)),
            ],
            options={'table': 'member_cards', 'app': 'models', 'unique_together': (('shop', 'user'),), 'indexes': [Index(fields=['user_id']), Index(fields=['qualified_since'])], 'pk_attr': 'id', 'table_description': "The card of one person at one shop. `number` is typed at the counter (digits with a check"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('models.MemberCard', source_field='card_id', db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='EARN: earn\nREDEEM_POINTS: redeem_points\nTOP_UP: top_up\nTOP_UP_BONUS: top_up_bonus\nSPEND_VALUE: spend_value\nADJUST: adjust\nVOID: void\nEXPIRE: expire', enum_type=LedgerKind, max_length=16)),
                ('points_delta', fields.BigIntField(default=0)),
                ('balance_delta', fields.BigIntField(default=0)),
                ('amount_cents', fields.BigIntField(default=0)),
                ('purchase', fields.ForeignKeyField('models.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='ledger', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('models.User', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='ledger_moves', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.CharField(null=True, max_length=200)),
                ('key', fields.CharField(null=True, unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('points_left', fields.BigIntField(default=0)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'ledger_entries', 'app': 'models', 'indexes': [Index(fields=['card_id', 'id']), Index(fields=['purchase_id']), Index(fields=['expires_at', 'points_left']), Index(fields=['staff_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One move of points and/or stored value on a card. Rows are never updated except'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PasswordReset',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('models.MemberCard', source_field='card_id', db_constraint=True, to_field='id', related_name='password_resets', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=ResetStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREFUSED: refused', enum_type=ResetStatus, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='password_resets', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'password_resets', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A holder who forgot their consumption password asks the owner to clear it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SpendRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('card', fields.ForeignKeyField('models.MemberCard', source_field='card_id', db_constraint=True, to_field='id', related_name='spend_requests', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('models.User', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='spend_requests', on_delete=OnDelete.SET_NULL)),
                ('amount_cents', fields.BigIntField()),
                ('points', fields.BigIntField(default=0)),
                ('value_cents', fields.BigIntField(default=0)),
                ('coupon_claim', fields.ForeignKeyField('models.CouponClaim', source_field='coupon_claim_id', null=True, db_constraint=True, to_field='id', related_name='spend_requests', on_delete=OnDelete.SET_NULL)),
                ('reward', fields.ForeignKeyField('models.Reward', source_field='reward_id', null=True, db_constraint=True, to_field='id', related_name='spend_requests', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=SpendStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nDECLINED: declined\nEXPIRED: expired', enum_type=SpendStatus, max_length=8)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('purchase', fields.ForeignKeyField('models.Purchase', source_field='purchase_id', null=True, db_constraint=True, to_field='id', related_name='spend_requests', on_delete=OnDelete.SET_NULL)),
                ('staff_chat_id', fields.BigIntField(null=True)),
                ('staff_message_id', fields.BigIntField(null=True)),
                ('customer_message_id', fields.BigIntField(null=True)),
            ],
            options={'table': 'spend_requests', 'app': 'models', 'indexes': [Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'Staff asked to take points and/or stored value, nothing moves until the holder approves'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TopUpBonus',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('program', fields.ForeignKeyField('models.CardProgram', source_field='program_id', db_constraint=True, to_field='id', related_name='bonuses', on_delete=OnDelete.CASCADE)),
                ('min_cents', fields.BigIntField()),
                ('bonus_cents', fields.BigIntField()),
            ],
            options={'table': 'card_topup_bonuses', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Top up at least `min_cents`, get `bonus_cents` of stored value on top (the best match).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='joined_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name='Purchase',
            options={'table': 'purchases', 'app': 'models', 'indexes': [Index(fields=['shop_id', 'user_id']), Index(fields=['card_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A purchase recorded by shop staff, with what a membership card did to it (points earned'},
        ),
        ops.AddField(
            model_name='Purchase',
            name='card',
            field=fields.ForeignKeyField('models.MemberCard', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Purchase',
            name='coupon_claim',
            field=fields.ForeignKeyField('models.CouponClaim', source_field='coupon_claim_id', null=True, db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Purchase',
            name='discount_cents',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Purchase',
            name='key',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Purchase',
            name='points_earned',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Purchase',
            name='points_spent',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Purchase',
            name='value_spent_cents',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Purchase',
            name='voided_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Purchase',
            name='voided_by',
            field=fields.ForeignKeyField('models.User', source_field='voided_by_id', null=True, db_constraint=True, to_field='id', related_name='voided_purchases', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Purchase',
            index=Index(fields=['card_id', 'created_at']),
        ),
    ]
