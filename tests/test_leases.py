"""Jobs never stall: a short lease renewed on a timer, a quick takeover, SIGTERM hands the job back.

The fake engine, slowed down, stands in for Whisper: what is tested is who
holds a job and when, not what it hears. The process tests run real
`minuted worker` processes on the SQLite queue.
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from server import jobs
from server.db import db
from server.db import now_utc
from server.models import TranscriptionJob
from test_jobs import _app
from test_jobs import parent_of
from test_jobs import send_chunks
from test_jobs import speech
from test_jobs import texts
from test_jobs import webm
from test_worker_kill import stop
from test_worker_kill import wait_for
from transcribe import FakeTranscriber

LAUNCH = """
import os, sys, time
from transcribe import engines
hear = engines.FakeTranscriber.transcribe
def slow(self, audio, **kwargs):
    time.sleep(float(os.environ["SLOW_S"]))
    return hear(self, audio, **kwargs)
engines.FakeTranscriber.transcribe = slow
from server.cli import main
main([*sys.argv[2:], "--data", sys.argv[1]])
"""


class Slow(FakeTranscriber):
    """The fake engine, taking ``seconds`` over every window."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def transcribe(self, audio, **kwargs):
        time.sleep(self.seconds)
        return super().transcribe(audio, **kwargs)


@pytest.fixture
def queued_app(tmp_path, migrated_db):
    """An app with a real SQLite queue that nothing consumes, and a lease of 0.6 s."""
    app = _app(tmp_path, migrated_db, JOB_LEASE_S=0.6, WHISPER_BATCH_SIZE=1, VOICES=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def the_job(app):
    with app.app_context():
        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        db.session.expunge(job)
        return job


def test_a_window_longer_than_the_lease_keeps_its_job(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(40)))
    queued_app.extensions["minuted.transcriber"] = Slow(0.9)  # each window outlasts the 0.6-s lease
    job_id = the_job(queued_app).id

    def work():
        with queued_app.app_context():
            jobs.run_job(job_id)

    worker = threading.Thread(target=work)
    worker.start()
    taken = 0
    while worker.is_alive():
        with queued_app.app_context():
            taken += jobs.take_over()  # what every other worker's lease watcher does
        time.sleep(0.1)
    worker.join()
    # test that the heartbeat kept the lease: nobody took the job over, it was claimed once and finished
    job = the_job(queued_app)
    assert taken == 0 and (job.status, job.attempts) == ("done", 1)


def test_a_job_whose_worker_stopped_beating_goes_back_to_the_queue_once(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(10)))
    huey = queued_app.extensions["huey"]
    huey.flush()
    with queued_app.app_context():
        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        # a worker on another machine, beating until a moment ago
        job.status, job.attempts = "running", 1
        job.state = {"owner": "elsewhere:42", "committed_ms": 5000}
        db.session.commit()
        assert jobs.take_over() == 0 and huey.pending_count() == 0
        # test that once its lease has run out the job is queued again, at its saved point, once
        job.updated_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
        assert jobs.take_over() == 1 and jobs.take_over() == 0
        assert huey.pending_count() == 1
        job = db.session.get(TranscriptionJob, job.id, populate_existing=True)
        assert (job.status, job.attempts, job.state) == ("queued", 1, {"committed_ms": 5000})
    # test that the next worker resumes it and finishes
    with queued_app.app_context():
        huey.execute(huey.dequeue())
    job = the_job(queued_app)
    assert (job.status, job.attempts) == ("done", 2)


def test_a_job_taken_over_stops_its_old_worker_at_the_next_piece(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(120)))
    queued_app.extensions["minuted.transcriber"] = Slow(0.3)
    job_id = the_job(queued_app).id
    outcome = {}

    def work():
        with queued_app.app_context():
            jobs.run_job(job_id)
            outcome["job"] = db.session.get(TranscriptionJob, job_id, populate_existing=True).attempts

    worker = threading.Thread(target=work)
    worker.start()
    wait_for(lambda: the_job(queued_app).processed_ms > 0, timeout=30, what="a first window")
    with queued_app.app_context():
        # another worker claims it (as after a partition): attempt 2 fences the first
        db.session.execute(db.update(TranscriptionJob).values(attempts=2, status="queued"))
        db.session.commit()
    worker.join(30)
    assert not worker.is_alive()
    job = the_job(queued_app)
    # test that the old worker stopped without finishing or failing the job
    assert (job.status, job.attempts, job.error) == ("queued", 2, None)


# --- real worker processes ----------------------------------------------


def start(data, tmp_path, slow_s=0.0, lease_s=2, name="worker", command=("worker",), **settings):
    """Start `minuted worker` (or command) on data, the fake engine taking slow_s a window; settings: environment."""
    launcher = tmp_path / "launch.py"
    launcher.write_text(LAUNCH)
    env = {**os.environ, "MINUTED_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "SLOW_S": str(slow_s),
           "MINUTED_WHISPER_ENGINE": "fake", "MINUTED_WHISPER_BATCH_SIZE": "1", "MINUTED_VOICES": "false",
           "MINUTED_JOB_LEASE_S": str(lease_s), **settings}
    log = open(tmp_path / f"{name}.log", "ab")
    proc = subprocess.Popen([sys.executable, str(launcher), str(data), *command], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    proc.log = log
    return proc


def row(data):
    with sqlite3.connect(data / "minuted.sqlite3", timeout=10) as con:
        status, processed, attempts, state = con.execute(
            "SELECT status, processed_ms, attempts, state FROM transcription_job").fetchone()
    return status, processed, attempts, json.loads(state or "{}")


@pytest.fixture
def recorded(tmp_path, migrated_db):
    """A minute and a half of "speech" sent as chunks to an app whose SQLite queue only worker processes consume."""
    app = _app(tmp_path, migrated_db)
    parent = parent_of(app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(90)))
    yield app, tmp_path / "data", meeting["id"]
    with app.app_context():
        db.engine.dispose()


