"""Audio storage: keys instead of paths, the local folder by default, the database as a store every machine reaches.

The last test is the one that matters for many machines: a web server and a
`minuted worker` with different data directories, sharing only PostgreSQL
and Redis URLs; the worker transcribes an upload and a streamed recording
while the web server's data directory is out of its reach.
"""
import hashlib
import io
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest

from conftest import Parent
from conftest import make_app
from test_postgres import postgres_url  # noqa: F401 - a fixture: a throwaway PostgreSQL server
from test_redis_queue import redis_url  # noqa: F401 - a fixture: a throwaway redis-server
from server import audio_store
from server.db import db
from server.models import AudioBlob
from server.models import Chunk
from server.models import Recording
from server.models import TranscriptionJob
from transcribe.audio import encode

AUDIO = Path(__file__).parent / "data" / "audio"


def noise_webm(seconds=3, seed=0):
    rng = np.random.default_rng(seed)
    out = io.BytesIO()
    encode(rng.normal(0, 0.1, seconds * 16000).astype(np.float32), out, container="webm", codec="libopus")
    return out.getvalue()


def send_recording(parent, meeting_id, data, size=4000):
    """Declare a recording, send data as chunks and finish it; return the recording id."""
    rid = str(uuid.uuid4())
    r = parent.api("PUT", f"/meetings/{meeting_id}/recordings/{rid}", {"mime": "audio/webm"})
    assert r.status_code == 201, r.json
    for seq, i in enumerate(range(0, len(data), size)):
        r = parent.api("PUT", f"/meetings/{meeting_id}/recordings/{rid}/chunks/{seq}", data=data[i:i + size],
                       headers={"Content-Type": "audio/webm"})
        assert r.status_code == 201, r.json
    assert parent.api("POST", f"/meetings/{meeting_id}/recordings/{rid}/finish").json["missing"] == []
    return rid


