"""form versions pinned by each process version

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("definition") as batch:
        batch.add_column(sa.Column("form_versions", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("form_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("form_version")
    with op.batch_alter_table("definition") as batch:
        batch.drop_column("form_versions")
