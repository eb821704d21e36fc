"""Migrations: the schema they build is the models' schema, upgrading never loses data, and never races."""
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from conftest import make_app
from server.db import db
from server.db import upgrade
from server.models import Attendee
from server.models import Child
from server.models import Meeting
from test_postgres import postgres_url  # noqa: F401 - a fixture: a throwaway PostgreSQL server

DUMP = Path(__file__).parent / "data" / "db_rev1.sql"


def test_migrations_build_the_models_schema(app):
    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_upgrade_from_the_first_release_keeps_data(tmp_path):
    # a database made by the first schema revision, with one of everything in it
    data = tmp_path / "data"
    data.mkdir()
    con = sqlite3.connect(data / "minuted.sqlite3")
    con.executescript(DUMP.read_text())
    con.close()
    app = make_app(data)
    with app.app_context():
        upgrade()
        # test that every row is still there and readable through the new models
        meeting = db.session.execute(db.select(Meeting)).scalar_one()
        assert meeting.title == "Year 5 annual review" and meeting.venue == "Room 4"
        assert meeting.child.name == "S.J." and meeting.child.date_of_birth is None
        assert [(a.name, a.role, a.arrived_ms) for a in meeting.attendees] == [("Ms Khan", "senco", None)]
        assert meeting.agenda[0].provision.text.startswith("30 minutes of 1:1 phonics")
        assert meeting.child.targets[0].evidence == "Running record"
        assert db.session.execute(db.select(db.func.count()).select_from(Child)).scalar() == 1
        assert db.session.execute(db.text("PRAGMA foreign_key_check")).fetchall() == []
        # test that upgrading again changes nothing
        upgrade()
        assert db.session.execute(db.select(db.func.count()).select_from(Attendee)).scalar() == 1
        db.engine.dispose()
    # test that the app still serves the old data
    client = app.test_client()
    from conftest import Parent

    parent = Parent(app, client)
    parent.login()
    page = client.get(f"/meetings/{meeting.id}/people")
    assert page.status_code == 200 and "Ms Khan" in page.text


def test_foreign_keys_are_enforced(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        db.session.add(Child(user_id="no-such-user", name="X"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_chunk_paths_become_keys_and_back(app, parent):
    import flask_migrate

    from server.db import MIGRATIONS
    from server.models import Chunk

    meeting = parent.make_meeting()
    rid = "0b7c8f1e-0000-4000-8000-000000000001"
    parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}", {"mime": "audio/webm"})
    for seq in range(2):
        parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}/chunks/{seq}", data=b"x" * (seq + 1),
                   headers={"Content-Type": "audio/webm"})
    keys = [f"{meeting['id']}/{rid}/{seq:06d}.chunk" for seq in range(2)]
    audio = app.config["AUDIO_DIR"]
    with app.app_context():
        # test that downgrading writes the absolute paths the previous release kept
        flask_migrate.downgrade(directory=MIGRATIONS, revision="7b3e9f1c2a44")
        paths = db.session.execute(db.text("SELECT path FROM chunk ORDER BY seq")).scalars().all()
        assert paths == [f"{audio}/{key}" for key in keys]
        # test that upgrading turns them (wherever the data directory was) into keys
        db.session.execute(db.text("UPDATE chunk SET path = '/old/machine/audio/' || substr(path, :n)"),
                           {"n": len(audio) + 2})
        db.session.commit()
        upgrade()
        chunks = db.session.execute(db.select(Chunk).order_by(Chunk.seq)).scalars().all()
        assert [c.key for c in chunks] == keys
        assert [c.path.read_bytes() for c in chunks] == [b"x", b"xx"]
        db.session.remove()
        db.engine.dispose()


# --- migrations at start-up: under a lock, waiting for the database ---------

MINUTED = Path(sys.executable).with_name("minuted")


def minuted(args, data, **env):
    """Start `minuted ARGS` on data (and env); return the process (output in data/../<args[0]>-<pid>.log)."""
    environment = {**os.environ, "MINUTED_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", **env}
    return subprocess.Popen([str(MINUTED), *args], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def fresh_postgres(postgres_url):
    """An empty database of its own on the test PostgreSQL server."""
    import sqlalchemy as sa

    name = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


def head():
    from server.views.health import head_revision

    return head_revision()


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_processes_starting_together_migrate_once_without_racing(tmp_path, request, database):
    env = {}
    if database == "postgresql":
        env["MINUTED_DATABASE_URL"] = request.getfixturevalue("fresh_postgres")
    data = tmp_path / "data"
    procs = [minuted(["migrate"], data, **env) for _ in range(3)]  # without the lock SQLite failed 3 runs of 3
    outputs = [proc.communicate(timeout=120)[0].decode() for proc in procs]
    # test that every one of them succeeded and the database is at the newest revision
    assert [proc.returncode for proc in procs] == [0] * 3, outputs
    app = make_app(data, **({"DATABASE_URL": env["MINUTED_DATABASE_URL"]} if env else {}))
    with app.app_context():
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalars().all() == [head()]
        db.engine.dispose()


def test_create_app_migrates_at_start_unless_told_not_to(tmp_path, monkeypatch):
    from server import create_app

    monkeypatch.setenv("MINUTED_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MINUTED_AUTO_MIGRATE", "false")
    app = create_app()
    with app.app_context():
        assert not db.inspect(db.engine).has_table("alembic_version")
        db.engine.dispose()
    # test that an app made for a WSGI server (no test config) brings its database up to date
    monkeypatch.delenv("MINUTED_AUTO_MIGRATE")
    app = create_app()
    with app.app_context():
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar() == head()
        db.engine.dispose()


class Forwarder(threading.Thread):
    """A TCP port that forwards to another, opened only when start() is called (a database coming up)."""

    def __init__(self, port, target):
        super().__init__(daemon=True)
        self.port, self.target = port, target
        self.server = None

    def run(self):
        self.server = socket.create_server(("127.0.0.1", self.port))
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        if self.server is not None:
            self.server.close()


@pytest.mark.slow
def test_a_worker_waits_for_the_database_to_come_up(tmp_path, fresh_postgres):
    from test_redis_queue import free_port

    port = free_port()
    target = int(fresh_postgres.rsplit(":", 1)[1].split("/")[0])
    url = fresh_postgres.replace(f":{target}/", f":{port}/")
    worker = minuted(["worker"], tmp_path / "data", MINUTED_DATABASE_URL=url, MINUTED_DB_WAIT_S="60")
    forwarder = Forwarder(port, target)
    try:
        lines = []
        # test that it waits (saying so) instead of exiting
        while not any("not answering yet" in line for line in lines):
            lines.append(worker.stdout.readline().decode())
            assert worker.poll() is None, lines
        forwarder.start()
        while not any(line.startswith("Minuted worker:") for line in lines):
            line = worker.stdout.readline().decode()
            assert line or worker.poll() is None, lines
            lines.append(line)
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
        forwarder.close()
    # test that once the database answered it was migrated and the worker started
    app = make_app(tmp_path / "app", DATABASE_URL=fresh_postgres)
    with app.app_context():
        assert db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar() == head()
        db.engine.dispose()


def test_waiting_for_the_database_is_bounded(tmp_path):
    from test_redis_queue import free_port

    url = f"postgresql+psycopg://minuted@127.0.0.1:{free_port()}/minuted"
    proc = minuted(["migrate"], tmp_path / "data", MINUTED_DATABASE_URL=url, MINUTED_DB_WAIT_S="1")
    output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 1 and "The database did not answer within 1 s" in output, output
