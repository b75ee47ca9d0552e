"""statistics and private values: private_values (sealed sale values), organization_aid, statistics_counters

Existing records are counted here (the same rebuild as ``flask --app wsgi trace stats rebuild``).

Revision ID: s2stats
Revises: p1photos
Create Date: 2026-12-02 09:49:26.624634

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 's2stats'
down_revision = 'p1photos'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_counters',
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('organization_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('figure', sa.String(length=48), nullable=False),
    sa.Column('uom', sa.String(length=3), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('quantity_micro', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'period', 'township_code', 'category', 'organization_id', 'figure', 'uom', name=op.f('pk_statistics_counters')),
    sqlite_with_rowid=False,
    )
    op.create_index('ix_statistics_counters_active', 'statistics_counters',
                    ['grain', 'figure', 'period', 'township_code', 'category', 'organization_id'], unique=False)
    op.create_table('organization_aid',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_aid_organization_id_organizations')),
    sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_organization_aid'))
    )
    op.create_table('private_values',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_private_values_event_id_events')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_private_values_organization_id_organizations')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_private_values'))
    )
    with op.batch_alter_table('private_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_private_values_organization_id'), ['organization_id'], unique=False)

    bind = op.get_bind()
    if not bind.scalar(sa.text("SELECT count(*) FROM events")):
        return  # a new database: nothing to count
    from sqlalchemy.orm import Session

    from trace.services.statistics.rebuild import rebuild

    session = Session(bind=bind)
    rebuild(session)
    session.flush()



def downgrade():
    with op.batch_alter_table('private_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_private_values_organization_id'))

    op.drop_table('private_values')
    op.drop_table('organization_aid')
    op.drop_index('ix_statistics_counters_active', table_name='statistics_counters')
    op.drop_table('statistics_counters')
