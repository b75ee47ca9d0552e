"""unit labels and consumer feedback: label_runs, unit_codes (serials with scan counts), feedback

Revision ID: u4labels
Revises: c5lineage
Create Date: 2026-11-29 19:37:47.136942

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'u4labels'
down_revision = 'c5lineage'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('label_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('count > 0', name=op.f('ck_label_runs_count_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_label_runs_batch_id_batches')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_label_runs_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_runs'))
    )
    with op.batch_alter_table('label_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_runs_batch_id'), ['batch_id'], unique=False)

    op.create_table('unit_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scan_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_unit_codes_batch_id_batches')),
    sa.ForeignKeyConstraint(['run_id'], ['label_runs.id'], name=op.f('fk_unit_codes_run_id_label_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_codes')),
    sa.UniqueConstraint('serial', name=op.f('uq_unit_codes_serial'))
    )
    with op.batch_alter_table('unit_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_codes_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_codes_run_id'), ['run_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('unit_code_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('text', sa.String(length=1000), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('complaint', 'rating')", name=op.f('ck_feedback_kind_known')),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_feedback_rating_range')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_feedback_batch_id_batches')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feedback_organization_id_organizations')),
    sa.ForeignKeyConstraint(['unit_code_id'], ['unit_codes.id'], name=op.f('fk_feedback_unit_code_id_unit_codes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('nonce', name=op.f('uq_feedback_nonce'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_unit_code_id'), ['unit_code_id'], unique=False)



def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_unit_code_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_organization_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_created_at'))
        batch_op.drop_index(batch_op.f('ix_feedback_batch_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('unit_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_codes_run_id'))
        batch_op.drop_index(batch_op.f('ix_unit_codes_batch_id'))

    op.drop_table('unit_codes')
    with op.batch_alter_table('label_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_runs_batch_id'))

    op.drop_table('label_runs')
