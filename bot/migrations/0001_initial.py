from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bot.models.shops import ShopStatus, StaffRole
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ('first_name', fields.CharField(default='', max_length=128)),
                ('username', fields.CharField(null=True, max_length=64)),
                ('language', fields.CharField(default='en', max_length=8)),
                ('is_consumer', fields.BooleanField(default=False)),
                ('is_merchant', fields.BooleanField(default=False)),
                ('role_chosen', fields.BooleanField(default=False)),
                ('name', fields.CharField(null=True, max_length=64)),
                ('phone', fields.CharField(null=True, max_length=20)),
                ('birthday', fields.DateField(null=True)),
                ('timezone', fields.CharField(default='Asia/Shanghai', max_length=40)),
                ('default_radius_m', fields.IntField(default=2000)),
                ('profile_reminded', fields.BooleanField(default=False)),
                ('reachable', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A Telegram user, whose primary key is the Telegram user id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Place',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='places', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=16)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
            ],
            options={'table': 'places', 'app': 'models', 'unique_together': (('user', 'label'),), 'pk_attr': 'id', 'table_description': 'A saved place (home, work) used for searches and follows.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Shop',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='shops', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=64)),
                ('category', fields.CharField(db_index=True, max_length=32)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
                ('address', fields.CharField(default='', max_length=200)),
                ('phone', fields.CharField(default='', max_length=20)),
                ('hours', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('timezone', fields.CharField(default='Asia/Shanghai', max_length=40)),
                ('description', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=ShopStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREJECTED: rejected', enum_type=ShopStatus, max_length=16)),
                ('rating_sum', fields.IntField(default=0)),
                ('rating_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'shops', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Purchase',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='purchases', on_delete=OnDelete.CASCADE)),
                ('amount_cents', fields.BigIntField()),
                ('staff', fields.ForeignKeyField('models.User', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='recorded_purchases', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'purchases', 'app': 'models', 'indexes': [Index(fields=['shop_id', 'user_id'])], 'pk_attr': 'id', 'table_description': 'A purchase recorded by shop staff. Later issues attach cards, points and ledgers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Review',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('stars', fields.SmallIntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('verified', fields.BooleanField(default=False)),
                ('reply', fields.TextField(null=True, unique=False)),
                ('replied_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reviews', 'app': 'models', 'unique_together': (('shop', 'user'),), 'indexes': [Index(fields=['shop_id', 'verified', 'updated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Service',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='services', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=64)),
                ('price_cents', fields.BigIntField()),
                ('description', fields.TextField(default='', unique=False)),
                ('photo_file_id', fields.CharField(null=True, max_length=255)),
                ('hidden', fields.BooleanField(default=False)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'services', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A service or product a shop sells, price in integer cents.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShopGeo',
            fields=[
                ('shop', fields.OneToOneField('models.Shop', source_field='shop_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='geo', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharField(max_length=32)),
                ('band', fields.IntField()),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
            ],
            options={'table': 'shop_geo', 'app': 'models', 'indexes': [Index(fields=['category', 'band', 'lng', 'lat', 'shop_id'], name='shop_geo_cat_band'), Index(fields=['band', 'lng', 'lat', 'shop_id'], name='shop_geo_band')], 'pk_attr': 'shop_id', 'table_description': 'Search index of *approved* shops only: pending and rejected shops are never in it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ShopPhoto',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('file_id', fields.CharField(max_length=255)),
                ('position', fields.SmallIntField(default=0)),
            ],
            options={'table': 'shop_photos', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='staff_of', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=StaffRole.CLERK, description='OWNER: owner\nCLERK: clerk', enum_type=StaffRole, max_length=8)),
            ],
            options={'table': 'staff', 'app': 'models', 'unique_together': (('shop', 'user'),), 'pk_attr': 'id', 'table_description': 'Who may act for a shop: its owner and clerks.'},
            bases=['Model'],
        ),
    ]
