"""Who has read which notification (a unit's notifications are read by each of its people), and the partial
index a person's list of completed steps (已办) reads, newest first

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COMPLETED = sa.text("kind = 'task_completed'")


def upgrade() -> None:
    op.create_table(
        "notification_read",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("notification_id", sa.Integer(), sa.ForeignKey("notification.id"), primary_key=True),
        sa.Column("read_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_event_completed_by", "event", ["actor", "at"], sqlite_where=COMPLETED,
                    postgresql_where=COMPLETED)


def downgrade() -> None:
    op.drop_index("ix_event_completed_by", table_name="event")
    op.drop_table("notification_read")
