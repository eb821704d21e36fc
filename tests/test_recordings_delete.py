"""Deleting one recording: its audio, chunks, transcript and what was drawn from it go; the minutes say so."""
import uuid
from pathlib import Path

from server import audio_store
from server.db import db
from server.models import Chunk
from server.models import Meeting
from server.models import Recording
from server.models import TranscriptionJob
from server.models import TranscriptSegment


def recorded_meeting(parent, app):
    meeting = parent.make_meeting()
    rid = str(uuid.uuid4())
    r = parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}",
                   {"mime": "audio/webm;codecs=opus", "at_ms": 61_000, "device_id": "phone-1"})
    assert r.status_code == 201
    for seq in range(3):
        r = parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}/chunks/{seq}", data=b"x" * 100 + bytes([seq]),
                       headers={"Content-Type": "audio/webm;codecs=opus"})
        assert r.status_code in (200, 201)
    with app.app_context():
        db.session.add(TranscriptSegment(meeting_id=meeting["id"], recording_id=rid, start_ms=61_000, end_ms=64_000,
                                         text="We can't offer that, I'm afraid.", words=[]))
        db.session.commit()
        folder = audio_store.recording_dir(db.session.get(Recording, rid))
    assert len(list(Path(folder).iterdir())) == 3
    return meeting, rid, folder


def test_the_owner_deletes_one_recording_and_everything_from_it(app, parent):
    meeting, rid, folder = recorded_meeting(parent, app)
    mid = meeting["id"]
    assert "We can't offer that" in parent.api("GET", f"/meetings/{mid}/transcript").get_data(as_text=True)
    r = parent.api("DELETE", f"/meetings/{mid}/recordings/{rid}")
    assert r.status_code == 204
    assert not Path(folder).exists()
    with app.app_context():
        assert db.session.get(Recording, rid) is None
        assert db.session.execute(db.select(Chunk).where(Chunk.recording_id == rid)).first() is None
        assert db.session.execute(db.select(TranscriptSegment).where(TranscriptSegment.meeting_id == mid)).first() is None
        assert len(db.session.get(Meeting, mid).recordings_deleted) == 1
    assert "We can't offer that" not in parent.api("GET", f"/meetings/{mid}/transcript").get_data(as_text=True)
    assert parent.api("GET", f"/meetings/{mid}/suggestions").json["suggestions"] == []
    markdown = parent.api("POST", f"/meetings/{mid}/minutes", {}).json["markdown"]
    assert "- A recording that started at " in markdown and "was deleted by the parent on" in markdown
    # test that it is gone for good: a second delete is a 404
    assert parent.api("DELETE", f"/meetings/{mid}/recordings/{rid}").status_code == 404


def test_a_recording_being_transcribed_is_not_deleted_under_the_worker(app, parent):
    meeting, rid, folder = recorded_meeting(parent, app)
    with app.app_context():
        db.session.add(TranscriptionJob(meeting_id=meeting["id"], recording_id=rid, status="running"))
        db.session.commit()
    r = parent.api("DELETE", f"/meetings/{meeting['id']}/recordings/{rid}")
    assert r.status_code == 409 and r.json["error"]["code"] == "transcribing"
    assert Path(folder).exists()


def test_only_the_owner_can_delete(app, parent, other_parent):
    meeting, rid, folder = recorded_meeting(parent, app)
    assert other_parent.api("DELETE", f"/meetings/{meeting['id']}/recordings/{rid}").status_code == 404
    assert parent.api("DELETE", f"/meetings/{meeting['id']}/recordings/{uuid.uuid4()}").status_code == 404
    assert Path(folder).exists()


def test_the_transcript_page_deletes_after_a_confirmation(app, parent):
    meeting, rid, folder = recorded_meeting(parent, app)
    page = f"/meetings/{meeting['id']}/transcript"
    assert "Delete recording 1" in parent.client.get(page).text
    r = parent.post(f"/meetings/{meeting['id']}/recordings/{rid}/delete", {}, token_from=page)
    assert r.status_code == 302 and Path(folder).exists()  # not ticked: nothing deleted
    r = parent.post(f"/meetings/{meeting['id']}/recordings/{rid}/delete", {"confirm": "yes"}, token_from=page)
    assert r.status_code == 302 and not Path(folder).exists()
