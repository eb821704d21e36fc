"""Transcription jobs with the fake engine: incremental passes, resume from state, no duplicates, failures."""
import io
import shutil
import uuid

import numpy as np
import pytest

from conftest import Parent
from conftest import make_app
from server import jobs
from server.db import db
from server.models import Recording
from server.models import TranscriptionJob
from server.models import TranscriptSegment
from transcribe import FakeTranscriber
from transcribe import decode
from transcribe.audio import encode
from transcribe.windows import transcribe_windowed

SR = 16000


def speech(seconds, seed=0):
    """Noise bursts of 2 s with 0.7-s pauses: 'sentences' the fake engine hears as word_<slot>."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(seconds * SR, dtype=np.float32)
    for start in range(0, (seconds - 2) * 1000, 2700):
        audio[start * 16:(start + 2000) * 16] = rng.normal(0, 0.1, 2000 * 16)
    return audio


def webm(audio):
    out = io.BytesIO()
    encode(audio, out, container="webm", codec="libopus")
    return out.getvalue()


def wav(audio):
    out = io.BytesIO()
    encode(audio, out, container="wav", codec="pcm_s16le", rate=16000)
    return out.getvalue()


def _app(tmp_path, migrated_db, **config):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    return make_app(data, WHISPER_ENGINE="fake", **config)


@pytest.fixture
def app(tmp_path, migrated_db):
    """An app whose queue runs tasks at once (Huey immediate mode) with the fake engine."""
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def queued_app(tmp_path, migrated_db):
    """An app with a real SQLite queue that nothing consumes (tasks wait; tests run them)."""
    app = _app(tmp_path, migrated_db)
    yield app
    with app.app_context():
        db.engine.dispose()


def parent_of(app):
    return Parent(app, app.test_client()).create()


def send_chunks(parent, meeting_id, data, size=20_000, at_ms=0, finish=True):
    recording_id = str(uuid.uuid4())
    r = parent.api("PUT", f"/meetings/{meeting_id}/recordings/{recording_id}", {"mime": "audio/webm", "at_ms": at_ms})
    assert r.status_code == 201, r.json
    for seq, i in enumerate(range(0, len(data), size)):
        r = parent.api("PUT", f"/meetings/{meeting_id}/recordings/{recording_id}/chunks/{seq}",
                       data=data[i:i + size], headers={"Content-Type": "audio/webm"})
        assert r.status_code == 201, r.json
    if finish:
        r = parent.api("POST", f"/meetings/{meeting_id}/recordings/{recording_id}/finish")
        assert r.json["status"] == "finished"
    return recording_id


def texts(app, meeting_id):
    with app.app_context():
        rows = db.session.execute(
            db.select(TranscriptSegment).where(TranscriptSegment.meeting_id == meeting_id)
            .order_by(TranscriptSegment.start_ms)
        ).scalars().all()
        return [(r.start_ms, r.text) for r in rows]


def words(rows):
    return [w for _, text in rows for w in text.split()]


def test_live_chunks_are_transcribed_as_they_arrive_and_match_a_whole_file_run(app):
    parent = parent_of(app)
    meeting = parent.make_meeting()
    data = webm(speech(100))
    reference = [w.text for s in transcribe_windowed(FakeTranscriber(), decode(data)) for w in s.words]

    recording_id = send_chunks(parent, meeting["id"], data, finish=False)
    # test that windows were committed while the recording was still open
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "running" and 0 < t["progress"] < 1
    assert t["segments"] and t["jobs"][0]["processed_ms"] >= 30_000
    r = parent.api("POST", f"/meetings/{meeting['id']}/recordings/{recording_id}/finish")
    assert r.json["status"] == "finished"

    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done" and t["progress"] == 1.0 and t["error"] is None
    assert t["jobs"][0]["total_ms"] == pytest.approx(100_000, abs=100)
    rows = texts(app, meeting["id"])
    # test that no segment is doubled and no word lost or repeated
    assert len({s for s, _ in rows}) == len(rows)
    assert words(rows) == reference
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(TranscriptionJob.id))).scalar() == 1


def test_segment_times_are_on_the_meeting_timeline(app):
    parent = parent_of(app)
    meeting = parent.make_meeting()
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(speech(12))), "memo.wav", "audio/wav"), "at_ms": "60000"})
    assert r.status_code == 202, r.json
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done"
    assert t["segments"][0]["start_ms"] >= 60_000
    assert t["segments"][0]["start_ms"] == 60_000 + 50  # the fake engine's first word, moved by at_ms


class Crashing(FakeTranscriber):
    """The fake engine, crashing on its n-th call (a worker dying mid-job)."""

    def __init__(self, crash_on):
        super().__init__()
        self.crash_on = crash_on

    def transcribe(self, audio, **kwargs):
        if len(self.calls) + 1 == self.crash_on:
            self.calls.append((kwargs.get("offset_ms"), 0))
            raise MemoryError("simulated")
        return super().transcribe(audio, **kwargs)


def test_a_batched_job_commits_batch_by_batch_and_resumes_after_a_crash(app):
    parent = parent_of(app)
    meeting = parent.make_meeting()
    audio = speech(600)  # ten minutes: more than one batch's worth (4 regions x 4 windows of 30 s)
    reference = [w.text for s in transcribe_windowed(FakeTranscriber(), decode(wav(audio))) for w in s.words]
    app.config["WHISPER_BATCH_SIZE"] = 4
    app.extensions["minuted.transcriber"] = Crashing(crash_on=25)  # in the second batch
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(audio)), "memo.wav")})
    assert r.status_code == 202
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "failed"
    done_before = t["processed_ms"]
    assert 200_000 < done_before < 600_000  # the first batch was committed

    engine = FakeTranscriber()
    app.extensions["minuted.transcriber"] = engine
    assert parent.api("POST", f"/meetings/{meeting['id']}/transcript/retry").status_code == 202
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done"
    assert min(offset for offset, _ in engine.calls) >= done_before - 1000
    rows = texts(app, meeting["id"])
    assert len({s for s, _ in rows}) == len(rows)
    assert [w for _s, text in rows for w in text.split()] == reference


def test_a_failed_job_ends_failed_and_a_retry_resumes_without_duplicates(app):
    parent = parent_of(app)
    meeting = parent.make_meeting()
    audio = speech(130)
    reference = [w.text for s in transcribe_windowed(FakeTranscriber(), decode(wav(audio))) for w in s.words]
    app.config["WHISPER_BATCH_SIZE"] = 1  # one window per commit, so a crash keeps the windows before it
    app.extensions["minuted.transcriber"] = Crashing(crash_on=3)
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(audio)), "long.wav")})
    assert r.status_code == 202

    # test that the failure is a final state with a message for people, and the windows before it are kept
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "failed"
    assert "Retry" in t["error"] and "MemoryError" in t["error"]
    done_before = t["processed_ms"]
    assert 0 < done_before < 130_000
    kept = texts(app, meeting["id"])
    assert kept and kept[-1][0] < done_before

    engine = FakeTranscriber()
    app.extensions["minuted.transcriber"] = engine
    r = parent.api("POST", f"/meetings/{meeting['id']}/transcript/retry")
    assert r.status_code == 202
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done" and t["jobs"][0]["attempts"] == 2
    # test that the retry started at the saved point, not at the beginning
    assert engine.calls[0][0] >= done_before - 1000
    rows = texts(app, meeting["id"])
    assert len({s for s, _ in rows}) == len(rows)
    assert words(rows) == reference


def test_nothing_left_to_retry_is_a_409(app):
    parent = parent_of(app)
    meeting = parent.make_meeting()
    r = parent.api("POST", f"/meetings/{meeting['id']}/transcript/retry")
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"


def test_chunks_queue_one_job_per_recording(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(40)), finish=True)
    huey = queued_app.extensions["huey"]
    with queued_app.app_context():
        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        assert job.status == "queued"
    # test that a burst of chunks and the finish left one pending task, not one each
    assert huey.pending_count() == 1

    # run it the way a worker would: the task builds nothing at import time
    task = huey.dequeue()
    with queued_app.app_context():
        huey.execute(task)
        job = db.session.get(TranscriptionJob, job.id)
        assert (job.status, job.progress, job.attempts) == ("done", 1.0, 1)
        assert "owner" not in job.state and job.state["final"] is True


def test_a_running_job_loops_for_chunks_that_arrive_meanwhile(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    data = webm(speech(70))
    recording_id = send_chunks(parent, meeting["id"], data[: len(data) // 2], finish=False)

    class Interrupting(FakeTranscriber):
        """Chunks arrive while the worker transcribes its first window."""

        def transcribe(self, audio, **kwargs):
            if not self.calls:
                rec = db.session.get(Recording, recording_id)
                jobs.request_transcription(rec)  # what put_chunk does
            return super().transcribe(audio, **kwargs)

    queued_app.extensions["minuted.transcriber"] = Interrupting()
    with queued_app.app_context():
        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        jobs.run_job(job.id)
        job = db.session.get(TranscriptionJob, job.id)
        # test that the flip to queued made the worker go round again (one claim), then finish
        assert job.status == "done" and job.attempts == 1


def test_recover_requeues_jobs_of_dead_workers(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(10)))
    huey = queued_app.extensions["huey"]
    huey.flush()
    with queued_app.app_context():
        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        job.status, job.state = "running", {"owner": f"{jobs.socket.gethostname()}:999999999", "committed_ms": 0}
        db.session.commit()
        assert jobs.recover() == 1
        assert huey.pending_count() == 1
        # a live owner (this process) is left alone
        job.state = {"owner": jobs.OWNER}
        db.session.commit()
        assert jobs.recover() == 0
        # a queued job whose task waits in the queue is not queued again: one message, however often it runs
        job.status, job.state = "queued", {"committed_ms": 0}
        db.session.commit()
        assert jobs.recover() == 0 and jobs.recover() == 0
        assert huey.pending_count() == 1
        # gone from the queue (Redis restarted empty): queued again, once
        huey.flush()
        assert jobs.recover() == 1 and jobs.recover() == 0
        assert huey.pending_count() == 1


def test_a_worker_that_lost_its_claim_cannot_write(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    send_chunks(parent, meeting["id"], webm(speech(10)))
    with queued_app.app_context():
        job_id = db.session.execute(db.select(TranscriptionJob.id)).scalar_one()
        first = jobs._claim(job_id)
        assert first == 1
        # another worker takes over after the lease ran out
        queued_app.config["JOB_LEASE_S"] = -1
        assert jobs._claim(job_id) == 2
        from transcribe import IncrementalTranscriber

        inc = IncrementalTranscriber(FakeTranscriber())
        with pytest.raises(jobs.LostClaim):
            jobs._commit_window(job_id, first, "x", 0, [], inc, 1000, final=False)


def test_a_recording_that_turns_out_unreadable_fails_with_a_clear_error(queued_app):
    parent = parent_of(queued_app)
    meeting = parent.make_meeting()
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(speech(5))), "a.wav", "audio/wav")})
    assert r.status_code == 202
    with queued_app.app_context():
        recording = db.session.get(Recording, r.json["recording_id"])
        with open(recording.chunks[0].path, "wb") as f:
            f.write(b"this is not audio at all" * 100)
        jobs.run_job(r.json["job"]["id"])
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "failed"
    assert t["error"].startswith("The recording could not be read as audio")
    assert t["segments"] == []
