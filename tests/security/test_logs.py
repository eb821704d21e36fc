"""Logs: notes, reasons and other meeting data never reach them, even at DEBUG (issue 18; README: Privacy).

A whole scenario runs against the threaded server with every logger at DEBUG
and everything captured (a file on the root logger, pytest's capture, the
process's stdout and stderr): racing event batches and chunks, a database
error forced while the SQL parameters hold a note (a 500), and reading the
timeline back (SQLAlchemy logs result rows at DEBUG). The distinctive texts
must appear in none of it, while the log still says what failed.
"""
import logging
import os
import uuid

import pytest
import sqlalchemy as sa

from server.db import db

from .test_races import MIME
from .test_races import at_once
from .test_races import declare
from .test_races import served  # noqa: F401 (a fixture)

SECRETS = [f"SECRET-{kind}-{uuid.uuid4().hex}" for kind in ("NOTE", "REASON", "FORCED", "PG")]


@pytest.fixture
def all_logs(tmp_path, caplog):
    """Every logger at DEBUG into a file on the root logger (and caplog); yields the file's path."""
    path = tmp_path / "all.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(logger, logger.level) for logger in loggers]
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    handler.close()
    for logger, level in levels:
        logger.setLevel(level)


def _event(kind, at_ms, version=1, event_id=None, **payload):
    return {"id": event_id or str(uuid.uuid4()), "kind": kind, "at_ms": at_ms, "version": version,
            "device_id": "phone-1", "payload": payload}


@pytest.mark.parametrize("served", ["sqlite"], indirect=True)
def test_meeting_data_never_reaches_the_logs(served, all_logs, caplog, capfd):
    note, reason, forced, pg = SECRETS
    mid = served.meeting["id"]
    batch = [_event("note", 10, text=f"She said {note}"), _event("refused", 20, text="1:1 TA", reason=reason)]
    # a phone's racing resends, and racing edits
    results = at_once(10, lambda i: served.json("POST", f"/meetings/{mid}/events", {"events": batch}))
    assert [status for status, _ in results] == [200] * 10
    edit = [dict(batch[0], version=2, payload={"text": f"Edited: {note}"})]
    assert {s for s, _ in at_once(6, lambda i: served.json("POST", f"/meetings/{mid}/events", {"events": edit}))} \
        == {200}
    # racing chunks, the same bytes and different bytes
    rid = declare(served)
    data = os.urandom(4096)
    assert sorted(s for s, _ in at_once(8, lambda i: served.put_chunk(mid, rid, 0, data))) == [200] * 7 + [201]
    assert sorted(s for s, _ in at_once(8, lambda i: served.put_chunk(mid, rid, 1, os.urandom(99)))) \
        == [201] + [409] * 7
    # a database error while the statement's parameters hold a note: a 500, logged
    with served.app.app_context():
        db.session.execute(sa.text(
            "CREATE TRIGGER refuse_forced BEFORE INSERT ON event WHEN NEW.payload LIKE '%SECRET-FORCED%' "
            "BEGIN SELECT RAISE(ABORT, 'forced for the test'); END"))
        db.session.commit()
    status, body = served.json("POST", f"/meetings/{mid}/events", {"events": [_event("note", 30, text=forced)]})
    assert status == 500 and body["error"]["code"] == "server_error"
    # what SQLAlchemy logs at DEBUG: the statements, their (hidden) parameters and the rows read back
    status, body = served.call("GET", f"/meetings/{mid}/events")
    assert status == 200 and note in str(body) and reason in str(body)
    # an error as PostgreSQL words it: the failing row in its message
    try:
        raise sa.exc.IntegrityError("INSERT INTO event (payload) VALUES (%(payload)s)", {"payload": pg},
                                    Exception(f'null value in column "kind"\nDETAIL: Failing row contains ({pg}).'))
    except sa.exc.IntegrityError as e:
        logging.getLogger("server.somewhere").exception("storing failed: %s", e)
        logging.getLogger("werkzeug").error("Error on request: %r", e, exc_info=True)

    served.close()  # every request logged before reading the logs
    out, err = capfd.readouterr()
    logged = {"file": all_logs.read_text(encoding="utf-8"), "caplog": caplog.text, "stdout": out, "stderr": err}
    for where, text in logged.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} reached {where}"
    # test that the log still says what went wrong, and that SQLAlchemy logged at DEBUG at all
    log = logged["file"]
    assert "unhandled error on POST" in log and "IntegrityError" in log and "Traceback" in log
    assert "SELECT event.id" in log and "parameters hidden" in log and "Row [hidden" in log
    assert "storing failed" in log and "Failing row" not in log
