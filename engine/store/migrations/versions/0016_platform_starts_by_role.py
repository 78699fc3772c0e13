"""A platform account starts only the processes its roles name: the 12345 hotline's account names `complaint`

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

users = sa.table("user_account", sa.column("username", sa.String), sa.column("roles", sa.JSON))


def upgrade() -> None:
    op.execute(users.update().where(users.c.username == "hotline_12345").values(roles=["platform", "complaint"]))


def downgrade() -> None:
    op.execute(users.update().where(users.c.username == "hotline_12345").values(roles=["platform"]))
