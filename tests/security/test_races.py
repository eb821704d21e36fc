"""Races: a phone on a flaky network resends while its first request is still in flight (issue 18).

The app is served by werkzeug's threaded server in this process, so requests
really overlap: the same chunk sent by 20 threads is stored once and every
sender hears success; different bytes for one chunk store one of them and the
rest get a 409; a batch of events sent 10 times at once stores each event
once. The PostgreSQL run (marked slow) starts its own server like
tests/test_postgres.py does.
"""
import hashlib
import http.client
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import Parent
from conftest import make_app
from server import audio_store
from server.db import db
from server.db import upgrade
from server.models import Attendee
from server.models import Chunk
from server.models import Event
from server.models import EventRevision
from test_postgres import postgres_url  # noqa: F401 (a fixture: a throwaway PostgreSQL server)

MIME = "audio/webm;codecs=opus"


class Served:
    """The app on a free port, in a thread of this process, called with a bearer token."""

    def __init__(self, app, token):
        self.app = app
        self.token = token
        self.http = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def call(self, method, path, body=b"", headers=None):
        """Return (status, JSON body or None) for one request on its own connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.http.server_port, timeout=60)
        try:
            connection.request(method, "/api/v1" + path, body=body,
                               headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
            response = connection.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data else None
        finally:
            connection.close()

    def json(self, method, path, payload):
        return self.call(method, path, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def put_chunk(self, meeting_id, rid, seq, data):
        headers = {"Content-Type": MIME, "X-Content-SHA256": hashlib.sha256(data).hexdigest()}
        return self.call("PUT", f"/meetings/{meeting_id}/recordings/{rid}/chunks/{seq}", data, headers)

    def close(self):
        self.http.shutdown()
        self.thread.join(10)
        self.http.server_close()


def at_once(n, send):
    """Run send(i) for i in range(n) on n threads released together; return the results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait(30)
        return send(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def served(request, tmp_path):
    """A parent's meeting on the served app (SQLite, or PostgreSQL when marked slow)."""
    if request.param == "sqlite":
        app = request.getfixturevalue("app")
    else:
        app = make_app(tmp_path / "pg-data", DATABASE_URL=request.getfixturevalue("postgres_url"))
        with app.app_context():
            upgrade()
    parent = Parent(app, app.test_client()).create()
    served = Served(app, parent.api_token())
    served.meeting = parent.make_meeting()
    served.parent = parent
    yield served
    served.close()
    with app.app_context():
        db.session.remove()
        if request.param != "sqlite":
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        db.engine.dispose()


def declare(served, rid=None):
    rid = rid or str(uuid.uuid4())
    status, _ = served.json("PUT", f"/meetings/{served.meeting['id']}/recordings/{rid}", {"mime": MIME})
    assert status in (200, 201)
    return rid


def stored_chunks(app, rid):
    with app.app_context():
        return [(c.seq, c.sha256, Path(c.path)) for c in db.session.execute(
            db.select(Chunk).where(Chunk.recording_id == rid).order_by(Chunk.seq)).scalars()]


def temp_files(app):
    folder = Path(app.config["AUDIO_DIR"]) / audio_store.TEMP
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_identical_chunk_sent_at_once_is_stored_once(served):
    rid = declare(served)
    for seq in range(3):
        data = os.urandom(64 * 1024)
        sha = hashlib.sha256(data).hexdigest()
        results = at_once(20, lambda i: served.put_chunk(served.meeting["id"], rid, seq, data))
        # test that every sender hears success (one 201 Created, the resends 200) with the same checksum
        assert sorted(status for status, _ in results) == [200] * 19 + [201], results
        assert {body["sha256"] for _, body in results} == {sha}
    rows = stored_chunks(served.app, rid)
    assert [seq for seq, _, _ in rows] == [0, 1, 2]
    for _, sha, path in rows:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert temp_files(served.app) == []


def test_different_bytes_for_one_chunk_store_one_and_refuse_the_rest(served):
    rid = declare(served)
    for seq in range(3):
        bodies = [os.urandom(32 * 1024) for _ in range(20)]
        results = at_once(20, lambda i: served.put_chunk(served.meeting["id"], rid, seq, bodies[i]))
        statuses = [status for status, _ in results]
        assert sorted(statuses) == [201] + [409] * 19, results
        winner = bodies[statuses.index(201)]
        # test that the refusals are in the one error shape
        for status, body in results:
            if status == 409:
                assert body["error"]["code"] == "conflict" and body["error"]["message"]
        (stored_seq, sha, path), = [row for row in stored_chunks(served.app, rid) if row[0] == seq]
        # test that the file on disk is the one its row's checksum describes
        assert sha == hashlib.sha256(winner).hexdigest()
        assert path.read_bytes() == winner
    assert temp_files(served.app) == []


def test_event_batch_sent_at_once_stores_each_event_once(served):
    mid = served.meeting["id"]
    person = str(uuid.uuid4())

    def event(kind, at_ms, version=1, event_id=None, **payload):
        return {"id": event_id or str(uuid.uuid4()), "kind": kind, "at_ms": at_ms, "version": version,
                "device_id": "phone-1", "payload": payload}

    batch = [
        event("attendee", 10, event_id=person, name="Mr Obi", role="class_teacher"),
        event("note", 20, text="She reads with a ruler now", speaking=person),
        event("refused", 30, text="1:1 TA in the afternoons", reason="budget", by=person),
        event("action", 40, text="Send the provision map", owner=person),
    ]
    results = at_once(10, lambda i: served.json("POST", f"/meetings/{mid}/events", {"events": batch}))
    assert [status for status, _ in results] == [200] * 10, results
    expected = [{"id": e["id"], "version": 1} for e in batch]
    assert all(body["accepted"] == expected for _, body in results)
    status, body = served.call("GET", f"/meetings/{mid}/events")
    assert sorted(e["id"] for e in body["events"]) == sorted(e["id"] for e in batch)
    with served.app.app_context():
        assert db.session.execute(db.select(db.func.count()).where(Attendee.id == person)).scalar() == 1

    # test that racing edits still follow the versions: the highest wins, each old version kept once
    note = batch[1]
    edits = [dict(note, version=2, payload={"text": "v2"}), dict(note, version=3, payload={"text": "v3"})]
    results = at_once(10, lambda i: served.json("POST", f"/meetings/{mid}/events", {"events": [edits[i % 2]]}))
    assert [status for status, _ in results] == [200] * 10, results
    with served.app.app_context():
        row = db.session.get(Event, note["id"])
        assert (row.version, row.payload) == (3, {"text": "v3"})
        kept = db.session.execute(
            db.select(EventRevision.version).where(EventRevision.event_id == note["id"])).scalars().all()
        assert 1 in kept and len(kept) == len(set(kept)) and set(kept) <= {1, 2}


def test_recording_declared_at_once_is_created_once(served):
    rid = str(uuid.uuid4())
    path = f"/meetings/{served.meeting['id']}/recordings/{rid}"
    results = at_once(10, lambda i: served.json("PUT", path, {"mime": MIME, "at_ms": 0}))
    assert sorted(status for status, _ in results) == [200] * 9 + [201], results


# --- finish: bounded work whatever number a phone sends ---


def _finish(parent, meeting, rid, payload):
    return parent.api("POST", f"/meetings/{meeting['id']}/recordings/{rid}/finish", payload)


def _put(parent, meeting, rid, seq, data):
    return parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}/chunks/{seq}", data=data,
                      headers={"Content-Type": MIME})


