"""The customer record (one row per shop and person), filled from what the database already
knows: shop follows (not muted: a muted row may never have been a follow), coupon claims and
redemptions, and purchases. One INSERT ... SELECT that SQLite and PostgreSQL both run; times
compare as stored (UTC text on SQLite), as the application's own queries do."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from bot.models.customers import CustomerEvent
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

FILL_FROM_HISTORY = """
INSERT INTO customers (
    shop_id, user_id, source, first_seen, last_seen, customer_since, followed_at, claimed_at,
    sole_coupon_id, redeemed_at, bought_at, last_visit_at, visits, spend_cents
)
SELECT
    shop_id,
    user_id,
    CASE MIN(at)
        WHEN MIN(CASE WHEN kind = 'follow' THEN at END) THEN 'follow'
        WHEN MIN(CASE WHEN kind = 'claim' THEN at END) THEN 'claim'
        WHEN MIN(CASE WHEN kind = 'purchase' THEN at END) THEN 'purchase'
        ELSE 'redeem'
    END,
    MIN(at),
    MAX(at),
    MIN(CASE WHEN kind <> 'follow' THEN at END),
    MIN(CASE WHEN kind = 'follow' THEN at END),
    MIN(CASE WHEN kind = 'claim' THEN at END),
    CASE WHEN COUNT(DISTINCT coupon_id) = 1 THEN MIN(coupon_id) END,
    MIN(CASE WHEN kind = 'redeem' THEN at END),
    MIN(CASE WHEN kind = 'purchase' THEN at END),
    MAX(CASE WHEN kind IN ('redeem', 'purchase') THEN at END),
    COUNT(CASE WHEN kind IN ('redeem', 'purchase') THEN 1 END),
    SUM(amount)
FROM (
    SELECT f.shop_id, f.user_id, 'follow' AS kind, f.created_at AS at,
           NULL AS coupon_id, 0 AS amount
      FROM follows f
     WHERE f.shop_id IS NOT NULL AND NOT f.muted
    UNION ALL
    SELECT c.shop_id, cc.user_id, 'claim', cc.claimed_at, cc.coupon_id, 0
      FROM coupon_claims cc JOIN coupons c ON c.id = cc.coupon_id
    UNION ALL
    SELECT c.shop_id, cc.user_id, 'redeem', cc.redeemed_at, NULL, 0
      FROM coupon_claims cc JOIN coupons c ON c.id = cc.coupon_id
     WHERE cc.redeemed_at IS NOT NULL
    UNION ALL
    SELECT p.shop_id, p.user_id, 'purchase', p.created_at, NULL, p.amount_cents
      FROM purchases p
) AS events
GROUP BY shop_id, user_id
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0002_staff_invites')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('shop', fields.ForeignKeyField('models.Shop', source_field='shop_id', db_constraint=True, to_field='id', related_name='customers', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='customer_of', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharEnumField(description='FOLLOW: follow\nCLAIM: claim\nREDEEM: redeem\nPURCHASE: purchase', enum_type=CustomerEvent, max_length=8)),
                ('first_seen', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('customer_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('followed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sole_coupon_id', fields.IntField(null=True)),
                ('redeemed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('bought_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_visit_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('visits', fields.IntField(default=0)),
                ('spend_cents', fields.BigIntField(default=0)),
            ],
            options={'table': 'customers', 'app': 'models', 'unique_together': (('shop', 'user'),), 'indexes': [Index(fields=['shop_id', 'customer_since']), Index(fields=['shop_id', 'last_visit_at'])], 'pk_attr': 'id', 'table_description': 'One row per (shop, person) who followed, claimed, redeemed or bought there, kept by'},
            bases=['Model'],
        ),
        ops.RunSQL(FILL_FROM_HISTORY, reverse_sql=ops.RunSQL.noop),
    ]
