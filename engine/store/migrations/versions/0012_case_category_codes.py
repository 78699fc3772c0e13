"""Case categories take the codes of DOMAIN.md everywhere (APPROVAL, ENTITY), as the 0137 clue register
already offered them: the archive had its own (APPROVAL_VIOLATION, ENTITY_VIOLATION)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

archive = sa.table("archive_entry", sa.column("category", sa.String))
RENAMED = {"APPROVAL_VIOLATION": "APPROVAL", "ENTITY_VIOLATION": "ENTITY"}


def upgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(archive.update().where(archive.c.category == old).values(category=new))


def downgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(archive.update().where(archive.c.category == new).values(category=old))
