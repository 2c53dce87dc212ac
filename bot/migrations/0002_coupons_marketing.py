from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.models.coupons import Audience, ClaimStatus, CouponKind, CouponStatus
from bot.models.marketing import OutboxStatus, PromotionAudience, PromotionStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Coupon',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='coupons', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='PERCENT: percent\nAMOUNT: amount\nVOUCHER: voucher\nGIFT: gift', enum_type=CouponKind, max_length=8)),
                ('value', fields.BigIntField(default=0)),
                ('title', fields.CharField(max_length=64)),
                ('terms', fields.TextField(default='', unique=False)),
                ('min_spend_cents', fields.BigIntField(default=0)),
                ('stock', fields.IntField(null=True)),
                ('claimed_count', fields.IntField(default=0)),
                ('redeemed_count', fields.IntField(default=0)),
                ('per_user_limit', fields.SmallIntField(default=1)),
                ('valid_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('valid_days', fields.SmallIntField(null=True)),
                ('audience', fields.CharEnumField(default=Audience.EVERYONE, description='EVERYONE: everyone\nNEW_CUSTOMERS: new\nTIER: tier', enum_type=Audience, max_length=8)),
                ('audience_tier', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=CouponStatus.ACTIVE, description='ACTIVE: active\nPAUSED: paused\nENDED: ended', enum_type=CouponStatus, max_length=8)),
                ('flash_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'coupons', 'app': 'models', 'indexes': [Index(fields=['shop_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CouponClaim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('coupon', fields.ForeignKeyField('models.Coupon', source_field='coupon_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('seq', fields.SmallIntField(default=1)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('status', fields.CharEnumField(default=ClaimStatus.ACTIVE, description='ACTIVE: active\nREDEEMED: redeemed', enum_type=ClaimStatus, max_length=8)),
                ('claimed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('redeemed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('redeemed_by', fields.ForeignKeyField('models.User', source_field='redeemed_by_id', null=True, db_constraint=True, to_field='id', related_name='redeemed_claims', on_delete=OnDelete.SET_NULL)),
                ('promotion_id', fields.IntField(null=True)),
                ('reminded', fields.BooleanField(default=False)),
            ],
            options={'table': 'coupon_claims', 'app': 'models', 'unique_together': (('coupon', 'user', 'seq'),), 'indexes': [Index(fields=['user_id', 'status']), Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': "One claimed coupon in a customer's wallet. `seq` numbers a user's claims of one coupon:"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Follow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='follows', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', null=True, db_constraint=True, to_field='id', related_name='followers', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharField(null=True, max_length=32)),
                ('lat', fields.FloatField(null=True)),
                ('lng', fields.FloatField(null=True)),
                ('radius_m', fields.IntField(null=True)),
                ('muted', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'follows', 'app': 'models', 'unique_together': (('user', 'shop'), ('user', 'category')), 'indexes': [Index(fields=['category', 'muted'])], 'pk_attr': 'id', 'table_description': 'A shop followed, or a category followed within a radius of a point.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Outbox',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='outbox', on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: pending\nSENT: sent\nBLOCKED: blocked\nFAILED: failed\nSKIPPED: skipped', enum_type=OutboxStatus, max_length=8)),
                ('attempts', fields.SmallIntField(default=0)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('chat_message_id', fields.BigIntField(null=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox', 'app': 'models', 'unique_together': (('campaign', 'user'),), 'indexes': [Index(fields=['status', 'not_before']), Index(fields=['user_id', 'kind', 'sent_at'])], 'pk_attr': 'id', 'table_description': 'One message to one person. Unique (campaign, user): nobody gets a campaign twice, even'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Promotion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='promotions', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='promotions', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('photo_file_id', fields.CharField(null=True, max_length=255)),
                ('coupon', fields.ForeignKeyField('models.Coupon', source_field='coupon_id', null=True, db_constraint=True, to_field='id', related_name='promotions', on_delete=OnDelete.SET_NULL)),
                ('audience', fields.CharEnumField(description='FOLLOWERS: followers\nCATEGORY: category\nCUSTOMERS: customers', enum_type=PromotionAudience, max_length=16)),
                ('is_flash', fields.BooleanField(default=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=PromotionStatus.DRAFT, description='DRAFT: draft\nSENDING: sending\nSENT: sent\nENDED: ended', enum_type=PromotionStatus, max_length=8)),
                ('reached', fields.IntField(default=0)),
                ('progress_chat_id', fields.BigIntField(null=True)),
                ('progress_message_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'promotions', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='ShopGeo',
            options={'table': 'shop_geo', 'app': 'models', 'indexes': [Index(fields=['category', 'band', 'lng', 'lat', 'shop_id'], name='shop_geo_cat_band'), Index(fields=['band', 'lng', 'lat', 'shop_id'], name='shop_geo_band')], 'pk_attr': 'shop_id', 'table_description': 'Search index of *approved* shops only: pending and rejected shops are never in it.'},
        ),
        # (makemigrations also proposed re-adding User.id, identical to 0001: dropped)
        ops.AddField(
            model_name='User',
            name='max_pushes_per_day',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='User',
            name='quiet_end',
            field=fields.SmallIntField(default=480),
        ),
        ops.AddField(
            model_name='User',
            name='quiet_start',
            field=fields.SmallIntField(default=1320),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['id']),
        ),
    ]
