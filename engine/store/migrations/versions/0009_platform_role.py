"""The 12345 hotline's account takes the platform role: it starts complaints but holds no task of
the county NDRC and sees no other case of it; it signs in with a token only

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

users = sa.table("user_account", sa.column("username", sa.String), sa.column("roles", sa.JSON),
                 sa.column("password_hash", sa.String))


def upgrade() -> None:
    op.execute(users.update().where(users.c.username == "hotline_12345")
               .values(roles=["platform"], password_hash=None))


def downgrade() -> None:
    op.execute(users.update().where(users.c.username == "hotline_12345").values(roles=["handler"]))
