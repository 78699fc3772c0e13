"""ledgers, notices, credit outbox, archive, schedules, subject key

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archive_counter',
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'year')
    )
    op.create_table('schedule',
    sa.Column('process_id', sa.String(length=200), nullable=False),
    sa.Column('next_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('last_instance_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('process_id')
    )
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_next_at'), ['next_at'], unique=False)

    op.create_table('archive_entry',
    sa.Column('archive_no', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('importance', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('source_unit', sa.String(length=64), nullable=True),
    sa.Column('source_instance', sa.String(length=32), nullable=True),
    sa.Column('case_date', sa.Date(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.String(length=32), nullable=False),
    sa.Column('registered_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('registered_by', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], ),
    sa.PrimaryKeyConstraint('archive_no'),
    sa.UniqueConstraint('instance_id')
    )
    with op.batch_alter_table('archive_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_entry_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_entry_source_instance'), ['source_instance'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_entry_year'), ['year'], unique=False)

    op.create_table('credit_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('instance_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('exported_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.Column('export_file', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('credit_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_record_exported_at'), ['exported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_record_instance_id'), ['instance_id'], unique=False)

    op.create_table('ledger_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ledger', sa.String(length=32), nullable=False),
    sa.Column('instance_id', sa.String(length=32), nullable=False),
    sa.Column('item_key', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('organisation', sa.String(length=64), nullable=True),
    sa.Column('person', sa.String(length=100), nullable=True),
    sa.Column('deadline', engine.store.models.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('opened_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('closed_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id', 'item_key')
    )
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_item_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_ledger_item_ledger_status', ['ledger', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_item_organisation'), ['organisation'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('cases', sa.JSON(), nullable=False),
    sa.Column('portal_text', sa.Text(), nullable=False),
    sa.Column('wechat_text', sa.Text(), nullable=False),
    sa.Column('instance_id', sa.String(length=32), nullable=False),
    sa.Column('published_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instance.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id'),
    sa.UniqueConstraint('year', 'number')
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_published_at'), ['published_at'], unique=False)

    with op.batch_alter_table('instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_key', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_instance_subject_key'), ['subject_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_subject_key'))
        batch_op.drop_column('subject_key')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_published_at'))

    op.drop_table('notice')
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_item_organisation'))
        batch_op.drop_index('ix_ledger_item_ledger_status')
        batch_op.drop_index(batch_op.f('ix_ledger_item_instance_id'))

    op.drop_table('ledger_item')
    with op.batch_alter_table('credit_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_record_instance_id'))
        batch_op.drop_index(batch_op.f('ix_credit_record_exported_at'))

    op.drop_table('credit_record')
    with op.batch_alter_table('archive_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_entry_year'))
        batch_op.drop_index(batch_op.f('ix_archive_entry_source_instance'))
        batch_op.drop_index(batch_op.f('ix_archive_entry_category'))

    op.drop_table('archive_entry')
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_next_at'))

    op.drop_table('schedule')
    op.drop_table('archive_counter')
