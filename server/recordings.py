"""Deleting one recording: its audio, its chunks, its transcript and everything drawn from it.

A parent may need to delete a recording (a late objection to it, the wrong
meeting). The rows go in one transaction (chunks, transcript segments, voice
blocks, utterances and the transcription job cascade from the recording); the
files go after the commit, so a crash leaves files without rows (removed by the
next purge), never rows without files. The meeting remembers that a recording
was deleted and when, so the minutes can say so; what was drawn from it
(points from the recording, quotes) is no longer there to draft from.
"""
from pathlib import Path

from flask import current_app

from . import audio_store
from .db import db
from .db import now_utc
from .errors import APIError
from .models import TranscriptionJob


def delete(meeting, recording):
    """Delete a recording and what came from it; the caller commits, then calls purge_files(result)."""
    running = db.session.execute(
        db.select(TranscriptionJob.id).where(TranscriptionJob.recording_id == recording.id,
                                             TranscriptionJob.status == "running")
    ).first()
    if running:
        raise APIError(409, "transcribing", "This recording is being transcribed; try again when it has finished.")
    record = {"at_ms": recording.at_ms or 0, "deleted_at": now_utc().isoformat().replace("+00:00", "Z")}
    meeting.recordings_deleted = [*(meeting.recordings_deleted or []), record]
    recording_id = recording.id
    db.session.delete(recording)
    db.session.flush()
    return {"prefix": f"{meeting.id}/{recording_id}", "recording_id": recording_id, "meeting_id": meeting.id}


def purge_files(deleted):
    """Remove a deleted recording's files (its chunks and uploads, and any joined copy for playback)."""
    audio_store.store().delete(deleted["prefix"])
    cache = Path(current_app.config["DATA_DIR"]) / "cache" / "audio" / deleted["meeting_id"]
    for joined in cache.glob(f"{deleted['recording_id']}-*"):
        joined.unlink(missing_ok=True)
