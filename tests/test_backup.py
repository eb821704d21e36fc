"""`minuted backup` and `minuted restore`: an installation copied whole and put back (SQLite, and real PostgreSQL)."""
import io
import json
import os
import shutil
import tarfile
import uuid

import pytest
from click.testing import CliRunner

from conftest import Parent
from conftest import make_app
from server.cli import main
from server.db import db
from server.db import upgrade
from server.models import Meeting
from test_postgres import empty_database
from test_postgres import postgres_url  # noqa: F401 - a fixture: a throwaway PostgreSQL server


def cli(*args, **settings):
    """Run a `minuted` command in this process, as a shell would (only the given MINUTED_* settings)."""
    env = {k: None for k in os.environ if k.startswith("MINUTED_")} | {"MINUTED_DATA_DIR": None} | settings
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def record(parent, meeting_id, chunks=(b"first-", b"second")):
    rid = str(uuid.uuid4())
    assert parent.api("PUT", f"/meetings/{meeting_id}/recordings/{rid}", {"mime": "audio/webm"}).status_code == 201
    for seq, data in enumerate(chunks):
        assert parent.api("PUT", f"/meetings/{meeting_id}/recordings/{rid}/chunks/{seq}", data=data,
                          headers={"Content-Type": "audio/webm"}).status_code == 201
    return rid


def audio_of(parent, meeting_id, rid):
    return parent.api("GET", f"/meetings/{meeting_id}/recordings/{rid}/audio").data


def test_a_sqlite_installation_backed_up_and_restored_elsewhere(tmp_path, migrated_db):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data)
    parent = Parent(app, app.test_client()).create()
    meeting_id = parent.make_meeting()["id"]
    rid = record(parent, meeting_id)
    out = tmp_path / "minuted-backup.tar.gz"

    result = cli("backup", out, "--data", data)
    assert result.exit_code == 0, result.output
    # test that the archive holds the manifest, a database copy and the data directory's own files, nothing else
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"] == "sqlite" and manifest["revision"] and manifest["format"] == 1
    assert "database.sqlite3" in names and "files/secret_key" in names
    assert any(n.startswith(f"files/audio/{meeting_id}/") for n in names)
    assert not [n for n in names if "queue.sqlite3" in n or n.endswith(("-wal", "-shm")) or "/cache/" in n]

    # test that restored into a new data directory, the account signs in and finds its meeting and audio
    new = tmp_path / "elsewhere"
    result = cli("restore", out, "--data", new)
    assert result.exit_code == 0, result.output
    assert (new / "secret_key").read_bytes() == (data / "secret_key").read_bytes()
    moved = make_app(new)
    again = Parent(moved, moved.test_client())
    again.login()
    assert [m["id"] for m in again.api("GET", "/meetings").json["meetings"]] == [meeting_id]
    assert audio_of(again, meeting_id, rid) == b"first-second"

    # test that a second restore over accounts is refused unless forced, and nothing is changed by the refusal
    result = cli("restore", out, "--data", new)
    assert result.exit_code != 0 and "already holds accounts" in result.output
    assert cli("restore", out, "--data", new, "--force").exit_code == 0


def test_a_restore_refuses_what_is_not_a_backup_and_paths_out_of_the_data_directory(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    result = cli("restore", junk, "--data", tmp_path / "d1")
    assert result.exit_code != 0 and "not a Minuted backup" in result.output

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps({"format": 1, "database": "sqlite"}).encode()),
                           ("database.sqlite3", b""), ("files/../../escaped", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = cli("restore", evil, "--data", tmp_path / "d2")
    assert result.exit_code == 1 and "cannot be restored safely" in result.output, result.output
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()
    assert not (tmp_path / "d2" / "minuted.sqlite3").exists() or (tmp_path / "d2" / "minuted.sqlite3").stat().st_size


def test_a_postgresql_installation_with_audio_in_the_database_comes_back(tmp_path, postgres_url):  # noqa: F811
    app = make_app(tmp_path / "web", DATABASE_URL=postgres_url, STORAGE="database")
    with app.app_context():
        upgrade()
    try:
        parent = Parent(app, app.test_client()).create()
        meeting_id = parent.make_meeting()["id"]
        rid = record(parent, meeting_id, (b"stored-", b"in-postgres"))
        out = tmp_path / "pg.tar.gz"
        on_pg = {"MINUTED_DATABASE_URL": postgres_url, "MINUTED_STORAGE": "database"}
        result = cli("backup", out, "--data", tmp_path / "web", **on_pg)
        assert result.exit_code == 0, result.output
        with tarfile.open(out) as tar:
            assert json.load(tar.extractfile("manifest.json"))["database"] == "postgresql"
            assert "database.pgdump" in tar.getnames()

        # the meeting is deleted (a mistake); the backup brings it back, audio and all
        assert parent.api("DELETE", f"/meetings/{meeting_id}").status_code in (200, 204)
        with app.app_context():
            assert db.session.get(Meeting, meeting_id) is None
            db.session.remove()
            db.engine.dispose()
        result = cli("restore", out, "--data", tmp_path / "web", **on_pg)
        assert result.exit_code != 0 and "already holds accounts" in result.output
        result = cli("restore", out, "--force", "--data", tmp_path / "web", **on_pg)
        assert result.exit_code == 0, result.output
        assert audio_of(parent, meeting_id, rid) == b"stored-in-postgres"
    finally:
        empty_database(app)