@pytest.fixture
def recording(parent):
    meeting = parent.make_meeting()
    rid = str(uuid.uuid4())
    assert parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}", {"mime": MIME}).status_code == 201
    return meeting, rid


def test_finish_refuses_a_huge_chunk_count_quickly(parent, recording):
    meeting, rid = recording
    assert _put(parent, meeting, rid, 0, b"a" * 10).status_code == 201
    started = time.monotonic()
    response = _finish(parent, meeting, rid, {"chunks": 20_000_000})
    assert time.monotonic() - started < 1
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid" and "chunks" in response.json["error"]["fields"]
    assert len(response.data) < 1000
    for bad in (True, "3", -1, 1.5, [1], audio_store.MAX_CHUNKS + 1):
        response = _finish(parent, meeting, rid, {"chunks": bad})
        assert response.status_code == 422, bad
        assert set(response.json) == {"error"}
    # test that nothing was finished by the refused calls
    assert parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}").json["status"] == "recording"


def test_finish_caps_the_missing_list_and_counts_the_rest(parent, recording):
    meeting, rid = recording
    assert _put(parent, meeting, rid, 1, b"b" * 10).status_code == 201
    body = _finish(parent, meeting, rid, {"chunks": audio_store.MAX_CHUNKS}).json
    assert body["status"] == "recording"
    assert body["missing_count"] == audio_store.MAX_CHUNKS - 1
    assert body["missing"] == [0] + list(range(2, audio_store.MAX_MISSING + 1))


def test_finish_still_works(parent, recording):
    meeting, rid = recording
    for seq in range(3):
        assert _put(parent, meeting, rid, seq, bytes([65 + seq]) * 10).status_code == 201
    assert _finish(parent, meeting, rid, {"chunks": 4}).json == {"status": "recording", "missing": [3],
                                                                 "missing_count": 1}
    assert _put(parent, meeting, rid, 3, b"d" * 10).status_code == 201
    assert _finish(parent, meeting, rid, {"chunks": 4}).json == {"status": "finished", "missing": [],
                                                                 "missing_count": 0}
    # without a count, the chunks stored so far are the whole recording
    _, other = str(uuid.uuid4()), str(uuid.uuid4())
    parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{other}", {"mime": MIME})
    assert _finish(parent, meeting, other, {"chunks": None}).json["status"] == "finished"


# --- temporary files: one per request, swept at start-up ---


def test_start_up_sweeps_stale_temp_files_only(tmp_path):
    data = tmp_path / "data"
    audio = data / "audio"
    temp = audio / audio_store.TEMP
    legacy = audio / "m1" / "r1"
    cache = data / "cache" / "audio" / "m1"
    for folder in (temp, legacy, cache):
        folder.mkdir(parents=True)
    old = time.time() - 2 * audio_store.TEMP_MAX_AGE
    stale = [temp / "abc.tmp", legacy / ".000003-x1.tmp", legacy / ".upload-y2.tmp", cache / "r1-3-000002.tmp"]
    fresh = [temp / "def.tmp", legacy / ".000004-x3.tmp"]
    kept = [legacy / "000001.chunk", cache / "r1-3-000002"]
    for path in stale + fresh + kept:
        path.write_bytes(b"x")
    for path in stale + kept:
        os.utime(path, (old, old))
    make_app(data)
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in fresh + kept)
