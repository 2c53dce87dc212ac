from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Changes to an approved shop's name, category or location held for operator review
    (written by hand: the autodetector also proposed re-creating users.id)."""

    dependencies = [('models', '0003_customers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ShopChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.OneToOneField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='pending_change', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(null=True, max_length=64)),
                ('category', fields.CharField(null=True, max_length=32)),
                ('lat', fields.FloatField(null=True)),
                ('lng', fields.FloatField(null=True)),
                ('address', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'shop_changes', 'app': 'models', 'pk_attr': 'id', 'table_description': "A merchant's change to an approved shop's name, category or location, awaiting review."},
            bases=['Model'],
        ),
    ]
