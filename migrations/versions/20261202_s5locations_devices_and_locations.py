"""devices and locations: the register of places (GLN optional), enrolled scanners, refused device records

Revision ID: s5locations
Revises: r1signed
Create Date: 2026-12-02 06:13:00.251402

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 's5locations'
down_revision = 'l2labs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device_refusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_refusals'))
    )
    with op.batch_alter_table('device_refusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_refusals_key_id'), ['key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_refusals_received_at'), ['received_at'], unique=False)

    op.create_table('locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('gln', sa.String(length=13), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_locations_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('gln', name=op.f('uq_locations_gln')),
    sa.UniqueConstraint('organization_id', 'name', name=op.f('uq_locations_organization_id'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_organization_id'), ['organization_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('enrolled_by', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enrolled_by'], ['users.id'], name=op.f('fk_devices_enrolled_by_users')),
    sa.ForeignKeyConstraint(['key_id'], ['signing_keys.id'], name=op.f('fk_devices_key_id_signing_keys')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_devices_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('key_id', name=op.f('uq_devices_key_id'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_organization_id'), ['organization_id'], unique=False)



def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_organization_id'))

    op.drop_table('devices')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locations_organization_id'))

    op.drop_table('locations')
    with op.batch_alter_table('device_refusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_refusals_received_at'))
        batch_op.drop_index(batch_op.f('ix_device_refusals_key_id'))

    op.drop_table('device_refusals')
