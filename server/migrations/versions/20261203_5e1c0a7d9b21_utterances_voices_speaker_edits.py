"""utterances, voice blocks and speaker edits (one attribution, stored once)

Revision ID: 5e1c0a7d9b21
Revises: b3ad70207e11
Create Date: 2026-12-03

A parent's speaker edits used to live on transcript segments; they become
time spans (speaker_edit) so they survive re-transcription and re-cutting.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '5e1c0a7d9b21'
down_revision = 'b3ad70207e11'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attribution_key', sa.String(length=64), nullable=True))

    op.create_table(
        'voice_block',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.String(length=32), nullable=False),
        sa.Column('recording_id', sa.String(length=36), nullable=False),
        sa.Column('start_ms', sa.BigInteger(), nullable=False),
        sa.Column('end_ms', sa.BigInteger(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recording_id'], ['recording.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('recording_id', 'start_ms'),
    )
    op.create_index('ix_voice_block_meeting_id', 'voice_block', ['meeting_id'])
    op.create_index('ix_voice_block_recording_id', 'voice_block', ['recording_id'])

    speaker_edit = op.create_table(
        'speaker_edit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.String(length=32), nullable=False),
        sa.Column('start_ms', sa.BigInteger(), nullable=False),
        sa.Column('end_ms', sa.BigInteger(), nullable=False),
        sa.Column('attendee_id', sa.String(length=36), nullable=True),
        sa.Column('label', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_speaker_edit_meeting_id', 'speaker_edit', ['meeting_id'])

    op.create_table(
        'utterance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('start_ms', sa.BigInteger(), nullable=False),
        sa.Column('end_ms', sa.BigInteger(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('words', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('speaker_id', sa.String(length=36), nullable=True),
        sa.Column('label', sa.String(length=120), nullable=True),
        sa.Column('how', sa.String(length=10), nullable=False),
        sa.Column('confidence', sa.Float(), nullable=True),
        sa.Column('voice', sa.Integer(), nullable=True),
        sa.Column('agenda_item_id', sa.String(length=36), nullable=True),
        sa.Column('check_speaker_id', sa.String(length=36), nullable=True),
        sa.Column('unsure', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('meeting_id', 'seq'),
    )
    op.create_index('ix_utterance_meeting_id', 'utterance', ['meeting_id'])

    # the parent's edits on segments become spans
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT meeting_id, start_ms, end_ms, speaker_id, speaker_label FROM transcript_segment "
        "WHERE speaker_id IS NOT NULL OR speaker_label IS NOT NULL"
    )).fetchall()
    if rows:
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        op.bulk_insert(speaker_edit, [
            {"meeting_id": r[0], "start_ms": r[1], "end_ms": r[2], "attendee_id": r[3], "label": r[4],
             "created_at": now}
            for r in rows
        ])
    with op.batch_alter_table('transcript_segment', schema=None) as batch_op:
        batch_op.drop_column('speaker_id')
        batch_op.drop_column('speaker_label')
        batch_op.drop_column('agenda_item_id')


def downgrade():
    with op.batch_alter_table('transcript_segment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('speaker_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('speaker_label', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('agenda_item_id', sa.String(length=36), nullable=True))
    op.drop_index('ix_utterance_meeting_id', table_name='utterance')
    op.drop_table('utterance')
    op.drop_index('ix_speaker_edit_meeting_id', table_name='speaker_edit')
    op.drop_table('speaker_edit')
    op.drop_index('ix_voice_block_recording_id', table_name='voice_block')
    op.drop_index('ix_voice_block_meeting_id', table_name='voice_block')
    op.drop_table('voice_block')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('attribution_key')
