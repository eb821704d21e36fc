"""Database and queue settings for many machines (issue 19): statement timeout, pool, Redis timeouts and retries.

PostgreSQL and Redis are real servers started by the tests (tests/test_postgres.py,
tests/test_redis_queue.py); a Redis blip is a redis-server paused with SIGSTOP.
"""
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import sqlalchemy as sa

from conftest import Parent
from conftest import make_app
from server import jobs
from server.db import db
from server.db import upgrade
from test_postgres import postgres_url  # noqa: F401 (a fixture: a throwaway PostgreSQL server)

REDIS = shutil.which("redis-server")

pytestmark = pytest.mark.slow


def _pg_app(tmp_path, url, **config):
    app = make_app(tmp_path / "data", DATABASE_URL=url, **config)
    return app


def _drop(app):
    """Drop the schema, on a connection of its own without the app's statement timeout."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        engine = sa.create_engine(db.engine.url)
        try:
            db.metadata.drop_all(engine)
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        finally:
            engine.dispose()


def test_a_statement_running_past_the_timeout_is_cancelled(tmp_path, postgres_url):
    from server.db import MIGRATION_LOCK

    app = _pg_app(tmp_path, postgres_url, DB_STATEMENT_TIMEOUT_MS=200)
    other = sa.create_engine(postgres_url)
    holder = other.connect()
    holder.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
    holder.commit()

    def migrated_elsewhere():  # another process migrating for 1.2 s, then letting the lock go
        time.sleep(1.2)
        holder.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
        holder.close()

    thread = threading.Thread(target=migrated_elsewhere)
    try:
        thread.start()
        started = time.monotonic()
        with app.app_context():
            # test that waiting for the migration lock is not cut short by the statement timeout
            upgrade()
            assert time.monotonic() - started > 1
            # test that afterwards every statement runs under the timeout
            assert db.session.execute(sa.text("SHOW statement_timeout")).scalar() == "200ms"
            with pytest.raises(sa.exc.OperationalError) as caught:
                db.session.execute(sa.text("SELECT pg_sleep(1)"))
            assert caught.value.orig.sqlstate == "57014"  # query_canceled
            db.session.rollback()
    finally:
        thread.join(10)
        other.dispose()
        _drop(app)


def test_a_request_whose_statement_is_cancelled_answers_503(tmp_path, postgres_url, monkeypatch):
    app = _pg_app(tmp_path, postgres_url, DB_STATEMENT_TIMEOUT_MS=300)
    try:
        with app.app_context():
            upgrade()
        parent = Parent(app, app.test_client()).create()
        meeting = parent.make_meeting()
        from server import timeline

        def hung(*args, **kwargs):  # a statement waiting on a lock someone forgot to let go
            db.session.execute(sa.text("SELECT pg_sleep(5)"))

        monkeypatch.setattr(timeline, "apply_batch", hung)
        started = time.monotonic()
        r = parent.api("POST", f"/meetings/{meeting['id']}/events", {"events": []})
        # test that the request is answered "send it again", well before the statement would have ended
        assert r.status_code == 503 and r.json["error"]["code"] == "busy"
        assert time.monotonic() - started < 4.5
        # test that the next request on the same pool is served
        monkeypatch.undo()
        assert parent.api("GET", f"/meetings/{meeting['id']}/events").status_code == 200
    finally:
        _drop(app)


def test_pool_settings_reach_the_engine(tmp_path, postgres_url):
    app = _pg_app(tmp_path, postgres_url, DB_POOL_SIZE=3, DB_MAX_OVERFLOW=2, DB_POOL_TIMEOUT_S=4,
                  DB_POOL_RECYCLE_S=600, DB_STATEMENT_TIMEOUT_MS=0)
    with app.app_context():
        pool = db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle) == (3, 2, 4, 600)
        assert db.session.execute(sa.text("SHOW statement_timeout")).scalar() == "0"
        db.session.remove()
        db.engine.dispose()


def test_sqlite_keeps_its_own_pool(app):
    with app.app_context():
        assert db.engine.url.get_backend_name() == "sqlite"
        assert "options" not in (app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args") or {})


# --- Redis: a socket timeout, and a small bounded retry ---


@pytest.fixture
def redis_proc(tmp_path):
    if REDIS is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; CI has it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, socket_timeout=1)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.url, proc.client = f"redis://127.0.0.1:{port}/0", client
    yield proc
    os.kill(proc.pid, signal.SIGCONT)
    proc.terminate()
    proc.wait(10)


def _paused(proc, seconds):
    """Pause redis-server (SIGSTOP) for seconds, in the background."""
    os.kill(proc.pid, signal.SIGSTOP)
    timer = threading.Timer(seconds, os.kill, (proc.pid, signal.SIGCONT))
    timer.start()
    return timer


def test_a_redis_blip_is_ridden_out_and_queues_once(tmp_path, redis_proc):
    huey = jobs.make_huey({"QUEUE_URL": redis_proc.url, "QUEUE_TIMEOUT_S": 0.5, "QUEUE_RETRIES": 3,
                           "DATA_DIR": str(tmp_path)})
    storage = huey.storage
    storage.enqueue(b"first", priority=0)  # the pool's connection is open before the blip
    timer = _paused(redis_proc, 0.8)
    started = time.monotonic()
    storage.enqueue(b"during the blip", priority=0)
    timer.join()
    # test that the enqueue waited the blip out (timed out, tried again) and queued the task once
    assert 0.4 < time.monotonic() - started < 10
    members = redis_proc.client.zrange(storage.queue_key, 0, -1)
    assert sorted(m[8:] for m in members) == [b"during the blip", b"first"]


def test_a_redis_that_stays_away_costs_a_bounded_wait(tmp_path, redis_proc):
    import redis

    huey = jobs.make_huey({"QUEUE_URL": redis_proc.url, "QUEUE_TIMEOUT_S": 0.3, "QUEUE_RETRIES": 2,
                           "DATA_DIR": str(tmp_path)})
    huey.storage.enqueue(b"first", priority=0)
    timer = _paused(redis_proc, 6)
    try:
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            huey.storage.enqueue(b"stalled", priority=0)
        # test that three tries of 0.3 s and two short pauses end well before the stall does
        assert time.monotonic() - started < 4
    finally:
        timer.cancel()
        os.kill(redis_proc.pid, signal.SIGCONT)


def test_an_upload_while_redis_is_paused_is_answered_and_queued_later(tmp_path, migrated_db, redis_proc):
    import io

    from server.models import TranscriptionJob
    from test_jobs import speech
    from test_jobs import wav

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, QUEUE_URL=redis_proc.url, QUEUE_TIMEOUT_S=0.3, QUEUE_RETRIES=1)
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    app.extensions["huey"].storage.conn.ping()  # the pool's connection is open before the pause
    timer = _paused(redis_proc, 5)
    try:
        started = time.monotonic()
        r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                       data={"file": (io.BytesIO(wav(speech(3))), "a.wav", "audio/wav")})
        # test that the saved upload is answered as saved, within a bounded wait
        assert r.status_code == 202, r.json
        assert time.monotonic() - started < 4
    finally:
        timer.cancel()
        os.kill(redis_proc.pid, signal.SIGCONT)
    # test that recovery queues it once Redis answers again
    with app.app_context():
        assert db.session.execute(db.select(TranscriptionJob.status)).scalar_one() == "queued"
        jobs.recover()
    assert app.extensions["huey"].storage.queue_size() >= 1


def test_a_request_that_finds_no_free_connection_answers_503(tmp_path, postgres_url):
    app = _pg_app(tmp_path, postgres_url, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT_S=0.5)
    try:
        with app.app_context():
            upgrade()
        parent = Parent(app, app.test_client()).create()
        meeting = parent.make_meeting()
        with app.app_context():
            held = db.engine.connect()  # every connection of the pool is busy elsewhere
            try:
                r = parent.api("GET", f"/meetings/{meeting['id']}/events")
                # test that the request is answered "send it again" once the pool's wait is over
                assert r.status_code == 503 and r.headers["Retry-After"] == "1"
            finally:
                held.close()
        assert parent.api("GET", f"/meetings/{meeting['id']}/events").status_code == 200
    finally:
        _drop(app)
