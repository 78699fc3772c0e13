"""Drop the event table's index on instance_id alone: the unique (instance_id, seq) serves every lookup by
case, and each recorded event wrote a page of the redundant one

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_event_instance_id", table_name="event")


def downgrade() -> None:
    op.create_index("ix_event_instance_id", "event", ["instance_id"])
