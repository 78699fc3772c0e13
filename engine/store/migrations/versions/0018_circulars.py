"""Circulars (通报) a region issues to its own units: the 0137 mechanism's 全市通报 of a unit that shirked or
delayed (L§12(六)), numbered per region and year like the typical-case notices, read by the region's units

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circular",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("issuer", sa.String(64), nullable=False),
        sa.Column("instance_id", sa.String(32), sa.ForeignKey("instance.id"), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("region", "year", "number"),
    )
    op.create_index("ix_circular_region_published", "circular", ["region", "published_at"])
    op.create_index("ix_circular_instance_id", "circular", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_circular_instance_id", "circular")
    op.drop_index("ix_circular_region_published", "circular")
    op.drop_table("circular")
