"""audio keys instead of absolute paths; audio in the database (a store every machine reaches)

Revision ID: 9c4d2e6f8a10
Revises: 7b3e9f1c2a44
Create Date: 2026-12-03

- chunk.path (an absolute path inside one machine's data directory) becomes
  chunk.key, relative to the audio store's root: "<meeting>/<recording>/<seq>.chunk",
  unique. Chunks were always stored as AUDIO_DIR/<meeting>/<recording>/<file>,
  so the key is a stored path's last three parts, whatever the folder was.
- audio_blob: a chunk's bytes in parts, when MINUTED_STORAGE=database; they go
  with their chunk (ON DELETE CASCADE).

Downgrading turns keys back into paths under this app's AUDIO_DIR and drops
audio_blob: audio kept in the database is lost, so copy it out first.
"""
from pathlib import PurePosixPath
from pathlib import PureWindowsPath

from alembic import op
import sqlalchemy as sa

revision = '9c4d2e6f8a10'
down_revision = '7b3e9f1c2a44'
branch_labels = None
depends_on = None

chunk = sa.table('chunk', sa.column('id', sa.Integer()), sa.column('path', sa.String()), sa.column('key', sa.String()))


def key_of(path):
    """Return the key of a stored chunk path: its last three parts (meeting, recording, file)."""
    parts = (PureWindowsPath(path) if '\\' in path else PurePosixPath(path)).parts
    return '/'.join(parts[-3:])


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('chunk', schema=None) as batch_op:
        batch_op.alter_column('path', new_column_name='key', existing_type=sa.String(length=500),
                              existing_nullable=False)
    rows = bind.execute(sa.select(chunk.c.id, chunk.c.key)).all()
    for chunk_id, path in rows:
        key = key_of(path)
        if key != path:
            bind.execute(chunk.update().where(chunk.c.id == chunk_id).values(key=key))
    with op.batch_alter_table('chunk', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_chunk_key'), ['key'])
    op.create_table(
        'audio_blob',
        sa.Column('key', sa.String(length=500), nullable=False),
        sa.Column('part', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['key'], ['chunk.key'], name=op.f('fk_audio_blob_key_chunk'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', 'part', name=op.f('pk_audio_blob')),
    )


def downgrade():
    from flask import current_app

    op.drop_table('audio_blob')
    with op.batch_alter_table('chunk', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_chunk_key'), type_='unique')
        batch_op.alter_column('key', new_column_name='path', existing_type=sa.String(length=500),
                              existing_nullable=False)
    root = PurePosixPath(current_app.config['AUDIO_DIR'])
    bind = op.get_bind()
    for chunk_id, key in bind.execute(sa.select(chunk.c.id, chunk.c.path)).all():
        if not key.startswith('/'):
            bind.execute(chunk.update().where(chunk.c.id == chunk_id).values(path=str(root / key)))
