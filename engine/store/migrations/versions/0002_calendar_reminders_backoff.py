"""holiday calendar, settings, deadline basis, reminders, timer retry with backoff

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("loaded_at", engine.store.models.UTCDateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", engine.store.models.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("timer") as batch:
        batch.alter_column("id", type_=sa.String(length=64), existing_type=sa.String(length=36))
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="event"))
        batch.add_column(sa.Column("rule", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("rule_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("received_at", engine.store.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", engine.store.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("due_provisional", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("remind_at", engine.store.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reminded_at", engine.store.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        for column in ("reminded_at", "remind_at", "due_provisional"):
            batch.drop_column(column)
    with op.batch_alter_table("timer") as batch:
        for column in ("last_error", "next_attempt_at", "attempts", "provisional", "received_at",
                       "rule_days", "rule", "kind"):
            batch.drop_column(column)
        batch.alter_column("id", type_=sa.String(length=36), existing_type=sa.String(length=64))
    op.drop_table("setting")
    op.drop_table("calendar_day")
    op.drop_table("calendar_year")
