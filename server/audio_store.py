"""Audio on disk: recordings declared by phones and their chunks, stored durably and atomically.

A chunk is written to a file of its own request in AUDIO_DIR/.tmp and flushed
to disk. Its Chunk row is then inserted in a savepoint: the unique
(recording, seq) constraint decides which of several racing requests stores
it. The winner renames its file into place and flushes the folder before the
row is committed, so a torn chunk is never counted as present; a loser
compares checksums (the same bytes: success; different bytes: 409) and
deletes its file. A crash leaves at most a stray temp file, swept at start-up,
or a chunk file without a row that the next upload replaces.
"""
import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .db import db
from .db import savepoint
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
# a recording has chunks 0..MAX_SEQ: 100,001 chunks is over five days of the phone's 5-s slices
MAX_CHUNKS = MAX_SEQ + 1
MAX_MISSING = 1000  # finish lists at most this many missing chunks (and counts them all)
TEMP = ".tmp"  # AUDIO_DIR/.tmp: files being written, one per request
TEMP_MAX_AGE = 3600  # start-up sweeps temp files older than this; younger ones may be a sibling process's


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
    try:
        with savepoint():
            db.session.add(recording)
    except IntegrityError:
        # the phone's resend declared it first, while this request was in flight
        existing = db.session.get(Recording, recording_id)
        if existing is None:
            raise
        if existing.meeting_id != meeting.id:
            raise APIError(409, "conflict", "That recording id belongs to another meeting.") from None
        return existing, False
    return recording, True


def get_recording(meeting, recording_id):
    recording = db.session.get(Recording, check_recording_id(recording_id))
    if recording is None or recording.meeting_id != meeting.id:
        raise APIError(404, "not_found", "No such recording in this meeting. Declare it first with PUT.")
    return recording


def temp_dir():
    """Return the folder for files being written (on the audio's file system, so a rename is atomic)."""
    return Path(current_app.config["AUDIO_DIR"]) / TEMP


def _write_temp(data):
    """Write data to a new file of this request's own in the temp folder, flushed to disk; return its path."""
    folder = temp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def sweep_temp(config, max_age=TEMP_MAX_AGE):
    """Delete temp files a crashed process left; younger than max_age they may be a running sibling's."""
    audio, data = Path(config["AUDIO_DIR"]), Path(config["DATA_DIR"])
    cutoff = time.time() - max_age
    # this module's temp folder, then what older versions and uploads leave beside chunks and cached joins
    for folder, pattern in ((audio / TEMP, "*"), (audio, "*/*/.*.tmp"), (data / "cache" / "audio", "*/*.tmp")):
        for path in folder.glob(pattern):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass  # gone already, or not ours to delete: the next start-up tries again


def init_app(app):
    """Sweep the temp files of processes that crashed (start-up)."""
    sweep_temp(app.config)


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
    existing = _stored_chunk(recording, seq)
    if existing is None:
        folder = recording_dir(recording)
        final = folder / f"{seq:06d}.chunk"
        chunk = Chunk(recording_id=recording.id, seq=seq, size=len(data), sha256=digest, path=str(final))
        tmp, placed = _write_temp(data), False
        try:
            # the row first, in a savepoint: the unique (recording, seq) picks one of racing requests,
            # and only that one puts its file in place (before the row is committed)
            with savepoint():
                db.session.add(chunk)
            folder.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            placed = True
            _fsync_dir(folder)
            return chunk, True
        except IntegrityError:
            existing = _stored_chunk(recording, seq)  # the racing request's, now committed
            if existing is None:
                raise
        finally:
            if not placed:
                tmp.unlink(missing_ok=True)
    if existing.sha256 != digest:
        raise APIError(409, "conflict", f"Chunk {seq} is already stored with different bytes.")
    return existing, False


def _stored_chunk(recording, seq):
    return db.session.execute(
        db.select(Chunk).where(Chunk.recording_id == recording.id, Chunk.seq == seq)
    ).scalar_one_or_none()


def finish(recording, expected=None):
    """Mark the recording finished if no chunk is missing; return (the first MAX_MISSING missing, how many).

    expected is how many chunks the phone made (None: the chunks stored so far are all of them); a
    whole number from 0 to MAX_CHUNKS, else a 422. The work is bounded by the chunks stored.
    """
    if expected is not None and (
        isinstance(expected, bool) or not isinstance(expected, int) or not 0 <= expected <= MAX_CHUNKS
    ):
        raise APIError(422, "invalid", f"'chunks' must be a whole number from 0 to {MAX_CHUNKS}.",
                       {"chunks": "not a chunk count"})
    have = sorted({c.seq for c in recording.chunks})
    top = expected if expected is not None else (have[-1] + 1 if have else 0)
    missing, count, last = [], 0, -1
    for seq in [s for s in have if s < top] + [top]:
        gap = range(last + 1, seq)
        count += len(gap)
        missing.extend(gap[:MAX_MISSING - len(missing)])
        last = seq
    if not count and recording.status != "finished":
        recording.status = "finished"
        recording.finished_at = now_utc()
    return missing, count


def join_into(paths, target):
    """Write the files at paths, in order, as target: through a temp file of this request's own, renamed."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for path in paths:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def chunk_paths(recording):
    """Return the stored chunk files in order (what the transcriber joins)."""
    return [Path(c.path) for c in sorted(recording.chunks, key=lambda c: c.seq)]


def purge(meeting_ids):
    """Remove the audio files (chunks, uploads, cached joins) of deleted meetings; call after the commit."""
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
