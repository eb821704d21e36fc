"""/healthz answers while the process is alive; /readyz only while the database, queue and audio store answer.

And while one of them is away: a dropped database connection is replaced, an upload is kept when the queue is down.
"""
import shutil
from pathlib import Path

import pytest

from conftest import make_app
from server.db import db
from test_postgres import empty_database
from test_postgres import postgres_url  # noqa: F401 - a fixture: a throwaway PostgreSQL server


def nothing_listens():
    from test_redis_queue import free_port

    return free_port()


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == "not_ready"
    return body["error"]["fields"]


def test_a_working_app_is_alive_and_ready(client):
    assert client.get("/healthz").get_json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok", "storage": "ok"}}
    # test that neither needs a sign-in nor may be cached
    assert ready.headers["Cache-Control"] == "no-cache, private"


def test_without_the_database_it_is_alive_but_not_ready(tmp_path):
    port = nothing_listens()
    app = make_app(tmp_path / "data", DATABASE_URL=f"postgresql+psycopg://minuted@127.0.0.1:{port}/minuted")
    client = app.test_client()
    # test that /healthz never touches the database
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert error_of(response) == {"database": "unreachable (OperationalError)"}
    with app.app_context():
        db.engine.dispose()


def test_an_unmigrated_database_is_not_ready(tmp_path):
    app = make_app(tmp_path / "data")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and list(error_of(response)) == ["database"]
    assert "minuted migrate" in error_of(response)["database"]
    with app.app_context():
        db.engine.dispose()


def test_without_the_queue_it_is_not_ready(tmp_path, migrated_db):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, QUEUE_URL=f"redis://127.0.0.1:{nothing_listens()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and error_of(response) == {"queue": "unreachable (ConnectionError)"}
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("storage", ["local", "database"])
def test_without_the_audio_store_it_is_not_ready(tmp_path, migrated_db, storage):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, STORAGE=storage)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    if storage == "local":
        shutil.rmtree(Path(app.config["AUDIO_DIR"]))  # an unmounted share
    else:
        with app.app_context():
            db.session.execute(db.text("ALTER TABLE audio_blob RENAME TO audio_blob_gone"))
            db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503 and list(error_of(response)) == ["storage"]
    with app.app_context():
        db.engine.dispose()


@pytest.mark.slow
def test_the_first_request_after_the_database_dropped_its_connections_works(tmp_path, postgres_url):
    from conftest import Parent
    from server.db import upgrade

    app = make_app(tmp_path / "data", DATABASE_URL=postgres_url)
    with app.app_context():
        upgrade()
    try:
        parent = Parent(app, app.test_client()).create()
        assert parent.api("GET", "/children").status_code == 200
        # what a PostgreSQL restart does to every pooled connection
        import sqlalchemy as sa

        admin = sa.create_engine(postgres_url)
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND datname = current_database()")
        admin.dispose()
        # test that the next request (and the readiness check) find a working connection
        assert parent.api("GET", "/children").status_code == 200
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        empty_database(app)


def test_an_upload_while_the_queue_is_down_is_accepted_and_queued_later(tmp_path, migrated_db, caplog):
    from conftest import Parent
    from server import jobs
    from server.models import TranscriptionJob
    from test_jobs import speech
    from test_jobs import wav

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, QUEUE_URL=f"redis://127.0.0.1:{nothing_listens()}/0")
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    import io

    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(speech(3))), "a.wav", "audio/wav")})
    # test that the saved upload is answered as saved (a 500 would make the phone send it again)
    assert r.status_code == 202, r.json
    assert "could not queue transcription job" in caplog.text
    with app.app_context():
        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        assert job.status == "queued"
        # test that recovery queues it once the queue answers (here: a queue that does)
        app.extensions["huey"] = jobs.make_huey({"DATA_DIR": str(data)})
        app.extensions["minuted.transcribe_task"] = app.extensions["huey"].task(name=jobs.TASK_NAME)(
            jobs._transcribe_task)
        assert jobs.recover() == 1 and app.extensions["huey"].pending_count() == 1
        db.engine.dispose()
