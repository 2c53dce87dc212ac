"""Care after a visit: surveys (one per visit) and complaints; the customer record learns when
the shop's welcome went out. People who visited before this release are counted as welcomed
(at their first visit): a welcome on their next visit would come late and read oddly."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.models.care import ComplaintStatus, SurveySource, SurveyStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

WELCOMED_ALREADY = """
UPDATE customers SET welcomed_at = COALESCE(redeemed_at, bought_at) WHERE visits > 0
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0007_greetings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Survey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='surveys', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='surveys', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharEnumField(description='REDEEM: redeem\nPURCHASE: purchase', enum_type=SurveySource, max_length=8)),
                ('ref_id', fields.IntField()),
                ('visited_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=SurveyStatus.WAITING, description='WAITING: waiting\nSENT: sent\nDROPPED: dropped', enum_type=SurveyStatus, max_length=8)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stars', fields.SmallIntField(null=True)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'surveys', 'app': 'models', 'unique_together': (('source', 'ref_id'),), 'indexes': [Index(fields=['status', 'due_at']), Index(fields=['shop_id', 'user_id', 'sent_at'])], 'pk_attr': 'id', 'table_description': '"How was your visit?" — one per visit: unique (source, ref_id), so a redemption or a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Complaint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('survey', fields.OneToOneField('models.Survey', source_field='survey_id', db_constraint=True, to_field='id', related_name='complaint', on_delete=OnDelete.CASCADE)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.CASCADE)),
                ('stars', fields.SmallIntField()),
                ('text', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=ComplaintStatus.OPEN, description='OPEN: open\nANSWERED: answered', enum_type=ComplaintStatus, max_length=8)),
                ('answer', fields.TextField(null=True, unique=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_by', fields.ForeignKeyField('models.User', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='answered_complaints', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'complaints', 'app': 'models', 'indexes': [Index(fields=['shop_id', 'status', 'created_at'])], 'pk_attr': 'id', 'table_description': "A low score (1–2 ⭐), with what the customer wrote (optional), open until the owner's"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='welcomed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunSQL(WELCOMED_ALREADY, reverse_sql=ops.RunSQL.noop),
    ]