def finish_and_check(app, data, tmp_path, meeting_id, claims):
    """Run a quick worker to the end; check the job was claimed ``claims`` times and nothing is doubled."""
    worker = start(data, tmp_path, name="finisher")
    try:
        done = wait_for(lambda: (r := row(data)) and r[0] in ("done", "failed") and r, timeout=60, proc=worker,
                        what="the job to finish")
    finally:
        stop(worker)
        worker.log.close()
    assert done[:1] + done[2:3] == ("done", claims), (done, (tmp_path / "finisher.log").read_text()[-2000:])
    starts = [start for start, _ in texts(app, meeting_id)]
    assert starts and len(starts) == len(set(starts))


@pytest.mark.slow
@pytest.mark.parametrize("command, slow_s, pause_s", [
    ("worker", 0.5, 0), ("worker", jobs.STOP_WAIT_S + 2, 1), ("serve", 0.5, 0),
], ids=["between-windows", "inside-a-window", "minuted-serve"])
def test_sigterm_hands_the_job_back_at_its_last_saved_window(recorded, tmp_path, command, slow_s, pause_s):
    from test_redis_queue import free_port

    app, data, meeting_id = recorded
    args = ("serve", "--port", str(free_port())) if command == "serve" else ("worker",)
    worker = start(data, tmp_path, slow_s=slow_s, command=args)
    try:
        saved = wait_for(lambda: (r := row(data)) and r[0] == "running" and r[1] > 0 and r, timeout=60, proc=worker,
                         what="a saved window")
        time.sleep(pause_s)  # inside the next window's engine call, which outlasts STOP_WAIT_S
        sent = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        took = time.monotonic() - sent
    finally:
        stop(worker)
        worker.log.close()
    status, processed, attempts, state = row(data)
    # test that it exited promptly (inside a window it abandons the window), the job queued at its saved point
    assert took < jobs.STOP_WAIT_S + 10, took
    assert (status, attempts) == ("queued", 1) and "owner" not in state, (status, attempts, state)
    if command == "worker":  # `minuted serve` logs only warnings
        assert "released at its last saved window" in (tmp_path / "worker.log").read_text()
    assert processed >= saved[1] and state["committed_ms"] == processed
    finish_and_check(app, data, tmp_path, meeting_id, claims=2)


@pytest.mark.slow
def test_a_worker_killed_elsewhere_is_taken_over_after_its_lease(recorded, tmp_path):
    app, data, meeting_id = recorded
    lease = 1.5
    worker = start(data, tmp_path, slow_s=0.5, lease_s=lease)
    try:
        wait_for(lambda: (r := row(data)) and r[0] == "running" and r[1] > 0, timeout=60, proc=worker,
                 what="a saved window")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        stop(worker)
        worker.log.close()
    killed = time.monotonic()
    # as if it had run on another machine: no pid here to find dead, only a lease that stops being renewed
    with sqlite3.connect(data / "minuted.sqlite3", timeout=10) as con:
        con.execute("UPDATE transcription_job SET state = json_set(state, '$.owner', 'elsewhere:42')")
    second = start(data, tmp_path, lease_s=lease, name="second")
    try:
        wait_for(lambda: row(data)[2] == 2, timeout=60, proc=second, what="the takeover")
        took = time.monotonic() - killed
        done = wait_for(lambda: (r := row(data)) and r[0] in ("done", "failed") and r, timeout=60, proc=second,
                        what="the job to finish")
    finally:
        stop(second)
        second.log.close()
    # test that the second worker took it over after about the lease (not minutes), and finished it
    assert took < lease * 5 + 20, took
    assert (done[0], done[2]) == ("done", 2), (done, (tmp_path / "second.log").read_text()[-2000:])
    starts = [start for start, _ in texts(app, meeting_id)]
    assert len(starts) == len(set(starts))


def test_a_database_blip_sends_the_job_back_to_the_queue_not_to_failed(queued_app):
    import sqlalchemy as sa

    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(70)))

    class Blip(FakeTranscriber):
        """The database restarts while the second window is being transcribed."""

        def transcribe(self, audio, **kwargs):
            if len(self.calls) == 1:
                self.calls.append(None)
                raise sa.exc.OperationalError("UPDATE transcription_job …", {}, Exception("server closed the connection"))
            return super().transcribe(audio, **kwargs)

    queued_app.extensions["minuted.transcriber"] = Blip()
    huey = queued_app.extensions["huey"]
    huey.flush()
    job_id = the_job(queued_app).id
    with queued_app.app_context():
        jobs.run_job(job_id)
    job = the_job(queued_app)
    # test that the job went back to the queue at its saved window, with no error for the parent to retry
    assert (job.status, job.attempts, job.error) == ("queued", 1, None)
    assert job.processed_ms > 0 and huey.pending_count() == 1
    with queued_app.app_context():
        huey.execute(huey.dequeue())
    job = the_job(queued_app)
    assert (job.status, job.attempts) == ("done", 2)
    starts = [start for start, _ in texts(queued_app, meeting["id"])]
    assert len(starts) == len(set(starts))
