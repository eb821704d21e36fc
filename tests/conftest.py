"""Fixtures for the server tests: a fresh app and database per test, and a parent who uses it."""
import os
import re
import shutil

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from server import create_app  # noqa: E402
from server.db import db  # noqa: E402
from server.db import upgrade  # noqa: E402

PASSWORD = "correct horse battery staple"


def make_app(data_dir, **config):
    """Build a test app on data_dir (cheap password hashing: tests check behaviour, not cost)."""
    return create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": "test-secret",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
            **config,
        }
    )


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A database migrated to the newest schema once; each test starts from a copy."""
    data = tmp_path_factory.mktemp("template")
    app = make_app(data)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return data / "minuted.sqlite3"


@pytest.fixture
def app(tmp_path, migrated_db):
    """An app on a fresh SQLite database (newest schema) in its own data directory."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Parent:
    """A parent using Minuted through a test client: pages with CSRF tokens, and the API."""

    def __init__(self, app, client, email="parent@example.org"):
        self.app = app
        self.client = client
        self.email = email
        self.token = None

    def csrf(self, path="/"):
        """Return a CSRF token from a page (every page carries one in a meta tag)."""
        response = self.client.get(path)
        match = re.search(r'name="csrf-token" content="([^"]+)"', response.text)
        assert match, f"no CSRF token on {path} ({response.status_code})"
        return match.group(1)

    def create(self):
        """Create this parent's account (the CLI's way) and sign in."""
        from server import auth

        with self.app.app_context():
            auth.create_user(self.email, PASSWORD)
            db.session.commit()
        return self.login()

    def login(self):
        token = self.csrf("/login")
        response = self.client.post("/login", data={"email": self.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.text
        return self

    def post(self, path, data=None, token_from="/"):
        """Submit a form the way the browser does, with its CSRF token."""
        data = dict(data or {})
        data["csrf_token"] = self.csrf(token_from)
        return self.client.post(path, data=data)

    def api_token(self):
        """Make an API token for this parent."""
        from server import auth
        from server.models import User

        with self.app.app_context():
            user = db.session.execute(db.select(User).where(User.email == self.email)).scalar_one()
            self.token = auth.new_token(user)
            db.session.commit()
        return self.token

    def api(self, method, path, json=None, **kwargs):
        """Call /api/v1 with this parent's bearer token."""
        if self.token is None:
            self.api_token()
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kwargs)

    # --- factories through the API: every field has a default, any can be overridden ---

    def make_child(self, **overrides):
        data = {"name": "S.J.", "school": "Oak Primary", "jurisdiction": "england", "plan_type": "ehcp", **overrides}
        response = self.api("POST", "/children", data)
        assert response.status_code == 201, response.json
        return response.json

    def make_meeting(self, child_id=None, **overrides):
        child_id = child_id or self.make_child()["id"]
        data = {"child_id": child_id, "kind": "ehcp_annual_review", "starts_at": "2026-12-01T09:30:00Z", **overrides}
        response = self.api("POST", "/meetings", data)
        assert response.status_code == 201, response.json
        return response.json

    def make_attendee(self, meeting_id, **overrides):
        data = {"name": "Ms Khan", "role": "senco", **overrides}
        response = self.api("POST", f"/meetings/{meeting_id}/attendees", data)
        assert response.status_code == 201, response.json
        return response.json

    def make_agenda_item(self, meeting_id, **overrides):
        data = {"title": "Daily 1:1 reading", "detail": "Since September it has stopped.", **overrides}
        response = self.api("POST", f"/meetings/{meeting_id}/agenda", data)
        assert response.status_code == 201, response.json
        return response.json

    def make_target(self, meeting_id, **overrides):
        data = {"text": "By July 2027 Sam will read 40 words a minute.", "status": "current", **overrides}
        response = self.api("POST", f"/meetings/{meeting_id}/targets", data)
        assert response.status_code == 201, response.json
        return response.json

    def make_provision(self, meeting_id, **overrides):
        data = {"text": "30 minutes of 1:1 phonics with a trained TA, 4 times a week", **overrides}
        response = self.api("POST", f"/meetings/{meeting_id}/provision", data)
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def parent(app, client):
    """A signed-in parent with an account."""
    return Parent(app, client).create()


@pytest.fixture
def other_parent(app):
    """A second account on the same server, with its own client."""
    return Parent(app, app.test_client(), email="other@example.org").create()
