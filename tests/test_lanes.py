"""A fair queue: live meetings before uploads, each family's uploads in turn, and uploads make way mid-job."""
import io
import threading

import pytest

from conftest import Parent
from server import jobs
from server.db import db
from server.models import TranscriptionJob
from test_jobs import _app
from test_jobs import send_chunks
from test_jobs import speech
from test_jobs import wav
from test_jobs import webm
from test_leases import Slow
from test_redis_queue import redis_url  # noqa: F401 - a fixture: a throwaway redis-server
from test_worker_kill import wait_for


@pytest.fixture
def queued_app(tmp_path, migrated_db):
    """An app with a real SQLite queue that nothing consumes (tests take the tasks in order)."""
    app = _app(tmp_path, migrated_db, WHISPER_BATCH_SIZE=1, VOICES=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def families(app):
    return Parent(app, app.test_client()).create(), Parent(app, app.test_client(), email="b@example.org").create()


def upload(parent, meeting_id, seconds=5):
    r = parent.api("POST", f"/meetings/{meeting_id}/uploads",
                   data={"file": (io.BytesIO(wav(speech(seconds))), "a.wav", "audio/wav")})
    assert r.status_code == 202, r.json
    return r.json["job"]["id"]


def live(parent, meeting_id):
    recording_id = send_chunks(parent, meeting_id, webm(speech(10)))
    with parent.app.app_context():
        return db.session.execute(db.select(TranscriptionJob.id).where(
            TranscriptionJob.recording_id == recording_id)).scalar_one()


def queue_order(huey):
    order = []
    while (task := huey.dequeue()) is not None:
        if task.name == jobs.TASK_NAME:
            order.append(task.args[0])
    return order


def test_live_first_then_each_familys_uploads_in_turn(queued_app):
    a, b = families(queued_app)
    meeting_a, meeting_b = a.make_meeting()["id"], b.make_meeting()["id"]
    a1, a2, a3 = (upload(a, meeting_a) for _ in range(3))
    b1 = upload(b, meeting_b)
    ended = live(a, meeting_a)
    names = {a1: "a1", a2: "a2", a3: "a3", b1: "b1", ended: "live"}
    # test that the live meeting goes first, and family B's upload does not wait for all of A's
    assert [names[j] for j in queue_order(queued_app.extensions["huey"])] == ["live", "a1", "b1", "a2", "a3"]


def test_the_lanes_hold_on_redis(tmp_path, migrated_db, redis_url):
    app = _app(tmp_path, migrated_db, QUEUE_URL=redis_url)
    a, b = families(app)
    first = upload(a, a.make_meeting()["id"])
    ended = live(b, b.make_meeting()["id"])
    assert queue_order(app.extensions["huey"]) == [ended, first]
    with app.app_context():
        db.engine.dispose()


def test_an_upload_makes_way_for_a_live_meeting_at_its_next_window(queued_app, monkeypatch):
    monkeypatch.setattr(jobs, "YIELD_CHECK_S", 0.1)
    a, b = families(queued_app)
    long_upload = upload(a, a.make_meeting()["id"], seconds=240)
    huey = queued_app.extensions["huey"]
    huey.flush()
    queued_app.extensions["minuted.transcriber"] = Slow(0.4)

    def work():
        with queued_app.app_context():
            jobs.run_job(long_upload)

    worker = threading.Thread(target=work)
    worker.start()
    job = lambda: db.session.get(TranscriptionJob, long_upload, populate_existing=True)  # noqa: E731
    with queued_app.app_context():
        wait_for(lambda: job().processed_ms > 0 and db.session.rollback() is None, timeout=60, what="a first window")
    ended = live(b, b.make_meeting()["id"])  # another family ends its meeting
    worker.join(30)
    assert not worker.is_alive()
    with queued_app.app_context():
        made_way = job()
        # test that the upload stopped at a saved window, queued again behind the live meeting
        assert (made_way.status, made_way.attempts, made_way.error) == ("queued", 1, None)
        assert 0 < made_way.processed_ms < made_way.total_ms
        assert queue_order(huey) == [ended, long_upload]
        # test that both then finish, the upload from where it stopped
        queued_app.extensions["minuted.transcriber"] = Slow(0)
        for job_id in (ended, long_upload):
            jobs.run_job(job_id)
        done = db.session.execute(db.select(TranscriptionJob.id, TranscriptionJob.status,
                                            TranscriptionJob.attempts)).all()
    assert sorted((s, n) for _, s, n in done) == [("done", 1), ("done", 2)]


@pytest.mark.slow
def test_two_busy_workers_serve_a_live_meeting_before_a_backlog(tmp_path, migrated_db):
    from test_leases import start
    from test_worker_kill import stop

    app = _app(tmp_path, migrated_db)
    a, b = families(app)
    meeting_a = a.make_meeting()["id"]
    backlog = [upload(a, meeting_a, seconds=180) for _ in range(6)]
    data = tmp_path / "data"
    workers = [start(data, tmp_path, slow_s=0.4, name=f"worker{i}") for i in range(2)]

    def statuses():
        with app.app_context():
            rows = dict(db.session.execute(db.select(TranscriptionJob.id, TranscriptionJob.status)).all())
            db.session.rollback()
            return rows

    try:
        wait_for(lambda: list(statuses().values()).count("running") == 2, timeout=60, what="both workers busy")
        ended = live(b, b.make_meeting()["id"])
        wait_for(lambda: statuses()[ended] == "done", timeout=120, what="the live meeting's transcript")
        at_live_done = statuses()
        wait_for(lambda: all(s == "done" for s in statuses().values()), timeout=180, what="the backlog")
    finally:
        for worker in workers:
            stop(worker)
            worker.log.close()
    # test that the live meeting did not wait for the backlog: most of it was still to do
    unfinished = [job for job in backlog if at_live_done[job] != "done"]
    assert len(unfinished) >= 3, at_live_done
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(TranscriptionJob)
                                  .where(TranscriptionJob.error.is_not(None))).scalar() == 0
        db.engine.dispose()
