"""user signature: how the parent signs off emails and letters

Revision ID: 6da0c56c49da
Revises: 5e1c0a7d9b21
Create Date: 2026-12-03

Optional, a few lines, at most 1000 characters (checked when it is saved).
"""
from alembic import op
import sqlalchemy as sa

revision = '6da0c56c49da'
down_revision = '5e1c0a7d9b21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.String(length=1000), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('signature')
