"""sensors and shelf life: devices get a kind and an installed place; signed sensor messages; categories'
cold-chain claims and shelf life; products' own shelf life

Revision ID: m1sensors
Revises: s2stats
Create Date: 2026-12-02 10:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = 'm1sensors'
down_revision = 's2stats'
branch_labels = None
depends_on = None


def _cold(low, high):
    return {"storage": {"min": low, "max": high}, "transport": {"min": low, "max": high}, "toleratedMinutes": 30}


def _shelf(days, kind, zh, en):
    return {"days": days, "kind": kind, "conditionsZh": zh, "conditionsEn": en}


# The seeded categories' claims (services/catalog/catalog.py DEFAULT_CATEGORIES), for databases seeded before.
SEEDS = {
    "vegetables": (_cold("0", "8"), _shelf(7, "best_before", "0–8 °C 冷藏", "Keep refrigerated at 0–8 °C")),
    "fruit": (_cold("0", "10"), _shelf(14, "best_before", "0–10 °C 冷藏", "Keep refrigerated at 0–10 °C")),
    "grain_oil": (None, _shelf(365, "shelf_life", "阴凉干燥处，避光密封保存",
                               "Store sealed in a cool, dry place away from light")),
    "tea": (None, _shelf(540, "shelf_life", "密封、避光、防潮，常温保存",
                         "Store sealed, dry and away from light at room temperature")),
    "livestock_poultry": (_cold("0", "4"), _shelf(5, "shelf_life", "0–4 °C 冷藏", "Keep refrigerated at 0–4 °C")),
    "eggs": (None, _shelf(45, "best_before", "阴凉干燥处保存，冷藏更佳",
                          "Store in a cool, dry place; refrigerated is better")),
    "aquatic": (_cold("-2", "4"), _shelf(3, "shelf_life", "-2–4 °C 冷藏", "Keep refrigerated at -2–4 °C")),
    "edible_fungi": (_cold("1", "5"), _shelf(10, "best_before", "1–5 °C 冷藏", "Keep refrigerated at 1–5 °C")),
}


def upgrade():
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='scanner', nullable=False))
        batch_op.add_column(sa.Column('location_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_devices_location_id'), ['location_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_devices_location_id_locations'), 'locations', ['location_id'], ['id'])
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cold_chain', json_type, nullable=True))
        batch_op.add_column(sa.Column('shelf_life', json_type, nullable=True))
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shelf_life', json_type, nullable=True))
    op.create_table('sensor_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', json_type, nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('readings', sa.Integer(), nullable=False),
    sa.Column('summary', json_type, nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sensor_messages_device_id_devices')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_sensor_messages_location_id_locations')),
    sa.ForeignKeyConstraint(['record_id'], ['events.id'], name=op.f('fk_sensor_messages_record_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_messages')),
    sa.UniqueConstraint('device_id', 'message_id', name=op.f('uq_sensor_messages_device_id'))
    )
    with op.batch_alter_table('sensor_messages', schema=None) as batch_op:
        batch_op.create_index('ix_sensor_messages_location_first_at', ['location_id', 'first_at'], unique=False)
        batch_op.create_index('ix_sensor_messages_unsealed', ['record_id', 'window_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_sensor_messages_record_id'), ['record_id'], unique=False)
    categories = sa.table('categories', sa.column('code', sa.String()), sa.column('cold_chain', json_type),
                          sa.column('shelf_life', json_type))
    for code, (cold, shelf) in SEEDS.items():
        op.execute(categories.update().where(categories.c.code == code)
                   .values(cold_chain=cold, shelf_life=shelf))


def downgrade():
    with op.batch_alter_table('sensor_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sensor_messages_record_id'))
        batch_op.drop_index('ix_sensor_messages_unsealed')
        batch_op.drop_index('ix_sensor_messages_location_first_at')
    op.drop_table('sensor_messages')
    # Dropped in place: copying categories or products would break the rows that refer to them.
    with op.batch_alter_table('products', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('shelf_life')
    with op.batch_alter_table('categories', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('shelf_life')
        batch_op.drop_column('cold_chain')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_devices_location_id_locations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_devices_location_id'))
        batch_op.drop_column('location_id')
        batch_op.drop_column('kind')
