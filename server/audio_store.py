"""Audio: recordings declared by phones and their chunks, stored durably and atomically, on any machine.

Where the bytes live is one small interface with two stores, chosen by the
``STORAGE`` setting (``MINUTED_STORAGE``):

- ``local`` (the default): files under AUDIO_DIR (DATA_DIR/audio). One machine,
  or several that share that folder.
- ``database``: the bytes in the database's ``audio_blob`` table, in parts, in
  the same transaction as their Chunk row. Every web server and worker that
  reaches the database reaches the audio: nothing else need be shared. A
  process that reads a chunk keeps a copy in its own DATA_DIR/cache/store.

A Chunk row holds a *key* relative to the store's root
(``<meeting>/<recording>/<seq>.chunk``), never an absolute path. Reading looks
in the configured store first and then the other, so audio stored before the
setting changed stays readable.

A chunk is written to a file of its own request in AUDIO_DIR/.tmp and flushed
to disk. Its Chunk row is then inserted in a savepoint: the unique
(recording, seq) constraint decides which of several racing requests stores
it. The winner hands its file to the store (the local store renames it into
place and flushes the folder; the database store inserts its parts) before
the row is committed, so a torn chunk is never counted as present; a loser
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
from .models import AudioBlob
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
STORES = ("local", "database")
COPY_MAX_AGE = 24 * 3600  # start-up drops the database store's local copies older than this
PART_BYTES = 1 << 20  # the database store's rows: an hour of Opus is ~15 parts, a phone's chunk one


# --- the stores -----------------------------------------------------------


def chunk_key(recording, seq):
    """Return the key of a recording's chunk: relative, the same in every store."""
    return f"{recording.meeting_id}/{recording.id}/{seq:06d}.chunk"


def _checked(key):
    """Return key if it is a relative key with no way out of the store's root, else raise ValueError."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") or "\\" in p for p in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStore:
    """Files under one folder (AUDIO_DIR): one machine, or several sharing that folder."""

    name = "local"

    def __init__(self, root, cache):
        self.root = Path(root)
        self.cache = Path(cache)  # copies of audio stored in the database before a switch back to files

    def put(self, key, tmp):
        """Move the flushed temp file into place under key, durably (before the row is committed)."""
        target = self.root / _checked(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def path(self, key, tag):
        """Return the file holding key's bytes (tag, the chunk's checksum, names copies of shared stores)."""
        target = self.root / _checked(key)
        if target.exists():
            return target
        # stored in the database before this machine switched back: read it from there
        return DatabaseStore.fetch(self.cache, key, tag) or target

    def delete(self, prefix):
        """Remove the files under prefix (a meeting's or a recording's); after the rows' commit."""
        shutil.rmtree(self.root / _checked(prefix), ignore_errors=True)
        self.release(prefix)

    def release(self, prefix):
        """Drop copies of prefix's audio read from the database (the files are the store)."""
        shutil.rmtree(self.cache / _checked(prefix), ignore_errors=True)

    def check(self):
        """Raise OSError unless the folder is there and writable."""
        if not self.root.is_dir() or not os.access(self.root, os.W_OK):
            raise OSError(f"the audio folder is not writable: {self.root}")


class DatabaseStore:
    """Audio in the database (audio_blob rows, in parts): every process that reaches the database reaches it.

    Readers get a file: the parts are copied once into ``cache`` (this machine's
    DATA_DIR/cache/store), named by key and checksum, so a copy is never stale.
    """

    name = "database"

    def __init__(self, cache, local_root):
        self.cache = Path(cache)
        self.local_root = Path(local_root)

    def put(self, key, tmp):
        """Insert the temp file's bytes as the key's parts, in the session's transaction; delete the file."""
        _checked(key)
        db.session.flush()  # the chunk row first: the parts reference its key
        with open(tmp, "rb") as f:
            part = 0
            while data := f.read(PART_BYTES):
                db.session.execute(db.insert(AudioBlob).values(key=key, part=part, data=data))
                part += 1
        Path(tmp).unlink(missing_ok=True)

    def path(self, key, tag):
        found = self.fetch(self.cache, key, tag)
        if found is not None:
            return found
        # stored as a file before this machine switched to the database store
        return self.local_root / _checked(key)

    @staticmethod
    def fetch(cache, key, tag):
        """Return a local copy of key's parts (made now, or earlier), or None when the database has none."""
        target = Path(cache) / f"{_checked(key)}.{tag}"
        if target.exists():
            return target
        count = db.session.execute(db.select(db.func.count()).where(AudioBlob.key == key)).scalar()
        if not count:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                for part in range(count):  # one part in memory at a time
                    out.write(db.session.execute(
                        db.select(AudioBlob.data).where(AudioBlob.key == key, AudioBlob.part == part)
                    ).scalar_one())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def delete(self, prefix):
        """Drop this machine's copies (the rows went with their chunks) and any older local files."""
        self.release(prefix)
        shutil.rmtree(self.local_root / _checked(prefix), ignore_errors=True)

    def release(self, prefix):
        """Drop this machine's copies of prefix's audio (the database still has it)."""
        shutil.rmtree(self.cache / _checked(prefix), ignore_errors=True)

    def check(self):
        """Raise unless the audio table answers."""
        db.session.execute(db.select(AudioBlob.key).limit(1)).all()


