"""Pending uploads: files no case uses yet, linkable only by their uploader, limited per user and cleaned by age

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_upload",
        sa.Column("file_id", sa.String(length=32), sa.ForeignKey("stored_file.id"), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", engine.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("file_id"),
    )
    op.create_index("ix_pending_upload_uploaded_by", "pending_upload", ["uploaded_by"])
    op.create_index("ix_pending_upload_uploaded_at", "pending_upload", ["uploaded_at"])
    # Files stored before: those no case uses are their uploader's pending uploads.
    op.execute("INSERT INTO pending_upload (file_id, uploaded_by, uploaded_at) "
               "SELECT id, uploaded_by, uploaded_at FROM stored_file "
               "WHERE NOT EXISTS (SELECT 1 FROM file_use WHERE file_use.file_id = stored_file.id)")


def downgrade() -> None:
    op.drop_index("ix_pending_upload_uploaded_at", table_name="pending_upload")
    op.drop_index("ix_pending_upload_uploaded_by", table_name="pending_upload")
    op.drop_table("pending_upload")
