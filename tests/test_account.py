"""The parent's own data: download everything, delete everything (audio files included)."""
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest

from server.db import db
from server.models import User
from conftest import PASSWORD


@pytest.fixture
def recorded(parent, app):
    """A meeting with a note on its timeline and a two-chunk recording."""
    meeting = parent.make_meeting()
    mid = meeting["id"]
    parent.make_attendee(mid)
    note = {"id": str(uuid.uuid4()), "kind": "note", "at_ms": 1000, "payload": {"text": "TA left in September"}}
    assert parent.api("POST", f"/meetings/{mid}/events", {"events": [note]}).status_code == 200
    rid = str(uuid.uuid4())
    parent.api("PUT", f"/meetings/{mid}/recordings/{rid}", {"mime": "audio/webm", "at_ms": 0})
    for seq, data in enumerate((b"first-", b"second")):
        parent.api("PUT", f"/meetings/{mid}/recordings/{rid}/chunks/{seq}", data=data,
                   headers={"Content-Type": "audio/webm"})
    folder = Path(app.config["AUDIO_DIR"]) / mid
    assert folder.is_dir()
    return {"meeting": meeting, "recording": rid, "folder": folder}


def test_download_everything(parent, recorded):
    page = parent.client.get("/account")
    assert page.status_code == 200 and "Download my data" in page.text
    response = parent.client.get("/account/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == parent.email
    meeting = data["children"][0]["meetings"][0]
    # test that the export holds the meeting, its timeline and its audio as one file
    assert meeting["attendees"][0]["name"] == "Ms Khan"
    assert [e["payload"]["text"] for e in meeting["events"]] == ["TA left in September"]
    mid, rid = recorded["meeting"]["id"], recorded["recording"]
    assert archive.read(f"audio/{mid}/{rid}.webm") == b"first-second"


def test_export_holds_only_ones_own(parent, other_parent, recorded):
    archive = zipfile.ZipFile(io.BytesIO(other_parent.client.get("/account/export.zip").data))
    assert json.loads(archive.read("data.json"))["children"] == []
    assert not [n for n in archive.namelist() if n.startswith("audio/")]


def test_deleting_a_child_deletes_the_audio_files(parent, recorded):
    child_id = recorded["meeting"]["child_id"]
    assert parent.api("DELETE", f"/children/{child_id}").status_code == 204
    assert not recorded["folder"].exists()


def test_deleting_a_meeting_page_deletes_the_audio_files(parent, recorded):
    response = parent.post(f"/meetings/{recorded['meeting']['id']}/delete")
    assert response.status_code == 302
    assert not recorded["folder"].exists()


def test_delete_account(app, parent, other_parent, recorded):
    other_meeting = other_parent.make_meeting()
    # test that a wrong password (or none) deletes nothing
    for data in ({"password": "not the password at all"}, {"confirm": parent.email}):
        response = parent.post("/account/delete", data)
        assert response.status_code == 302 and recorded["folder"].exists()
    response = parent.post("/account/delete", {"password": PASSWORD})
    assert response.status_code == 302 and response.location == "/login"
    assert '"storage"' in response.headers["Clear-Site-Data"]
    # test that the account, its children, meetings and audio are gone, and nobody else's
    assert not recorded["folder"].exists()
    with app.app_context():
        emails = [u.email for u in db.session.execute(db.select(User)).scalars()]
    assert emails == [other_parent.email]
    assert parent.client.get("/").status_code == 302
    assert other_parent.api("GET", f"/meetings/{other_meeting['id']}").status_code == 200


def test_account_page_needs_login(client):
    assert client.get("/account").status_code == 302
    assert client.get("/account/export.zip").status_code == 302