def make_store(config):
    """Return the store the STORAGE setting names."""
    kind = (config.get("STORAGE") or "local").strip().lower()
    cache = Path(config["DATA_DIR"]) / "cache" / "store"
    if kind == "local":
        return LocalStore(config["AUDIO_DIR"], cache)
    if kind == "database":
        return DatabaseStore(cache, config["AUDIO_DIR"])
    raise ValueError(f"MINUTED_STORAGE must be one of {', '.join(STORES)} (got {kind!r})")


def copy_files_to_database():
    """Copy audio kept as files under AUDIO_DIR into the database, chunk by chunk; return (copied, missing, damaged).

    Chunks that already have parts are left alone, so it can be run again; a
    file whose bytes differ from its chunk's checksum is not copied. The files
    stay (reads look in both stores); delete them once the database is backed up.
    """
    root = Path(current_app.config["AUDIO_DIR"])
    stored = db.select(AudioBlob.key).distinct()
    todo = db.session.execute(db.select(Chunk.key, Chunk.sha256).where(Chunk.key.not_in(stored))).all()
    db.session.rollback()
    copied = missing = damaged = 0
    for key, sha256 in todo:
        path = root / _checked(key)
        if not path.is_file():
            missing += 1
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(PART_BYTES):
                digest.update(block)
        if digest.hexdigest() != sha256:
            damaged += 1
            continue
        with open(path, "rb") as f:
            part = 0
            while data := f.read(PART_BYTES):
                db.session.execute(db.insert(AudioBlob).values(key=key, part=part, data=data))
                part += 1
        db.session.commit()
        copied += 1
    return copied, missing, damaged


def store():
    """Return this app's audio store."""
    return current_app.extensions["minuted.audio_store"]


def chunk_file(chunk):
    """Return a file on this machine holding the chunk's bytes."""
    return store().path(chunk.key, chunk.sha256[:16])


def key_of_path(path):
    """Return the key of a file in the local audio folder (ValueError for one outside it)."""
    root = Path(current_app.config["AUDIO_DIR"]).resolve()
    return _checked(Path(path).resolve().relative_to(root).as_posix())


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
    """Return the recording's folder in the local store."""
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
    now = time.time()
    # this module's temp folder, then what older versions and uploads leave beside chunks, cached joins
    # and the database store's copies; then the copies themselves that a killed worker (or an upload
    # that made way and finished elsewhere) left: a day old, no job is reading them any more
    for folder, pattern, age in ((audio / TEMP, "*", max_age), (audio, "*/*/.*.tmp", max_age),
                                 (data / "cache" / "audio", "*/*.tmp", max_age),
                                 (data / "cache" / "store", "*/*/.*.tmp", max_age),
                                 (data / "cache" / "store", "*/*/*.chunk.*", COPY_MAX_AGE)):
        for path in folder.glob(pattern):
            try:
                if path.is_file() and path.stat().st_mtime < now - age:
                    path.unlink()
            except OSError:
                pass  # gone already, or not ours to delete: the next start-up tries again


def init_app(app):
    """Make the app's audio store; sweep the temp files of processes that crashed (start-up)."""
    app.extensions["minuted.audio_store"] = make_store(app.config)
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
        key = chunk_key(recording, seq)
        chunk = Chunk(recording_id=recording.id, seq=seq, size=len(data), sha256=digest, key=key)
        tmp, placed = _write_temp(data), False
        try:
            # the row first, in a savepoint: the unique (recording, seq) picks one of racing requests,
            # and only that one hands its file to the store (before the row is committed)
            with savepoint():
                db.session.add(chunk)
            store().put(key, tmp)
            placed = True
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
    """Return the stored chunks in order as files on this machine (what the transcriber joins)."""
    return [chunk_file(c) for c in sorted(recording.chunks, key=lambda c: c.seq)]


def purge(meeting_ids):
    """Remove the audio (chunks, uploads, cached joins) of deleted meetings; call after the commit."""
    data = Path(current_app.config["DATA_DIR"])
    for meeting_id in meeting_ids:
        store().delete(meeting_id)
        shutil.rmtree(data / "cache" / "audio" / meeting_id, ignore_errors=True)


def recording_dict(recording):
    return {
        "id": recording.id,
        "mime": recording.mime,
        "at_ms": recording.at_ms,
        "device_id": recording.device_id,
        "status": recording.status,
        "chunks": sorted(c.seq for c in recording.chunks),
    }
