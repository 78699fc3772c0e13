"""schedule: the cycle each row was computed from, its start event and failed starts; task list indexes
that let a unit's page and count read an index only

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_event', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('cycle', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_org_due')
        batch_op.create_index('ix_human_task_org_due', ['organisation', 'due_at', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_human_task_org_filters',
                              ['organisation', 'process_id', 'group_name', 'assignee', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_org_filters')
        batch_op.drop_index('ix_human_task_org_due')
        batch_op.create_index('ix_human_task_org_due', ['organisation', 'due_at'], unique=False)
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('cycle')
        batch_op.drop_column('start_event')
