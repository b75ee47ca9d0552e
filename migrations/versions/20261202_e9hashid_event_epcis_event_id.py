"""events.epcis_event_id: the EPCIS eventID an event was captured with, when it is not our urn:uuid

Captured events keep their partner's eventID (or, without one, the CBV 2.0 event hash ID the
record id is derived from) so exports carry it back.

Revision ID: e9hashid
Revises: v9tmpl
Create Date: 2026-12-02 03:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e9hashid"
down_revision = "v9tmpl"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("epcis_event_id", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("epcis_event_id")
