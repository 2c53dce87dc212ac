from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.models.shops import StaffRole
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffInvite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='invites_sent', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('role', fields.CharEnumField(default=StaffRole.CLERK, description='OWNER: owner\nCLERK: clerk', enum_type=StaffRole, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_by', fields.ForeignKeyField('models.User', source_field='used_by_id', null=True, db_constraint=True, to_field='id', related_name='invites_used', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'staff_invites', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A link an owner sends to make someone a clerk (one use, expires).'},
            bases=['Model'],
        ),
    ]
