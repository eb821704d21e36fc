"""Logs for an operator (issue 19): one line per record, a UTC timestamp, the request's id; never content."""
import json
import logging
import re
import uuid

import pytest

from conftest import Parent
from server import logs

NOTE = f"SECRET-NOTE-{uuid.uuid4().hex}"


@pytest.fixture
def parent(app):
    return Parent(app, app.test_client()).create()


def _lines(records, style="text"):
    formatter = logs.LineFormatter(style)
    return [formatter.format(r) for r in records]


def test_each_answer_carries_a_request_id(parent):
    r = parent.api("GET", "/children")
    # test that a request without an id gets a new one
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    assert parent.api("GET", "/children").headers["X-Request-Id"] != r.headers["X-Request-Id"]
    # test that a proxy's id is kept, and one that is not a plain token is replaced
    assert parent.api("GET", "/children", headers={"X-Request-Id": "lb-42.a:b"}).headers["X-Request-Id"] == "lb-42.a:b"
    odd = parent.api("GET", "/children", headers={"X-Request-Id": "a b\tc" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-Id"])
    # test that pages, errors and health checks carry one too
    for path in ("/healthz", "/api/v1/nothing-here", "/login"):
        assert parent.client.get(path).headers.get("X-Request-Id")


def test_the_access_line_names_the_route_never_the_path_or_content(parent, caplog):
    meeting = parent.make_meeting()
    caplog.set_level(logging.INFO, logger="server.requests")
    event = {"id": str(uuid.uuid4()), "kind": "note", "at_ms": 1, "payload": {"text": NOTE}}
    r = parent.api("POST", f"/meetings/{meeting['id']}/events?why={NOTE}", {"events": [event]},
                   headers={"X-Request-Id": "req-1"})
    assert r.status_code == 200
    (record,) = [rec for rec in caplog.records if rec.name == "server.requests" and rec.request_id == "req-1"]
    assert (record.method, record.route, record.status) == ("POST", "/api/v1/meetings/<meeting_id>/events", 200)
    assert record.ms >= 0 and record.user
    (line,) = _lines([record])
    # test that the line is one line: timestamp, level, logger, request id, then the fields
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO server\.requests request_id=req-1 msg=request "
                        r"method=POST route=/api/v1/meetings/<meeting_id>/events status=200 ms=[\d.]+ user=\S+", line)
    # test that no record of the request holds the note, the meeting id or the query string
    text = "\n".join(_lines(caplog.records) + _lines(caplog.records, "json"))
    assert NOTE not in text and meeting["id"] not in text


def test_a_failure_is_one_line_with_the_request_id(parent, caplog, monkeypatch):
    from server import timeline

    meeting = parent.make_meeting()

    def broken(*args, **kwargs):
        raise RuntimeError("something broke")

    monkeypatch.setattr(timeline, "apply_batch", broken)
    r = parent.api("POST", f"/meetings/{meeting['id']}/events", {"events": []})
    assert r.status_code == 500
    rid = r.headers["X-Request-Id"]
    (failure,) = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    # test that the failure and its access line share the answer's request id
    assert failure.request_id == rid
    for style in ("text", "json"):
        (line,) = _lines([failure], style)
        assert "\n" not in line and rid in line
        # test that the traceback is folded: frames as file:line function, then the exception
        assert "Traceback" not in line and "^^^" not in line
        assert re.search(r"server/views/api\.py:\d+ post_events", line)
        assert "RuntimeError: something broke" in line
    parsed = json.loads(_lines([failure], "json")[0])
    assert parsed["level"] == "ERROR" and parsed["request_id"] == rid and parsed["ts"].endswith("Z")


def test_a_line_outside_a_request_has_no_id():
    record = logging.LogRecord("server.jobs", logging.INFO, __file__, 1, "job %s done\nnext", ("j1",), None)
    logs.RequestIdFilter().filter(record)
    (line,) = _lines([record])
    assert line.endswith(' server.jobs request_id=- msg="job j1 done\\nnext"')


def test_configure_installs_one_line_handler_once(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    logs.configure("json")
    logs.configure("json")
    assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, logs.LineFormatter)
