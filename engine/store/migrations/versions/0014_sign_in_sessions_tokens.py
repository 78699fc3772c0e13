"""sign-in hardening: session epochs and disabled users, token expiry and revocation, sign-in throttling

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("disabled_at", engine.store.models.UTCDateTime(), nullable=True))
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", engine.store.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_at", engine.store.models.UTCDateTime(), nullable=True))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", engine.store.models.UTCDateTime(), nullable=False),
        sa.Column("locked_until", engine.store.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_throttle_window_start", "login_throttle", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_window_start", table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("session_epoch")
