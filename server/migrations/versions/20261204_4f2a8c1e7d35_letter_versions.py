"""letter versions: each follow-up letter is saved as versions, like the minutes

Revision ID: 4f2a8c1e7d35
Revises: 9c4d2e6f8a10
Create Date: 2026-12-04

A letter was drafted afresh on every visit, so the parent's edits lived only in the
form until sent. Each save (and each send) is now a version of its own.
"""
from alembic import op
import sqlalchemy as sa

revision = '4f2a8c1e7d35'
down_revision = '9c4d2e6f8a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.String(length=32), nullable=False),
    sa.Column('letter_id', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_letter_version_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_letter_version_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_version')),
    sa.UniqueConstraint('meeting_id', 'letter_id', 'version', name=op.f('uq_letter_version_meeting_id_letter_id_version'))
    )
    with op.batch_alter_table('letter_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_version_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('letter_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_version_meeting_id'))
    op.drop_table('letter_version')
