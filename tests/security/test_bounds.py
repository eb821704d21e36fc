"""Bounded requests: JSON bodies have a small size limit, lists have caps, nesting has a depth (issue 18).

A body that says it is over its limit is refused before any of it is read;
one sent in chunks is cut off at the limit. The memory test starts the app in
a subprocess (werkzeug) and checks its peak RSS after 100 MB bodies sent both
ways.
"""
import io
import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from server import prep
from server import timeline
from server.db import db
from server.models import Attendee

ROOT = Path(__file__).resolve().parents[2]


def assert_error(response, status, code=None):
    assert response.status_code == status, response.data[:300]
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


class Tracked(io.BytesIO):
    """An input stream that counts the bytes the server reads from it."""

    read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.read_bytes += n
        return n

    def readline(self, size=-1):
        line = super().readline(size)
        self.read_bytes += len(line)
        return line


def test_limits_are_configured():
    # test that JSON bodies get a limit far below the audio upload's, and the batch's fits the PWA's biggest
    from server.config import defaults

    cfg = defaults()
    assert cfg["MAX_JSON_BYTES"] == 2 * 1024 * 1024
    assert cfg["MAX_JSON_BYTES"] <= cfg["MAX_EVENTS_BYTES"] <= cfg["MAX_CONTENT_LENGTH"] // 20


