"""case parties, file use, API tokens

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_party",
        sa.Column("instance_id", sa.String(length=32), sa.ForeignKey("instance.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "kind", "code"),
    )
    op.create_index("ix_instance_party_code", "instance_party", ["kind", "code"])
    op.create_table(
        "file_use",
        sa.Column("file_id", sa.String(length=32), sa.ForeignKey("stored_file.id"), nullable=False),
        sa.Column("instance_id", sa.String(length=32), sa.ForeignKey("instance.id"), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=True),
        sa.Column("used_at", engine.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("file_id", "instance_id"),
    )
    op.create_index("ix_file_use_instance_id", "file_use", ["instance_id"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", engine.store.models.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", engine.store.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])


def downgrade() -> None:
    op.drop_table("api_token")
    op.drop_table("file_use")
    op.drop_table("instance_party")
