"""Migrations: the schema they build is the models' schema, and upgrading never loses data."""
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from conftest import make_app
from server.db import db
from server.db import upgrade
from server.models import Attendee
from server.models import Child
from server.models import Meeting

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
