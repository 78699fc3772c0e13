"""Indexes for the write path and the tick: the event table's index on instance_id alone goes (the unique
(instance_id, seq) serves every lookup by case, and each recorded event wrote a page of the redundant one);
the timer table's due_at index becomes (kind, due_at), so a tick reads deadlines, then reminders, in due
order from the index instead of sorting every due timer for each batch

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
    op.drop_index("ix_timer_due_at", table_name="timer")
    op.create_index("ix_timer_kind_due", "timer", ["kind", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_timer_kind_due", table_name="timer")
    op.create_index("ix_timer_due_at", "timer", ["due_at"])
    op.create_index("ix_event_instance_id", "event", ["instance_id"])
