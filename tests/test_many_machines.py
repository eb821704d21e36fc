"""Many machines (issue 19): a web server and workers that share only PostgreSQL, Redis and the audio in the database.

Three families: one uploads three recordings, two stream theirs from phones.
Two `minuted worker` processes, each with its own data directory, share the
work; one is killed with SIGKILL, the other stopped with SIGTERM, and a third
finishes. Every transcript must be complete, each segment written once, and
no job left "running" by a dead worker for longer than its lease and a window.
A second test restarts Redis (empty: its queued messages are gone) and
PostgreSQL (every connection cut) under two workers: every transcript must
still finish, once, with both workers alive.
The fake engine, slowed down, stands in for Whisper.
"""
import io
import signal
import time
from pathlib import Path

import pytest

from conftest import Parent
from conftest import make_app
from server.db import db
from server.db import upgrade
from server.models import TranscriptionJob
from server.models import TranscriptSegment
from test_jobs import send_chunks
from test_jobs import speech
from test_jobs import wav
from test_jobs import webm
from test_leases import start
from test_postgres import empty_database
from test_postgres import postgres_url  # noqa: F401 - a fixture: a throwaway PostgreSQL server
from test_redis_queue import redis_url  # noqa: F401 - a fixture: a throwaway redis-server
from test_worker_kill import stop
from test_worker_kill import wait_for

LEASE_S = 2
WINDOW_S = 0.4  # what the slowed fake engine takes over each window

pytestmark = pytest.mark.slow


@pytest.fixture
def web(tmp_path, postgres_url, redis_url):  # noqa: F811 - the fixtures imported above
    app = make_app(tmp_path / "web", DATABASE_URL=postgres_url, QUEUE_URL=redis_url, STORAGE="database")
    with app.app_context():
        upgrade()
    app.worker_env = {"MINUTED_DATABASE_URL": postgres_url, "MINUTED_QUEUE_URL": redis_url,
                      "MINUTED_STORAGE": "database"}
    yield app
    empty_database(app)


def jobs_now(app):
    with app.app_context():
        rows = db.session.execute(db.select(TranscriptionJob.id, TranscriptionJob.status, TranscriptionJob.state,
                                            TranscriptionJob.attempts, TranscriptionJob.error)).all()
        db.session.rollback()
        return rows


def held_by(app, proc):
    """The jobs still running under the given worker process."""
    return [r.id for r in jobs_now(app)
            if r.status == "running" and (r.state or {}).get("owner", "").endswith(f":{proc.pid}")]


def test_families_on_two_workers_that_share_no_folder_survive_kill_and_stop(web, tmp_path):
    families = [Parent(web, web.test_client(), email=f"{who}@example.org").create() for who in "abc"]
    for _ in range(3):
        meeting = families[0].make_meeting()["id"]
        r = families[0].api("POST", f"/meetings/{meeting}/uploads",
                            data={"file": (io.BytesIO(wav(speech(90))), "a.wav", "audio/wav")})
        assert r.status_code == 202, r.json
    for parent in families[1:]:
        send_chunks(parent, parent.make_meeting()["id"], webm(speech(60)))
    assert not [p for p in Path(web.config["AUDIO_DIR"]).rglob("*") if p.is_file()]

    def worker(name):
        return start(tmp_path / name, tmp_path, slow_s=WINDOW_S, lease_s=LEASE_S, name=name, **web.worker_env)

    first, second = worker("w1"), worker("w2")
    third = None
    try:
        # SIGKILL the first worker once it holds a job with a window saved
        wait_for(lambda: held_by(web, first) and any(r.status == "running" for r in jobs_now(web)), timeout=60,
                 proc=first, what="the first worker at work")
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = time.monotonic()
        wait_for(lambda: not held_by(web, first), timeout=60, what="the dead worker's jobs to be taken over")
        # test that no job stayed "running" under the dead worker longer than its lease and a window
        assert time.monotonic() - killed < LEASE_S + WINDOW_S + 10
        # SIGTERM the second once it holds a job: it hands the job back and exits
        wait_for(lambda: held_by(web, second), timeout=60, proc=second, what="the second worker at work")
        second.send_signal(signal.SIGTERM)
        second.wait(30)
        assert not held_by(web, second)
        third = worker("w3")
        wait_for(lambda: all(r.status in ("done", "failed") for r in jobs_now(web)), timeout=120, proc=third,
                 what="every transcript")
    finally:
        for proc in (first, second, third):
            if proc is not None:
                stop(proc)
                proc.log.close()
    rows = jobs_now(web)
    logs = {name: (tmp_path / f"{name}.log").read_text()[-1500:] for name in ("w1", "w2", "w3")}
    # test that every transcript is complete, each segment written once
    assert len(rows) == 5 and all((r.status, r.error) == ("done", None) for r in rows), (rows, logs)
    with web.app_context():
        starts = db.session.execute(db.select(TranscriptSegment.recording_id, TranscriptSegment.start_ms)).all()
        assert len(starts) == len(set(starts)) and {rid for rid, _ in starts} == {
            r.recording_id for r in db.session.execute(db.select(TranscriptionJob)).scalars()}
    # test that the worker that finished kept no copy of the audio behind (the others' copies are a cache,
    # named by checksum: swept at their next start-up once a day old)
    assert not [p for p in (tmp_path / "w3" / "cache" / "store").rglob("*.chunk.*")]


