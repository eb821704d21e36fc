"""Safe retries (issue 19): the same request twice at once answers as the idempotent case, never a 500.

A phone on a flaky network sends a batch, a chunk, a declaration or a finish
again while the first is still in flight; an upload's retry carries the same
Idempotency-Key. Each is sent in pairs at once, under load, against the app
served by werkzeug's threaded server (tests/security/test_races.py: Served),
on SQLite and on PostgreSQL (marked slow).
"""
import collections
import io
import os
import sqlite3
import uuid

import pytest
import sqlalchemy as sa

from conftest import Parent
from security.test_races import MIME
from security.test_races import at_once
from security.test_races import served  # noqa: F401 (a fixture: the app served on SQLite or PostgreSQL)
from server.db import db
from server.models import Event
from server.models import Recording
from server.models import TranscriptionJob
from test_jobs import speech
from test_jobs import wav
from test_postgres import postgres_url  # noqa: F401 (a fixture: a throwaway PostgreSQL server)


def _event(kind, at_ms, **payload):
    return {"id": str(uuid.uuid4()), "kind": kind, "at_ms": at_ms, "version": 1, "device_id": "phone",
            "payload": payload}


def test_the_same_requests_twice_at_once_answer_as_resends(served):
    mid = served.meeting["id"]
    statuses, failures, sent = collections.Counter(), [], set()

    def note(answers):
        for status, body in answers:
            statuses[status] += 1
            if status >= 300:
                failures.append((status, body))

    # event batches: 8 phones, each sending its batch twice at once (16 requests together), 6 rounds
    for round_ in range(6):
        batches = [[_event("note", round_ * 1000 + n, text=f"note {n}") for n in range(5)] for _ in range(8)]
        if round_ == 0:
            for batch in batches:
                batch.append(_event("attendee", 1, name="Ms Rao", role="class_teacher"))
        sent |= {e["id"] for batch in batches for e in batch}
        note(at_once(16, lambda i: served.json("POST", f"/meetings/{mid}/events", {"events": batches[i // 2]})))

    # recordings: each declared twice at once, each chunk sent twice at once, each finished twice at once
    rids = [str(uuid.uuid4()) for _ in range(6)]
    note(at_once(12, lambda i: served.json("PUT", f"/meetings/{mid}/recordings/{rids[i // 2]}", {"mime": MIME})))
    chunks = {(rid, seq): os.urandom(2000) for rid in rids for seq in (0, 1)}
    for seq in (0, 1):
        note(at_once(12, lambda i: served.put_chunk(mid, rids[i // 2], seq, chunks[rids[i // 2], seq])))
    note(at_once(12, lambda i: served.json("POST", f"/meetings/{mid}/recordings/{rids[i // 2]}/finish",
                                           {"chunks": 2})))

    # test that every request was answered as a first send or a resend: no 500, no 409, no 503
    assert failures == [], (statuses, failures[:3])
    with served.app.app_context():
        stored = db.session.execute(db.select(Event.id).where(Event.meeting_id == mid)).scalars().all()
        assert sorted(stored) == sorted(sent)
        # test that each recording has one transcription job, whichever request made it
        jobs = db.session.execute(db.select(TranscriptionJob.recording_id)).scalars().all()
        assert sorted(jobs) == sorted(rids)
        assert {r.status for r in db.session.execute(db.select(Recording)).scalars()} == {"finished"}


# --- uploads: idempotent by a client key ---


@pytest.fixture(scope="module")
def audio():
    return wav(speech(3))


def _upload(served, audio, key=None, name="a.wav"):
    """POST an upload as multipart; return (status, body)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
             f"Content-Type: audio/wav\r\n\r\n".encode(), audio, f"\r\n--{boundary}--\r\n".encode()]
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return served.call("POST", f"/meetings/{served.meeting['id']}/uploads", b"".join(parts), headers)


def _uploads(app):
    with app.app_context():
        return db.session.execute(
            db.select(Recording.id).where(Recording.source == "upload")).scalars().all()


def test_an_upload_sent_again_with_its_key_is_stored_once(served, audio):
    key = str(uuid.uuid4())
    first = _upload(served, audio, key)
    assert first[0] == 202, first
    # test that a retry after the answer was lost answers with the same recording and job
    again = _upload(served, audio, key)
    assert again[0] == 202 and again[1]["recording_id"] == first[1]["recording_id"]
    assert again[1]["job"]["id"] == first[1]["job"]["id"]
    # test that the same key sent 6 times at once stores one recording between them
    other = str(uuid.uuid4())
    answers = at_once(6, lambda i: _upload(served, audio, other))
    assert [status for status, _ in answers] == [202] * 6, answers
    assert len({body["recording_id"] for _, body in answers}) == 1
    assert len({body["job"]["id"] for _, body in answers}) == 1
    assert len(_uploads(served.app)) == 2
    # test that a key used for another file is refused, and uploads without a key are each kept
    assert _upload(served, audio + b"\0\0", key)[0] == 409
    assert _upload(served, audio)[0] == _upload(served, audio)[0] == 202
    assert len(_uploads(served.app)) == 4
    with served.app.app_context():
        jobs = db.session.execute(db.select(TranscriptionJob.recording_id)).scalars().all()
        assert sorted(jobs) == sorted(_uploads(served.app))


def test_a_bad_idempotency_key_is_refused(served, audio):
    status, body = _upload(served, audio, "x" * 256)
    assert status == 400 and body["error"]["fields"] == {"idempotency_key": "not a key"}
    assert _uploads(served.app) == []


def test_the_same_key_from_another_account_is_another_upload(app, audio):
    mine, theirs = Parent(app, app.test_client()).create(), Parent(app, app.test_client(), "b@example.org").create()
    ids = []
    for parent in (mine, theirs):
        meeting = parent.make_meeting()
        r = parent.api("POST", f"/meetings/{meeting['id']}/uploads", headers={"Idempotency-Key": "k1"},
                       data={"file": (io.BytesIO(audio), "a.wav", "audio/wav")})
        assert r.status_code == 202, r.json
        ids.append(r.json["recording_id"])
    assert ids[0] != ids[1]


# --- a database that is busy or away: 503 and Retry-After, not 500 ---


@pytest.mark.parametrize("error, status", [
    (sa.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked")), 503),
    (sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: meeting")), 500),
])
def test_a_busy_database_answers_503_to_send_again(app, monkeypatch, error, status):
    from server import timeline

    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()

    def locked(*args, **kwargs):
        raise error

    monkeypatch.setattr(timeline, "apply_batch", locked)
    r = parent.api("POST", f"/meetings/{meeting['id']}/events", {"events": [_event("note", 1, text="x")]})
    assert r.status_code == status
    if status == 503:
        # test that the phone hears "send it again" in the one error shape (its outbox retries 5xx)
        assert r.json["error"]["code"] == "busy" and r.headers["Retry-After"] == "1"
