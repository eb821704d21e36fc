"""admins and invites: an admin invites families with a link that makes one account

Revision ID: a3e8d41c6b97
Revises: 4f2a8c1e7d35
Create Date: 2026-12-05

- user.is_admin: may invite families and see the list of accounts (/admin/families).
  The earliest account that is not a partner's guest account becomes one, so an
  installation that already has a family keeps someone who can invite more.
- invite: a link for one new account (only its token's SHA-256 is kept), optionally
  for one email address, until it expires, is used once, or is revoked.
"""
from alembic import op
import sqlalchemy as sa

revision = 'a3e8d41c6b97'
down_revision = '4f2a8c1e7d35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('note', sa.String(length=120), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('used_by', sa.String(length=32), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_invite_created_by_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['used_by'], ['user.id'], name=op.f('fk_invite_used_by_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invite')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invite_token_hash'))
    )
    # the first family (the account made at setup, or with `minuted user add`) runs the installation
    user = sa.table('user', sa.column('id', sa.String), sa.column('guest', sa.Boolean),
                    sa.column('created_at', sa.DateTime), sa.column('is_admin', sa.Boolean))
    bind = op.get_bind()
    first = bind.execute(
        sa.select(user.c.id).where(user.c.guest == sa.false()).order_by(user.c.created_at, user.c.id).limit(1)
    ).scalar()
    if first is not None:
        bind.execute(user.update().where(user.c.id == first).values(is_admin=True))


def downgrade():
    op.drop_table('invite')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('is_admin')
