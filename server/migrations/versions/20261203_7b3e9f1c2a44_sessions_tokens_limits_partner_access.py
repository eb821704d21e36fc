"""sessions that end, tokens that expire, a shared login limiter, partner access that ends

Revision ID: 7b3e9f1c2a44
Revises: 6da0c56c49da
Create Date: 2026-12-03

- user.session_version: bumped by "sign out everywhere" and a password change;
  a session cookie carries the version it was made with and stops working when
  it differs.
- api_token.expires_at: optional expiry (NULL = until revoked).
- login_attempt: failed sign-ins and join-code tries by key (an email or an
  address), so limiting survives restarts and holds across processes.
- meeting_member.expires_at / grants: when a partner's access ends (with the
  meeting, the code or a set time), and what more the parent granted
  explicitly for that meeting (a comma-separated list; NULL = note-taking only).
- meeting.recordings_deleted: when a recording was deleted by the parent (its
  start on the timeline and when), so the minutes can say so.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '7b3e9f1c2a44'
down_revision = '6da0c56c49da'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_attempt_key_at', 'login_attempt', ['key', 'at'])
    with op.batch_alter_table('meeting_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('grants', sa.String(length=200), nullable=True))
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'recordings_deleted', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
            nullable=True))


def downgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('recordings_deleted')
    with op.batch_alter_table('meeting_member', schema=None) as batch_op:
        batch_op.drop_column('grants')
        batch_op.drop_column('expires_at')
    op.drop_index('ix_login_attempt_key_at', table_name='login_attempt')
    op.drop_table('login_attempt')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
