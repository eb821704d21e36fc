"""Audio on disk: recordings declared by phones and their chunks, stored durably and atomically.

A chunk is written to a temporary file in its recording's folder, flushed to
disk, renamed into place and the folder flushed; only then is its Chunk row
added. A crash before the row is committed leaves at most a stray file that
the next upload of the same (recording, seq) replaces, so a torn chunk is
never counted as present.
"""
import hashlib
import os
import re
import tempfile
import uuid
from pathlib import Path

from flask import current_app

from .db import db
from .db import now_utc
from .errors import APIError
from .models import Chunk
from .models import Recording

# what MediaRecorder and voice-memo apps produce; parameters (codecs=…) are allowed
MIME_TYPES = {
    "audio/webm", "audio/mp4", "audio/ogg", "audio/mpeg", "audio/wav", "audio/x-wav", "audio/aac",
    "audio/x-m4a", "audio/m4a", "audio/flac", "video/webm", "video/mp4",
}
MIME_RE = re.compile(r"^[a-z]+/[a-z0-9.+-]+(\s*;\s*[a-z0-9-]+=[a-z0-9.,\"' +-]+)*$", re.IGNORECASE)
MAX_SEQ = 100_000


def base_mime(mime):
    return (mime or "").split(";")[0].strip().lower()


def check_mime(mime):
    """Return the mime type if it is an audio type we store, else raise a 415."""
    if not isinstance(mime, str) or len(mime) > 100 or not MIME_RE.match(mime) or base_mime(mime) not in MIME_TYPES:
        raise APIError(415, "unsupported_media_type", "Send audio: webm, mp4/m4a, ogg, mp3, wav, aac or flac.")
    return mime


def check_recording_id(recording_id):
    try:
        return str(uuid.UUID(recording_id))
    except ValueError:
        raise APIError(404, "not_found", "A recording id is a UUID made on the device.") from None


def recording_dir(recording):
    return Path(current_app.config["AUDIO_DIR"]) / recording.meeting_id / recording.id


def declare(meeting, recording_id, data, device_id=None):
    """Create the recording (idempotent by id); return (recording, created)."""
    recording_id = check_recording_id(recording_id)
    existing = db.session.get(Recording, recording_id)
    if existing is not None:
        if existing.meeting_id != meeting.id:
            raise APIError(409, "conflict", "That recording id belongs to another meeting.")
        return existing, False
    mime = check_mime(data.get("mime"))
    at_ms = data.get("at_ms", 0)
    if isinstance(at_ms, bool) or not isinstance(at_ms, int) or not 0 <= at_ms <= 24 * 3600 * 1000:
        raise APIError(422, "invalid", "'at_ms' must be milliseconds since the meeting started.", {"at_ms": "out of range"})
    device = data.get("device_id") or device_id
    recording = Recording(
        id=recording_id, meeting_id=meeting.id, mime=mime, at_ms=at_ms,
        device_id=str(device)[:64] if device else None,
    )
    db.session.add(recording)
    return recording, True


def get_recording(meeting, recording_id):
    recording = db.session.get(Recording, check_recording_id(recording_id))
    if recording is None or recording.meeting_id != meeting.id:
        raise APIError(404, "not_found", "No such recording in this meeting. Declare it first with PUT.")
    return recording


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_chunk(recording, seq, data, content_type, declared_sha=None):
    """Store one chunk durably; return (chunk, created). Raises APIError for bad input."""
    if not 0 <= seq <= MAX_SEQ:
        raise APIError(404, "not_found", "Chunk numbers run from 0.")
    if recording.status == "finished":
        raise APIError(409, "conflict", "This recording is finished; start a new one.")
    if base_mime(content_type) != base_mime(recording.mime):
        raise APIError(415, "unsupported_media_type", f"This recording's chunks are {base_mime(recording.mime)}.")
    if not data:
        raise APIError(400, "empty", "The chunk is empty.")
    if len(data) > current_app.config["MAX_CHUNK_BYTES"]:
        raise APIError(413, "too_large", "That chunk is too big.")
    digest = hashlib.sha256(data).hexdigest()
    if declared_sha is not None and declared_sha.lower() != digest:
        raise APIError(400, "checksum_mismatch", "The chunk arrived damaged (checksum mismatch); send it again.")
    existing = db.session.execute(
        db.select(Chunk).where(Chunk.recording_id == recording.id, Chunk.seq == seq)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.sha256 != digest:
            raise APIError(409, "conflict", f"Chunk {seq} is already stored with different bytes.")
        return existing, False
    folder = recording_dir(recording)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{seq:06d}.chunk"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{seq:06d}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(folder)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    chunk = Chunk(recording_id=recording.id, seq=seq, size=len(data), sha256=digest, path=str(final))
    db.session.add(chunk)
    return chunk, True


def finish(recording, expected=None):
    """Mark the recording finished; return the sequence numbers still missing."""
    have = {c.seq for c in recording.chunks}
    count = expected if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0 else None
    top = count if count is not None else (max(have) + 1 if have else 0)
    missing = sorted(set(range(top)) - have)
    if not missing and recording.status != "finished":
        recording.status = "finished"
        recording.finished_at = now_utc()
    return missing


def chunk_paths(recording):
    """Return the stored chunk files in order (what the transcriber joins)."""
    return [Path(c.path) for c in sorted(recording.chunks, key=lambda c: c.seq)]


def purge(meeting_ids):
    """Remove the audio files (chunks, uploads, cached joins) of deleted meetings; call after the commit."""
    import shutil

    data = Path(current_app.config["DATA_DIR"])
    for meeting_id in meeting_ids:
        for folder in (Path(current_app.config["AUDIO_DIR"]) / meeting_id, data / "cache" / "audio" / meeting_id):
            shutil.rmtree(folder, ignore_errors=True)


def recording_dict(recording):
    return {
        "id": recording.id,
        "mime": recording.mime,
        "at_ms": recording.at_ms,
        "device_id": recording.device_id,
        "status": recording.status,
        "chunks": sorted(c.seq for c in recording.chunks),
    }