def settled(app):
    """Every job done or failed (False while the database is away: it is being restarted)."""
    try:
        rows = jobs_now(app)
    except Exception:  # noqa: BLE001 - PostgreSQL is restarting
        with app.app_context():
            db.session.rollback()
        return False
    return rows and all(r.status in ("done", "failed") for r in rows)


def test_redis_and_postgresql_restart_under_two_workers(web, tmp_path, postgres_url, redis_url):  # noqa: F811
    # one family's backlog of uploads, another's live meeting; two workers that re-queue lost jobs every 2 s
    uploader, streamer = (Parent(web, web.test_client(), email=f"{who}@example.org").create() for who in "de")
    for _ in range(2):
        meeting = uploader.make_meeting()["id"]
        r = uploader.api("POST", f"/meetings/{meeting}/uploads",
                         data={"file": (io.BytesIO(wav(speech(60))), "a.wav", "audio/wav")})
        assert r.status_code == 202, r.json
    send_chunks(streamer, streamer.make_meeting()["id"], webm(speech(40)))
    with web.app_context():
        db.engine.dispose()  # the test's own connections would be cut by the restart too

    workers = [start(tmp_path / f"r{i}", tmp_path, slow_s=WINDOW_S, lease_s=LEASE_S, name=f"r{i}",
                     MINUTED_JOB_RECOVER_S="2", **web.worker_env) for i in range(2)]
    try:
        # both workers past their start-up (migrations, under the lock), so the restarts below land on two
        # running workers: not on one still starting, which is not what this test is about
        for w in workers:
            log = Path(w.log.name)
            wait_for(lambda: "Huey consumer started" in log.read_text(errors="replace"), timeout=60, proc=w,
                     what="the workers to start")
        wait_for(lambda: any(r.status == "running" for r in jobs_now(web)), timeout=60, proc=workers[0],
                 what="a worker at work")
        # test that the queue's messages going (Redis restarted empty) and every database connection being cut
        # (PostgreSQL restarted) lose no transcript and stop no worker
        redis_url.restart()
        postgres_url.restart()
        with web.app_context():
            db.engine.dispose()
        wait_for(lambda: settled(web), timeout=120, what="every transcript after the restarts")
        assert all(w.poll() is None for w in workers), "a worker died with the restarts"
    finally:
        for w in workers:
            stop(w)
            w.log.close()
    rows = jobs_now(web)
    logs = {name: (tmp_path / f"{name}.log").read_text()[-1500:] for name in ("r0", "r1")}
    assert len(rows) == 3 and all((r.status, r.error) == ("done", None) for r in rows), (rows, logs)
    with web.app_context():
        starts = db.session.execute(db.select(TranscriptSegment.recording_id, TranscriptSegment.start_ms)).all()
        assert len(starts) == len(set(starts)) and len({rid for rid, _ in starts}) == 3
