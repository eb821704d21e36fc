"""MINUTED_DATABASE_URL=postgresql://… : the same migrations and API on a real PostgreSQL server.

The server is started by the test (initdb + pg_ctl in a temporary directory) and stopped after.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import Parent
from conftest import make_app
from server.db import db
from server.db import upgrade

pytestmark = pytest.mark.slow


def _pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresUrl(str):
    """A database URL whose ``restart()`` restarts its server (every connection to it is cut; the data stays)."""

    def restart(self):
        subprocess.run(self.restart_command, check=True, capture_output=True)


@pytest.fixture(scope="module")
def postgres_url():
    """Start a throwaway PostgreSQL server and return a URL for an empty database on it."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries are not installed (CI installs the postgresql package)")
    # not under pytest's private (0700, root-owned) temp tree: the postgres user must reach it
    root = Path(tempfile.mkdtemp(prefix="minuted-pg-"))
    data = root / "data"
    # PostgreSQL refuses to run as root: run it as the postgres user when we are root
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(prefix + [initdb, "-D", str(data), "-A", "trust", "-U", "minuted", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run(
        prefix + [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w",
                  "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        check=True, capture_output=True,
    )
    try:
        subprocess.run(prefix + [_pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "minuted",
                                 "minuted"], check=True, capture_output=True)
        url = PostgresUrl(f"postgresql+psycopg://minuted@127.0.0.1:{port}/minuted")
        url.restart_command = prefix + [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-m", "fast", "-w",
                                        "restart"]
        yield url
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_app(tmp_path, postgres_url):
    app = make_app(tmp_path / "data", DATABASE_URL=postgres_url)
    with app.app_context():
        upgrade()
    yield app
    empty_database(app)


def empty_database(app):
    """Drop every table (and the migration stamp) so the next test on this server starts from nothing."""
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.engine.dispose()


def test_postgres_migrations_and_api(pg_app):
    assert pg_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    with pg_app.app_context():
        assert db.engine.dialect.name == "postgresql"
        # test that the migrations build exactly the models' schema on PostgreSQL too
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []
    parent = Parent(pg_app, pg_app.test_client()).create()
    other = Parent(pg_app, pg_app.test_client(), email="other@example.org").create()
    meeting = parent.make_meeting()
    mid = meeting["id"]
    parent.make_attendee(mid, name="Ms Khan", role="senco")
    first = parent.make_agenda_item(mid, title="First")
    second = parent.make_agenda_item(mid, title="Second")
    parent.make_target(mid)
    parent.api("PUT", f"/meetings/{mid}/agenda/order", {"ids": [second["id"], first["id"]]})
    bundle = parent.api("GET", f"/meetings/{mid}").get_json()
    assert [i["title"] for i in bundle["agenda"]] == ["Second", "First"]
    assert bundle["starts_at"] == "2026-12-01T09:30:00Z"
    # test that isolation holds and bad input stores nothing
    assert other.api("GET", f"/meetings/{mid}").status_code == 404
    assert parent.api("POST", "/children", {"name": ""}).status_code == 422
    assert len(parent.api("GET", "/children").get_json()["children"]) == 1
    # test that the pages render from PostgreSQL
    assert "Ms Khan" in parent.client.get(f"/meetings/{mid}/people").text
    assert sys.version_info >= (3, 11)
