"""DMN decision tables: their versions, and the versions each process version evaluates

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_definition",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("decision_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(), nullable=False),
        sa.Column("deployed_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("decision_key", "version"),
    )
    op.create_index("ix_decision_definition_decision_key", "decision_definition", ["decision_key"])
    with op.batch_alter_table("definition") as batch:
        batch.add_column(sa.Column("decision_versions", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("definition") as batch:
        batch.drop_column("decision_versions")
    op.drop_index("ix_decision_definition_decision_key", table_name="decision_definition")
    op.drop_table("decision_definition")