def audio_files(app):
    """The files in the local audio folder, temp folder aside."""
    root = Path(app.config["AUDIO_DIR"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and audio_store.TEMP not in p.parts)


@pytest.fixture
def db_app(tmp_path, migrated_db):
    """An app keeping audio in its (SQLite) database, transcribing at once with the fake engine."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, STORAGE="database", WHISPER_ENGINE="fake", QUEUE_IMMEDIATE=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_local_store_keeps_keys_not_paths(app, parent):
    meeting = parent.make_meeting()
    data = noise_webm()
    rid = send_recording(parent, meeting["id"], data)
    with app.app_context():
        chunks = db.session.execute(db.select(Chunk).where(Chunk.recording_id == rid).order_by(Chunk.seq)).scalars()
        keys = [c.key for c in chunks]
    # test that the database holds relative keys, and the files sit under the audio folder by those keys
    assert keys == [f"{meeting['id']}/{rid}/{seq:06d}.chunk" for seq in range(len(keys))]
    assert audio_files(app) == keys
    assert type(app.extensions["minuted.audio_store"]).__name__ == "LocalStore"
    joined = b"".join((Path(app.config["AUDIO_DIR"]) / k).read_bytes() for k in keys)
    assert joined == data


def test_database_store_keeps_audio_in_rows(db_app, monkeypatch):
    monkeypatch.setattr(audio_store, "PART_BYTES", 5000)  # so an upload takes several parts
    parent = Parent(db_app, db_app.test_client()).create()
    meeting = parent.make_meeting()
    data = noise_webm(seconds=4)
    rid = send_recording(parent, meeting["id"], data)
    with (AUDIO / "jfk.flac").open("rb") as f:
        upload = f.read()
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(upload), "jfk.flac", "audio/flac")})
    assert r.status_code == 202, r.json
    # test that no audio file was written: every byte is in the database
    assert audio_files(db_app) == []
    with db_app.app_context():
        parts = db.session.execute(db.select(AudioBlob.key, db.func.count(), db.func.sum(db.func.length(AudioBlob.data)))
                                   .group_by(AudioBlob.key)).all()
        upload_key = db.session.execute(db.select(Chunk.key).where(Chunk.recording_id != rid)).scalar_one()
        jobs = db.session.execute(db.select(TranscriptionJob.status)).scalars().all()
    sizes = {key: (count, total) for key, count, total in parts}
    assert sizes[upload_key] == (-(-len(upload) // 5000), len(upload))
    # test that both were transcribed from the database (the fake engine, at once)
    assert jobs == ["done", "done"]
    assert parent.api("GET", f"/meetings/{meeting['id']}/transcript").json["segments"]
    # test that playback joins the chunks from the database
    played = parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}/audio")
    assert played.status_code == 200 and played.data == data
    # test that a transcribed recording leaves no copy behind on this machine, and a read makes one
    copies = Path(db_app.config["DATA_DIR"]) / "cache" / "store"
    with db_app.app_context():
        recording = db.session.get(Recording, rid)
        first = recording.chunks[0]
        assert first.path.read_bytes() == data[:4000]
        assert first.path.is_relative_to(copies) and hashlib.sha256(first.path.read_bytes()).hexdigest() == first.sha256
    # test that deleting the recording deletes its parts and this machine's copies
    assert parent.api("DELETE", f"/meetings/{meeting['id']}/recordings/{rid}").status_code == 204
    with db_app.app_context():
        left = db.session.execute(db.select(AudioBlob.key).where(AudioBlob.key.like(f"%{rid}%"))).all()
    assert left == [] and not (copies / meeting["id"] / rid).exists()
    # test that deleting the meeting deletes the upload's parts
    assert parent.api("DELETE", f"/meetings/{meeting['id']}").status_code == 204
    with db_app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(AudioBlob)).scalar() == 0


def test_audio_stays_readable_when_the_setting_changes(tmp_path, migrated_db):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    local = make_app(data)
    parent = Parent(local, local.test_client()).create()
    meeting = parent.make_meeting()
    on_disk = noise_webm(seed=1)
    first = send_recording(parent, meeting["id"], on_disk)
    in_db = make_app(data, STORAGE="database")
    in_rows = noise_webm(seed=2)
    second = send_recording(Parent(in_db, in_db.test_client()).login(), meeting["id"], in_rows)
    # test that each app reads both: files written before the switch, rows written after
    for app in (local, in_db):
        with app.app_context():
            for rid, sent in ((first, on_disk), (second, in_rows)):
                recording = db.session.get(Recording, rid)
                assert b"".join(p.read_bytes() for p in audio_store.chunk_paths(recording)) == sent
            db.engine.dispose()


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../b", "a//b", "a\\b"])
def test_keys_never_leave_the_root(app, key):
    with app.app_context(), pytest.raises(ValueError):
        audio_store.store().path(key, "tag")


def test_an_unknown_store_is_refused(tmp_path):
    with pytest.raises(ValueError, match="MINUTED_STORAGE"):
        make_app(tmp_path / "data", STORAGE="s3")


# --- many machines: a worker that shares nothing with the web server but the database and the queue ---


@pytest.fixture
def shared_urls(postgres_url, redis_url):
    yield {"DATABASE_URL": postgres_url, "QUEUE_URL": redis_url}


@pytest.mark.slow
@pytest.mark.whisper
def test_a_worker_elsewhere_transcribes_with_only_the_urls(tmp_path, shared_urls):
    from server.db import upgrade
    from test_worker_kill import start_worker
    from test_worker_kill import stop
    from test_worker_kill import wait_for

    web_dir, worker_dir = tmp_path / "web", tmp_path / "worker"
    web = make_app(web_dir, STORAGE="database", **shared_urls)
    with web.app_context():
        upgrade()
    try:
        parent = Parent(web, web.test_client()).create()
        meeting = parent.make_meeting()
        with (AUDIO / "jfk.flac").open("rb") as f:
            r = parent.api("POST", f"/meetings/{meeting['id']}/uploads", data={"file": (f, "jfk.flac", "audio/flac")})
        assert r.status_code == 202, r.json
        from transcribe import decode

        streamed = io.BytesIO()
        encode(decode(AUDIO / "jfk.flac"), streamed, container="webm", codec="libopus")
        send_recording(parent, meeting["id"], streamed.getvalue(), size=16_000)
        assert audio_files(web) == []
        # the web server's data directory moves out of reach: the worker never knew where it was
        hidden = tmp_path / "elsewhere"
        web_dir.rename(hidden)
        env = {"MINUTED_STORAGE": "database", "MINUTED_DATABASE_URL": shared_urls["DATABASE_URL"],
               "MINUTED_QUEUE_URL": shared_urls["QUEUE_URL"]}
        log = open(tmp_path / "worker.log", "wb")
        worker = start_worker(worker_dir, env, log=log)
        try:
            t = wait_for(lambda: (t := parent.api("GET", f"/meetings/{meeting['id']}/transcript").json)
                         and t["status"] in ("done", "failed") and t, timeout=180, proc=worker, what="the transcripts")
        finally:
            stop(worker)
            log.close()
        hidden.rename(web_dir)
        assert t["status"] == "done", (t, (tmp_path / "worker.log").read_text()[-3000:])
        # test that both recordings were transcribed, each once, by the worker
        assert [j["status"] for j in t["jobs"]] == ["done", "done"] and all(j["attempts"] == 1 for j in t["jobs"])
        by_recording = {}
        for job in t["jobs"]:
            with web.app_context():
                from server.models import TranscriptSegment

                texts = db.session.execute(db.select(TranscriptSegment.text).where(
                    TranscriptSegment.recording_id == job["recording_id"]).order_by(TranscriptSegment.start_ms)
                ).scalars().all()
            by_recording[job["recording_id"]] = " ".join(texts).lower()
        for text in by_recording.values():
            assert "ask not what your country can do for you" in text, text
        # test that the worker kept no copy of the audio once the transcripts were done
        assert not [p for p in (worker_dir / "cache" / "store").rglob("*") if p.is_file()]
    finally:
        with web.app_context():
            db.session.remove()
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            db.engine.dispose()


def test_files_are_copied_into_the_database_before_a_switch(tmp_path, migrated_db, monkeypatch):
    from click.testing import CliRunner

    from server.cli import main

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    local = make_app(data)
    parent = Parent(local, local.test_client()).create()
    meeting = parent.make_meeting()
    sent = noise_webm(seed=3)
    rid = send_recording(parent, meeting["id"], sent)
    damaged = Path(local.config["AUDIO_DIR"]) / meeting["id"] / rid / "000001.chunk"
    good = damaged.read_bytes()
    damaged.write_bytes(b"not what was sent")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MINUTED_DATA_DIR", str(data))  # the command sets it; put it back afterwards

    def copy():
        result = CliRunner().invoke(main, ["storage", "copy-to-database", "--data", str(data)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    chunks = -(-len(sent) // 4000)
    # test that every chunk whose file matches its checksum is copied, and a damaged one is not
    assert copy() == (f"Copied {chunks - 1} chunk(s) into the database.\n"
                      "1 file(s) differ from their checksum and were not copied.\n")
    damaged.write_bytes(good)
    assert copy() == "Copied 1 chunk(s) into the database.\n"  # and again: only what is left
    # test that a database store reads it all with the files gone
    shutil.rmtree(Path(local.config["AUDIO_DIR"]) / meeting["id"])
    in_db = make_app(data, STORAGE="database")
    with in_db.app_context():
        recording = db.session.get(Recording, rid)
        assert b"".join(p.read_bytes() for p in audio_store.chunk_paths(recording)) == sent
        db.engine.dispose()
    with local.app_context():
        db.engine.dispose()


def test_start_up_drops_day_old_copies_only(tmp_path):
    import os
    import time

    copies = tmp_path / "data" / "cache" / "store" / "m1" / "r1"
    copies.mkdir(parents=True)
    old, fresh = copies / "000000.chunk.0123456789abcdef", copies / "000001.chunk.fedcba9876543210"
    for path in (old, fresh):
        path.write_bytes(b"x")
    stale = time.time() - audio_store.COPY_MAX_AGE - 60
    os.utime(old, (stale, stale))
    make_app(tmp_path / "data", STORAGE="database")
    assert not old.exists() and fresh.exists()
