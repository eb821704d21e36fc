"""Transcripts: uploads, the transcript a parent reads, speaker edits and exports (plain functions).

Who said what is :mod:`server.attribution`: the transcript's words grouped
into utterances with one speaker each, worked out once from the words, taps,
voices and the parent's edits, and read here, by the review page, the
suggestions, the minutes and every export.
"""
import functools
import hashlib
import json
import os
import tempfile
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from . import attribution
from . import audio_store
from . import jobs
from .db import db
from .db import savepoint
from .db import now_utc
from .errors import APIError
from .models import Chunk
from .models import Recording
from .models import TranscriptionJob

DATA = Path(__file__).resolve().parent / "data"
EXPORTS = {"txt": "text/plain", "vtt": "text/vtt", "srt": "application/x-subrip", "json": "application/json"}
# what a phone's voice-memo app or a browser may call an audio file, by extension
UPLOAD_TYPES = {
    ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".aac": "audio/aac", ".mp3": "audio/mpeg", ".wav": "audio/wav",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".webm": "audio/webm", ".flac": "audio/flac",
}


@functools.cache
def glossary_terms():
    """Return the SEN glossary's terms (server/data/glossary.json)."""
    with open(DATA / "glossary.json", encoding="utf-8") as f:
        return [t["term"] for t in json.load(f)["terms"]]


# --- uploads ------------------------------------------------------------


def _upload_mime(file):
    """Return the mime type to store for an uploaded file, from its type or its extension; else 415."""
    declared = audio_store.base_mime(file.mimetype)
    if declared in audio_store.MIME_TYPES:
        return declared
    ext = os.path.splitext(file.filename or "")[1].lower()
    if ext in UPLOAD_TYPES and declared in ("", "application/octet-stream", "binary/octet-stream"):
        return UPLOAD_TYPES[ext]
    raise APIError(415, "unsupported_media_type",
                   "Upload an audio file: m4a/AAC, mp3, wav, ogg, webm, mp4 or flac.")


def _probe(path):
    """Check that the file holds decodable audio; raise a 4xx APIError saying why not."""
    from transcribe.audio import AudioDecodeError
    from transcribe.audio import iter_decode

    if os.path.getsize(path) == 0:
        raise APIError(400, "empty", "The file is empty.")
    decoded = 0
    try:
        for piece in iter_decode(path):
            decoded += piece.size
            if decoded >= 16000:  # a second of audio is proof enough; the job reads the rest
                break
    except AudioDecodeError as e:
        status = 415 if "not recognised" in e.reason or "no audio" in e.reason else 422
        raise APIError(status, "unsupported_media_type" if status == 415 else "invalid",
                       f"The recording could not be read as audio: {e.reason}.") from None


UPLOAD_KEYS = uuid.UUID("5c0b5c2e-53d4-4a53-9d5e-6d8f6a0e7d21")  # namespace of the ids made from client keys


def upload_id(meeting, user, key):
    """Return the recording id an upload with this client key gets (a fresh one without a key).

    The id is made from the account, the meeting and the key, so the same upload sent
    again (a retry after a lost answer, or twice at once) names the same recording and
    its primary key lets only one of them in.
    """
    if key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(UPLOAD_KEYS, f"{user.id}/{meeting.id}/{key}"))


