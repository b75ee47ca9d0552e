"""township register: townships and villages by official division code; organizations placed in them

Revision ID: s1towns
Revises: c3certs
Create Date: 2026-12-02 09:38:47.297603

Organizations keep their free-text township and village names (shown on pages and labels); placing
one in the register fills ``township_code`` (and ``village_code``) and takes the names from it.
``organization_townships`` keeps each placement with its time, for statistics by township.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 's1towns'
down_revision = 'c3certs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('townships',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_townships'))
    )
    op.create_table('villages',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_code'], ['townships.code'], name=op.f('fk_villages_township_code_townships')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_villages'))
    )
    op.create_index(op.f('ix_villages_township_code'), 'villages', ['township_code'], unique=False)
    op.create_table('organization_townships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('township_code', sa.String(length=12), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_townships_organization_id_organizations')),
    sa.ForeignKeyConstraint(['township_code'], ['townships.code'], name=op.f('fk_organization_townships_township_code_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_townships'))
    )
    op.create_index('ix_organization_townships_organization_since', 'organization_townships',
                    ['organization_id', 'since'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        # Adding a column with REFERENCES needs no table copy; a copy of organizations (batch mode)
        # cannot drop the old table while users, batches and events point at it.
        for column, target in (("township_code", "townships"), ("village_code", "villages")):
            op.execute(f"ALTER TABLE organizations ADD COLUMN {column} VARCHAR(12) "
                       f"CONSTRAINT fk_organizations_{column}_{target} REFERENCES {target} (code)")
    else:
        op.add_column('organizations', sa.Column('township_code', sa.String(length=12), nullable=True))
        op.add_column('organizations', sa.Column('village_code', sa.String(length=12), nullable=True))
        op.create_foreign_key(op.f('fk_organizations_village_code_villages'), 'organizations', 'villages',
                              ['village_code'], ['code'])
        op.create_foreign_key(op.f('fk_organizations_township_code_townships'), 'organizations', 'townships',
                              ['township_code'], ['code'])
    op.create_index(op.f('ix_organizations_township_code'), 'organizations', ['township_code'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_organizations_township_code'), table_name='organizations')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column with a column-level REFERENCES in place.
        op.execute("ALTER TABLE organizations DROP COLUMN village_code")
        op.execute("ALTER TABLE organizations DROP COLUMN township_code")
    else:
        op.drop_constraint(op.f('fk_organizations_township_code_townships'), 'organizations', type_='foreignkey')
        op.drop_constraint(op.f('fk_organizations_village_code_villages'), 'organizations', type_='foreignkey')
        op.drop_column('organizations', 'village_code')
        op.drop_column('organizations', 'township_code')
    op.drop_index('ix_organization_townships_organization_since', table_name='organization_townships')
    op.drop_table('organization_townships')
    op.drop_index(op.f('ix_villages_township_code'), table_name='villages')
    op.drop_table('villages')
    op.drop_table('townships')