@pytest.mark.parametrize("path", ["/children", "/meetings/{mid}/events", "/meetings/{mid}/minutes/preview"])
def test_a_body_over_the_limit_is_refused_unread(app, parent, path):
    # test that a Content-Length over the limit gets a 413 in the one shape before a byte of the body is read
    mid = parent.make_meeting()["id"]
    limit = app.config["MAX_EVENTS_BYTES" if path.endswith("/events") else "MAX_JSON_BYTES"]
    stream = Tracked(b'{"name": "x"}')
    response = parent.api("POST", path.format(mid=mid), input_stream=stream,
                          headers={"Content-Type": "application/json"},
                          environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert_error(response, 413, "too_large")
    assert stream.read_bytes == 0


def test_forms_and_other_routes_share_the_small_limit_but_uploads_keep_theirs(app, parent):
    # test that the page forms get the JSON limit, while an audio upload is judged by MAX_CONTENT_LENGTH
    mid = parent.make_meeting()["id"]
    big = app.config["MAX_JSON_BYTES"] + 1
    stream = Tracked(b"")
    page = parent.client.post("/children/new", input_stream=stream, content_type="application/x-www-form-urlencoded",
                              environ_overrides={"CONTENT_LENGTH": str(big)})
    assert page.status_code == 413 and stream.read_bytes == 0
    upload = parent.api("POST", f"/meetings/{mid}/uploads", data={"at_ms": "0"})
    assert upload.status_code != 413  # a small upload without a file: refused for that, not for its size


def test_a_chunked_body_is_cut_off_at_the_limit(app, parent):
    # test that a body without a Content-Length is read only up to the limit, then 413
    limit = app.config["MAX_JSON_BYTES"]
    stream = Tracked(b'{"name": "' + b"x" * (4 * limit) + b'"}')
    response = parent.api("POST", "/children", input_stream=stream, headers={"Content-Type": "application/json"},
                          environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    assert_error(response, 413, "too_large")
    assert stream.read_bytes <= limit + 64 * 1024


def test_the_pwas_biggest_batch_fits(app, parent):
    # test that 500 events of 4,000 three-byte characters each (the PWA's batch and its textarea's limit) are taken
    meeting = parent.make_meeting()
    mid, attendee = meeting["id"], parent.make_attendee(meeting["id"])["id"]
    events = [{
        "id": str(uuid.uuid4()), "kind": "refused", "at_ms": 60_000 + i, "wall_time": "2026-12-01T09:31:00.000Z",
        "device_id": str(uuid.uuid4()), "version": 1, "deleted": False,
        "payload": {"text": "€" * 4000, "reason": "other: " + "€" * 500, "by": attendee, "speaking": attendee},
    } for i in range(timeline.MAX_BATCH)]
    raw = json.dumps({"device_id": str(uuid.uuid4()), "events": events}, ensure_ascii=False).encode()
    assert app.config["MAX_JSON_BYTES"] < len(raw) < app.config["MAX_EVENTS_BYTES"]
    response = parent.api("POST", f"/meetings/{mid}/events", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.data[:300]
    assert len(response.json["accepted"]) == timeline.MAX_BATCH


def test_lists_have_caps(app, parent):
    # test that each list the API takes has a cap, answered 413 or 422 in the one shape
    meeting = parent.make_meeting()
    mid = meeting["id"]
    events = [{"id": str(uuid.uuid4()), "kind": "note", "at_ms": 1, "payload": {"text": "x"}}
              for _ in range(timeline.MAX_BATCH + 1)]
    assert_error(parent.api("POST", f"/meetings/{mid}/events", {"events": events}), 413, "too_large")
    too_many = [f"p{i}@school.org" for i in range(21)]
    assert_error(parent.api("POST", f"/meetings/{mid}/minutes/send", {"to": too_many}), 422)
    assert_error(parent.api("POST", f"/meetings/{mid}/minutes", {"replace": ["x"] * 101}), 422)
    item = parent.make_agenda_item(mid)
    assert_error(parent.api("PUT", f"/meetings/{mid}/agenda/order", {"ids": [item["id"]] * 10_000}), 422)
    # rows: a meeting's people (by the API, and by events made in the room)
    with app.app_context():
        for i in range(prep.MAX_ROWS["attendees"]):
            db.session.add(Attendee(meeting_id=mid, name=f"P{i}", role="senco", position=i))
        db.session.commit()
    error = assert_error(parent.api("POST", f"/meetings/{mid}/attendees", {"name": "One more", "role": "senco"}), 422)
    assert "name" in error["fields"]
    joined = {"id": str(uuid.uuid4()), "kind": "attendee", "at_ms": 5, "payload": {"name": "Mr X", "role": "senco"}}
    assert_error(parent.api("POST", f"/meetings/{mid}/events", {"events": [joined]}), 422, "invalid_events")


def test_values_and_depth_are_bounded(parent):
    # test that more than MAX_ITEMS values is a 413 and nesting past MAX_DEPTH a 400, before parsing
    from server import jsonbody

    many = b'{"name": "x", "n": [' + b"1," * jsonbody.MAX_ITEMS + b"1]}"
    assert_error(parent.api("POST", "/children", data=many, headers={"Content-Type": "application/json"}), 413)
    deep = b'{"name": ' + b"[" * (jsonbody.MAX_DEPTH + 1) + b"]" * (jsonbody.MAX_DEPTH + 1) + b"}"
    assert_error(parent.api("POST", "/children", data=deep, headers={"Content-Type": "application/json"}), 400)
    mixed = b'{"a":' + b'[{"b":' * 40 + b"1" + b"}]" * 40 + b"}"  # never 33 of one bracket in a row
    assert_error(parent.api("POST", "/children", data=mixed, headers={"Content-Type": "application/json"}), 400)
    ok = b'{"name": "x", "n": ' + b"[" * 20 + b"]" * 20 + b"}"
    assert parent.api("POST", "/children", data=ok, headers={"Content-Type": "application/json"}).status_code == 201


# --- peak memory of a real server ------------------------------------------------

SERVER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from werkzeug.serving import make_server
    from server import auth, create_app
    from server.db import db
    from server.models import Child, Meeting

    app = create_app({"DATA_DIR": sys.argv[1], "SECRET_KEY": "x", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024})
    with app.app_context():
        user = auth.create_user("mem@example.org", "correct horse battery staple")
        token = auth.new_token(user)
        child = Child(user_id=user.id, name="S", jurisdiction="england", plan_type="ehcp")
        meeting = Meeting(child=child, kind="ehcp_annual_review", starts_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    server = make_server("127.0.0.1", 0, app)
    print(server.server_port, token, meeting_id, flush=True)
    server.serve_forever()
""")


def peak_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def http(port, head, body_chunks):
    """Send a request head and then body chunks (stopping when the server closes); return the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest: the point
        try:
            reply = sock.recv(4096)
        except ConnectionResetError:
            reply = b""
    assert reply.startswith(b"HTTP/1."), reply[:200]
    return int(reply.split()[1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_100_mb_body_costs_the_server_little_memory(tmp_path, migrated_db):
    # test that 100 MB of events, announced or chunked, raise the server's peak RSS by far less than they weigh
    data = tmp_path / "data"
    data.mkdir()
    data.joinpath("minuted.sqlite3").write_bytes(migrated_db.read_bytes())
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(data)], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        port, token, meeting_id = proc.stdout.readline().decode().split()
        port = int(port)
        auth = f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        path = f"/api/v1/meetings/{meeting_id}/events"
        # warm up: the first request loads the views, the ORM and the token check
        small = b'{"events": []}'
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {len(small)}\r\n\r\n".encode()
        assert http(port, head, [small]) == 200
        baseline = peak_rss_kib(proc.pid)

        event = b'{"id": "x", "kind": "note", "payload": {"text": "' + b"x" * 60_000 + b'"}},'
        pieces = [b'{"events": ['] + [event] * (100 * 1024 * 1024 // len(event)) + [b"{}]}"]
        size = sum(map(len, pieces))
        started = time.monotonic()
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {size}\r\n\r\n".encode()
        assert http(port, head, pieces) == 413
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\n".encode()
        chunked = itertools.chain((b"%x\r\n%s\r\n" % (len(p), p) for p in pieces), [b"0\r\n\r\n"])
        assert http(port, head, chunked) == 413
        grew_mib = (peak_rss_kib(proc.pid) - baseline) / 1024
        assert grew_mib < 64, f"peak RSS grew {grew_mib:.0f} MiB for 100 MB bodies"
        assert time.monotonic() - started < 20
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_a_page_form_with_a_nul_is_refused_before_anything_is_stored(app, parent):
    """Pages read forms without the JSON reader: a NUL (which PostgreSQL cannot store) is refused for all of them."""
    r = parent.post("/account/profile", {"display_name": "Alex\x00Jones", "signature": ""}, token_from="/account")
    assert r.status_code == 400
    from server.db import db
    from server.models import User

    with app.app_context():
        assert db.session.execute(db.select(User.display_name).where(User.email == parent.email)).scalar() != \
            "Alex\x00Jones"