def store_upload(meeting, file, at_ms=0, recording_id=None):
    """Store an uploaded recording as a finished Recording with one chunk (probed first); commit.

    Return (recording, created). Nothing is stored when the file is not audio. With a
    recording_id from upload_id(), an upload already stored under that id is returned
    (created False) and nothing new is stored; the same key with a different file is a 409.
    """
    mime = _upload_mime(file)
    recording = Recording(
        id=recording_id or str(uuid.uuid4()), meeting_id=meeting.id, mime=mime, at_ms=at_ms, source="upload",
        filename=(os.path.basename(file.filename or "") or None) and os.path.basename(file.filename)[:255],
        status="finished", finished_at=now_utc(),
    )
    folder = audio_store.temp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while block := file.stream.read(1 << 20):
                digest.update(block)
                size += len(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if recording_id is not None and (stored := _stored_upload(meeting, recording_id)) is not None:
            return _same_upload(stored, digest.hexdigest()), False
        _probe(tmp)
        key = audio_store.chunk_key(recording, 0)
        try:
            # the rows first, in a savepoint: the recording's primary key picks one of racing
            # uploads with the same client key, and only that one hands its file to the store
            with savepoint():
                db.session.add(recording)
                db.session.add(Chunk(recording_id=recording.id, seq=0, size=size, sha256=digest.hexdigest(),
                                     key=key))
        except IntegrityError:
            db.session.rollback()
            stored = _stored_upload(meeting, recording.id) if recording_id is not None else None
            if stored is None:
                raise
            return _same_upload(stored, digest.hexdigest()), False
        try:
            audio_store.store().put(key, tmp)  # the file in place (or its parts inserted) before the commit
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return recording, True


def _stored_upload(meeting, recording_id):
    """Return the upload stored under recording_id, or None; a 409 for an id another meeting holds."""
    stored = db.session.execute(
        db.select(Recording).where(Recording.id == recording_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if stored is not None and (stored.meeting_id != meeting.id or stored.source != "upload"):
        raise APIError(409, "conflict", "That Idempotency-Key was used for something else.")
    return stored


def _same_upload(stored, sha256):
    """Return the stored upload if it holds these bytes; else a 409 (the key was used for another file)."""
    if {c.sha256 for c in stored.chunks} != {sha256}:
        raise APIError(409, "conflict", "That Idempotency-Key was used for a different file; send a new key.")
    return stored


# --- reading ------------------------------------------------------------


short_role = attribution.short_role
speaker_names = attribution.speaker_names


def segment_rows(meeting):
    """Return the meeting's utterances in time order: the one attribution (server/attribution.py).

    Returns:
        A list of dicts: id, start_ms, end_ms, text, speaker, speaker_name,
        agenda_item, how, confidence, voice, check, unsure, words.
    """
    return attribution.rows(meeting)


def job_dict(job):
    """Return a job row as the API shows it."""
    return {
        "id": job.id,
        "recording_id": job.recording_id,
        "status": _shown_status(job),
        "progress": round(job.progress or 0.0, 4),
        "processed_ms": job.processed_ms or 0,
        "total_ms": job.total_ms,
        "attempts": job.attempts,
        "error": job.error,
    }


def _shown_status(job):
    # Between chunks of a recording still in progress the job has caught up,
    # but the transcript is not done: say it is running.
    if job.status == "done" and job.recording_id:
        recording = db.session.get(Recording, job.recording_id)
        if recording is not None and recording.status != "finished":
            return "running"
    return job.status


def meeting_jobs(meeting):
    return db.session.execute(
        db.select(TranscriptionJob).where(TranscriptionJob.meeting_id == meeting.id)
        .order_by(TranscriptionJob.created_at)
    ).scalars().all()


def transcript(meeting, words=False):
    """Return the transcript in the API's shape: status, progress, segments (and the jobs behind them).

    Args:
        words: Keep each segment's word timings (the transcript page marks unsure words with them).
    """
    jobs_ = [job_dict(j) for j in meeting_jobs(meeting)]
    statuses = {j["status"] for j in jobs_}
    status = next((s for s in ("failed", "running", "queued") if s in statuses), "done")
    processed = sum(j["processed_ms"] for j in jobs_)
    total = sum(j["total_ms"] or 0 for j in jobs_)
    if status == "done":
        progress = 1.0
    else:
        progress = round(min(processed / total, 0.999), 4) if total else 0.0
    errors = [j["error"] for j in jobs_ if j["status"] == "failed" and j["error"]]
    segments = segment_rows(meeting)
    if not words:
        segments = [{k: v for k, v in s.items() if k != "words"} for s in segments]
    return {
        "status": status,
        "progress": progress,
        "processed_ms": processed,
        "total_ms": total,
        "error": errors[0] if errors else None,
        "jobs": jobs_,
        "segments": segments,
    }


# --- editing ------------------------------------------------------------


def edit_speaker(meeting, segment_id, data):
    """Rename or reassign the speaker of one utterance, or of all that speaker's (or voice's); commit."""
    return attribution.edit(meeting, segment_id, data)


def retry(meeting):
    """Retry the meeting's failed jobs (they resume where they stopped); return the transcript."""
    failed = [j for j in meeting_jobs(meeting) if j.status in ("failed", "queued")]
    if not failed:
        raise APIError(409, "conflict", "Nothing to retry: no transcription has failed.")
    for job in failed:
        jobs.retry(job)
    return transcript(meeting)


# --- exports ------------------------------------------------------------


def export(meeting, fmt):
    """Return the transcript as txt, vtt, srt or json text, with speaker names."""
    from transcribe import Segment
    from transcribe.formats import render

    segments = [
        Segment(r["start_ms"], r["end_ms"], r["text"], speaker=shown_name(r), agenda_item=r["agenda_item"])
        for r in segment_rows(meeting)
    ]
    return render(segments, fmt)


def shown_name(row):
    """The speaker as a person reads it: their name, "Voice 2 (not identified)" or "Speaker not identified"."""
    if row["speaker_name"]:
        return row["speaker_name"]
    return f"Voice {row['voice']} (not identified)" if row["voice"] else "Speaker not identified"


def upload_at_ms(value):
    """Parse the optional 'at_ms' form field (where the recording starts on the meeting timeline)."""
    if value in (None, ""):
        return 0
    try:
        at_ms = int(value)
    except (TypeError, ValueError):
        at_ms = -1
    if not 0 <= at_ms <= 24 * 3600 * 1000:
        raise APIError(422, "invalid", "'at_ms' must be milliseconds since the meeting started.",
                       {"at_ms": "out of range"})
    return at_ms


def max_upload_bytes():
    return current_app.config["MAX_CONTENT_LENGTH"]
