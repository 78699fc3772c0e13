"""Organisations carry their function in the region (the NDRC of a region is found by it) and a region's
number prefix (archive numbers LF-…, XY-…)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("function", sa.String(32), nullable=True))
        batch.add_column(sa.Column("number_prefix", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("number_prefix")
        batch.drop_column("function")
