"""Transcription jobs on Huey: the only glue between the transcribe library, Flask and the database.

One TranscriptionJob row per recording is what the API and the page poll
(status, progress, processed_ms/total_ms, attempts, error). Its ``state`` holds
the IncrementalTranscriber's committed point and who is running it, nothing
that grows with the meeting.

How a job runs (``run_job``):

1. **Claim** the row by compare-and-set on (status, attempts): a queued job, or
   a running one whose worker is gone (a dead pid on this host, or no
   heartbeat for ``JOB_LEASE_S``). ``attempts`` goes up by one and fences every
   later write: a worker that lost its claim can never write again. While it
   runs, a :class:`Heartbeat` thread renews the lease (``updated_at``) every
   third of ``JOB_LEASE_S`` (default 30 s), however long a window takes; a
   beat that finds the claim gone stops the job at its next piece of audio.
2. **Pass**: decode the recording's chunks as one stream, piece by piece
   (memory stays flat), skip the audio before the committed point and feed the
   rest to an IncrementalTranscriber restored from ``state``. Each committed
   window writes its new segments AND the new state and progress in one
   transaction, so a worker killed with SIGKILL leaves either the whole window
   or nothing; the retry resumes from the saved state, and the unique
   (recording_id, start_ms) backs up the rule that no segment is written twice.
   A finished recording ends with ``finish()``, the final pass.
3. **Debounce**: a chunk arriving while the job runs only flips its status back
   to ``queued``; the running worker sees that when it tries to mark the job
   done, and loops for the new audio. So one recording has at most one job
   queued or running.
4. Every failure ends in a final state: ``failed`` with a message for people.
   Transcript text is never logged. Losing the database is not a failure: the
   job goes back to the queue at its last saved window (or, while the
   database is away, to its lease).

Workers that die are recovered twice over. Every consumer's lease watcher
(:func:`take_over`, every third of the lease) puts a job whose worker has
stopped beating back in the queue at its last saved window, once (a
compare-and-set on ``updated_at``), so another worker resumes it within about
the lease after a ``kill -9``, on any machine. ``recover()``, at consumer start
and every ``JOB_RECOVER_S`` (a minute) from the lease watcher, re-enqueues every job left queued or
running by a worker that is gone (what a lost Redis queue needs).

The queue has lanes (:func:`priority`): live recordings' jobs first, then
uploads, each account's in turn. An upload's job looks every few seconds,
after a saved window, for a live job waiting, and makes way for it (back to
the queue at that window), so a parent who ends a meeting never waits behind
another family's hour-long upload.

A worker told to stop (SIGTERM, SIGINT: :class:`Consumer`) transcribes no
further: each job stops at its next piece of audio, or after ``STOP_WAIT_S``
is released from outside its engine call, and goes back to the queue at its
last saved window; then the process exits.
"""
import logging
import os
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import current_app
from flask import has_app_context
from huey.consumer import Consumer as HueyConsumer

from . import audio_store
from . import metrics
from .db import db
from .db import now_utc
from .models import Recording
from .models import TranscriptionJob
from .models import TranscriptSegment
from .models import VoiceBlock

log = logging.getLogger(__name__)

TASK_NAME = "minuted.transcribe"
OWNER = f"{socket.gethostname()}:{os.getpid()}"
DEFAULT_LEASE_S = 30
STOP_WAIT_S = 3  # on SIGTERM: how long jobs may take to reach their next piece before they are released anyway
ACTIVE = ("queued", "running")
LIVE = 100  # the queue priority of a live recording's job; uploads are 0 and below (priority())
YIELD_CHECK_S = 2.0  # how often an upload's job looks for a live one waiting

_worker_app = None
_worker_app_lock = threading.Lock()


class LostClaim(Exception):
    """Another worker has taken this job over; stop without writing."""


class Released(Exception):
    """This worker is stopping: the job goes back to the queue at its last saved window."""


class MakeWay(Released):
    """An upload's job makes way for a live recording's: back to the queue at its last saved window."""


# --- the queue ------------------------------------------------------------


def make_huey(config):
    """Return the Huey instance for this configuration (SQLite in DATA_DIR, or Redis), with priorities."""
    from huey import PriorityRedisHuey
    from huey import SqliteHuey

    immediate = bool(config.get("QUEUE_IMMEDIATE"))
    url = config.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        # a sorted set (Redis 5+), under a name of its own: the plain list of earlier versions is left
        # behind, and recover() at start-up queues again whatever it held
        return PriorityRedisHuey("minuted.lanes", connection_pool=redis_pool(config), immediate=immediate,
                                 read_timeout=_read_timeout(config))
    if url:
        raise ValueError(f"MINUTED_QUEUE_URL must be a redis:// URL (got {url.split(':')[0]}:…)")
    return SqliteHuey("minuted", filename=str(Path(config["DATA_DIR"]) / "queue.sqlite3"), immediate=immediate)


def redis_pool(config):
    """Return a Redis connection pool with a socket timeout and a small bounded retry (a Redis blip).

    A command unanswered after QUEUE_TIMEOUT_S fails and is sent again QUEUE_RETRIES
    times, 0.1 s then 0.2 s … (at most 0.5 s) apart: a stall of a second or two is
    ridden out, and a Redis that stays away costs a request a few seconds, never more
    (its job waits in the database for recover()). Sending a command again is safe:
    a task is queued as one sorted-set member, so the same ZADD twice is one entry.
    """
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    timeout = float(config.get("QUEUE_TIMEOUT_S") or 2)
    return redis.ConnectionPool.from_url(
        config["QUEUE_URL"], socket_timeout=timeout, socket_connect_timeout=timeout,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), int(config.get("QUEUE_RETRIES") or 0)),
        health_check_interval=30,
    )


def _read_timeout(config):
    """How long a worker's blocking pop waits on an empty queue: less than the socket timeout."""
    return max(0.1, min(1.0, float(config.get("QUEUE_TIMEOUT_S") or 2) / 2))


def init_app(app):
    """Create the app's queue and register the transcription tasks on it."""
    huey = make_huey(app.config)
    app.extensions["huey"] = huey
    app.extensions["minuted.transcribe_task"] = huey.task(name=TASK_NAME)(_transcribe_task)


def use_app(app):
    """Let queue workers in this process use ``app`` instead of building their own."""
    global _worker_app
    _worker_app = app


def _app_for_task():
    """Return the app a task runs in: the caller's (immediate mode) or the worker's own."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    with _worker_app_lock:
        if _worker_app is None:
            from . import create_app

            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the bundled model is a path: no hub
            _worker_app = create_app()
        return _worker_app


def _transcribe_task(job_id):
    app = _app_for_task()
    with app.app_context():
        run_job(job_id)


def _enqueue(job_id):
    """Queue the job's task. The job's row is what counts: a queue that cannot be reached is logged, not raised.

    The row stays queued, and recover() queues it again within a minute of the
    queue's return, so an upload saved while Redis is down still answers 202 (a
    500 would make the phone send it again, and store it twice).
    """
    huey = current_app.extensions["huey"]
    try:
        current_app.extensions["minuted.transcribe_task"](job_id, priority=priority(job_id))
    except Exception as e:
        if huey.immediate:
            raise
        log.warning("could not queue transcription job %s (%s); it is queued again when the queue answers",
                    job_id, type(e).__name__)


# --- the lanes: live meetings first, then each family's uploads in turn ------


def priority(job_id):
    """Return the job's place in the queue: higher runs first.

    A recording made live (chunks from a phone) is ``LIVE``: someone is in the
    meeting, or has just ended it and waits for the minutes. An upload runs
    after every live recording, and after the same account's earlier uploads
    still waiting, so one family's backlog never holds up another family's
    first upload: an account's uploads count down 0, -1, -2, ... and equal
    priorities run oldest first.
    """
    from .models import Child
    from .models import Meeting

    row = db.session.execute(
        db.select(Recording.source, Child.user_id, TranscriptionJob.created_at)
        .join(Recording, TranscriptionJob.recording_id == Recording.id)
        .join(Meeting, Recording.meeting_id == Meeting.id)
        .join(Child, Meeting.child_id == Child.id)
        .where(TranscriptionJob.id == job_id)
    ).first()
    if row is None or row.source != "upload":
        return LIVE
    ahead = db.session.execute(
        db.select(db.func.count(TranscriptionJob.id))
        .join(Recording, TranscriptionJob.recording_id == Recording.id)
        .join(Meeting, Recording.meeting_id == Meeting.id)
        .join(Child, Meeting.child_id == Child.id)
        .where(Child.user_id == row.user_id, Recording.source == "upload", TranscriptionJob.id != job_id)
        .where(TranscriptionJob.status.in_(ACTIVE), TranscriptionJob.created_at < row.created_at)
    ).scalar()
    return -ahead


def live_waiting(huey):
    """Whether a live recording's job waits in the queue (an upload then makes way at its next window)."""
    from huey.storage import PriorityRedisStorage
    from huey.storage import SqliteStorage

    storage = huey.storage
    if isinstance(storage, SqliteStorage):
        return bool(storage.sql("SELECT 1 FROM task WHERE queue = ? AND priority >= ? LIMIT 1",
                                (storage.name, LIVE), results=True))
    if isinstance(storage, PriorityRedisStorage):
        return storage.conn.zcount(storage.queue_key, "-inf", -LIVE) > 0  # scores are -priority
    return False


def create_consumer(app, workers=1):
    """Return a consumer of ``app``'s queue with thread workers (the engine releases the GIL)."""
    use_app(app)
    with app.app_context():
        try:
            recover()
        except Exception as e:  # noqa: BLE001 - the database or queue went away just now: the lease watcher re-queues
            db.session.rollback()
            log.warning("could not re-queue waiting transcription jobs at start-up (%s); trying again later",
                        type(e).__name__)
    return Consumer(app, workers=workers)


def _stopping(app):
    """The event set when this app's workers are told to stop."""
    return app.extensions.setdefault("minuted.stopping", threading.Event())


def _running(app):
    """The jobs this process is transcribing for the app: {job id: attempt}."""
    return app.extensions.setdefault("minuted.running", {})


class Consumer(HueyConsumer):
    """A Huey consumer that watches leases and, told to stop, hands its jobs back at their last saved window."""

    def __init__(self, app, workers=1):
        self.app = app
        super().__init__(app.extensions["huey"], workers=workers, worker_type="thread", periodic=False)

    def start(self):
        super().start()
        threading.Thread(target=self._watch_leases, name="lease-watcher", daemon=True).start()

    def _watch_leases(self):
        """Every third of the lease, take over jobs whose worker stopped; every ``JOB_RECOVER_S``, re-queue the lot.

        The second is what a queue that lost its messages needs (Redis restarted without persistence): the jobs'
        rows still say queued or running, and a claim fences any copy of a message that was not lost.
        """
        every = float(self.app.config.get("JOB_RECOVER_S") or 60)
        recovered = time.monotonic()
        while not self.stop_flag.wait(_heartbeat_s(self.app)):
            try:
                with self.app.app_context():
                    take_over()
                    if time.monotonic() - recovered >= every:
                        recovered = time.monotonic()
                        recover()
            except Exception as e:  # noqa: BLE001 - the database or the queue is away: look again at the next tick
                log.warning("could not check transcription leases (%s)", type(e).__name__)

    def stop(self, graceful=False):
        """Stop at once, gracefully or not: jobs go back to the queue at their last saved window."""
        _stopping(self.app).set()
        self.stop_flag.set()
        deadline = time.monotonic() + STOP_WAIT_S
        for _, thread in self.worker_threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        # a job still inside its engine call is released from here, its window abandoned
        with self.app.app_context():
            for job_id, attempt in list(_running(self.app).items()):
                if release(job_id, attempt):
                    log.info("transcription job %s released at its last saved window", job_id)
        super().stop(graceful=False)


# --- asking for work (request side) -------------------------------------


def job_for(recording_id):
    """Return the recording's job row, or None."""
    return db.session.execute(
        db.select(TranscriptionJob)
        .where(TranscriptionJob.recording_id == recording_id)
        .order_by(TranscriptionJob.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def _lock_recording(recording_id):
    """Hold the recording's row until the next commit, so racing requests decide about its job in turn.

    A no-op UPDATE: on PostgreSQL a row lock; on SQLite the write lock, taken by the
    transaction's first statement, so the job_for() that follows reads what the other
    request committed (the one-job rule has no unique constraint to lean on).
    """
    db.session.execute(
        db.update(Recording).where(Recording.id == recording_id).values(status=Recording.status)
        .execution_options(synchronize_session=False)
    )


def request_transcription(recording):
    """Queue the recording for (more) transcription; commits. One queued/running job per recording.

    Returns:
        The job row.
    """
    job = job_for(recording.id)
    if job is not None and job.status == "queued":
        return job  # the common case, a phone's next chunk: its worker loops for it, nothing to write
    # racing requests (resent chunks, finish twice) decide in turn, and make one job between them
    if job is not None:
        db.session.expire(job)
    _lock_recording(recording.id)
    job = job_for(recording.id)
    if job is None:
        job = TranscriptionJob(meeting_id=recording.meeting_id, recording_id=recording.id, status="queued", state={})
        db.session.add(job)
        db.session.commit()
        _enqueue(job.id)
        return job
    # running (or done, or failed): flip to queued so the worker loops for the new audio (see the module docstring)
    for _ in range(3):
        if job.status == "queued":
            db.session.commit()  # nothing changed: let the recording go
            return job
        was, owner, beat = job.status, (job.state or {}).get("owner"), job.updated_at
        changed = _cas(job, {"status": "queued", "error": None})
        db.session.commit()
        db.session.refresh(job)
        if changed:
            # a worker on it loops by itself (and should it die, take_over() queues the job): no task, which
            # would only make an upload elsewhere make way for nothing
            if not (was == "running" and _owner_alive(owner, beat, _lease_s())):
                _enqueue(job.id)
            break
        # changed meanwhile (its worker finished it): look again
    return job


def retry(job):
    """Queue a failed (or stuck queued) job again; it resumes from its saved state. Commits."""
    if job.status == "failed":
        _cas(job, {"status": "queued", "error": None})
        db.session.commit()
    _enqueue(job.id)
    db.session.refresh(job)
    return job


def _cas(job, values, attempts=None):
    """Update the job if its status (and attempts) are still what we read; return whether it did."""
    stmt = (
        db.update(TranscriptionJob)
        .where(TranscriptionJob.id == job.id, TranscriptionJob.status == job.status)
        .where(TranscriptionJob.attempts == (job.attempts if attempts is None else attempts))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(stmt).rowcount == 1


# --- recovering from dead workers ---------------------------------------


def _owner_alive(owner, updated_at, lease_s):
    """Whether the worker named ``owner`` may still be working on the job."""
    if not owner:
        return False
    if updated_at is not None and now_utc() - updated_at > timedelta(seconds=lease_s):
        return False
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def _lease_s(app=None):
    """The lease in seconds (``JOB_LEASE_S``): a job whose worker stops renewing it for this long is taken over."""
    return float((app or current_app).config.get("JOB_LEASE_S") or DEFAULT_LEASE_S)


def _heartbeat_s(app=None):
    """How often leases are renewed and watched: a third of the lease."""
    return max(_lease_s(app) / 3, 0.05)


def _waiting():
    """The ids of the jobs whose task waits in the queue now."""
    huey = current_app.extensions["huey"]
    return {task.args[0] for task in huey.pending() if task.name == TASK_NAME and task.args}


def recover():
    """Re-enqueue jobs left queued or running by a worker that is gone; return how many.

    A queued job whose task still waits in the queue is left there: queued again every period, an hour of
    uploads would fill the queue with copies (each harmless, since a claim takes a job once, but each read).
    """
    jobs = db.session.execute(db.select(TranscriptionJob).where(TranscriptionJob.status.in_(ACTIVE))).scalars().all()
    waiting = _waiting() if any(job.status == "queued" for job in jobs) else set()
    count = 0
    for job in jobs:
        if job.status == "queued" and job.id in waiting:
            continue
        if not _owner_alive((job.state or {}).get("owner"), job.updated_at, _lease_s()):
            _enqueue(job.id)
            count += 1
    db.session.rollback()
    if count:
        log.info("re-queued %d transcription job(s) left by stopped workers", count)
    return count


def take_over():
    """Put jobs whose worker has stopped renewing its lease back in the queue, each once; return how many.

    A compare-and-set on ``updated_at`` makes one watcher of many do it; the
    job keeps its saved state and its attempts (the next claim fences the
    old worker, should it come back).
    """
    lease = _lease_s()
    rows = db.session.execute(
        db.select(TranscriptionJob.id, TranscriptionJob.attempts, TranscriptionJob.state, TranscriptionJob.updated_at)
        .where(TranscriptionJob.status.in_(ACTIVE))
    ).all()
    db.session.rollback()
    count = 0
    for job_id, attempts, state, updated_at in rows:
        owner = (state or {}).get("owner")
        if owner and not _owner_alive(owner, updated_at, lease) and release(job_id, attempts, updated_at):
            log.info("transcription job %s taken over: its worker stopped renewing the lease", job_id)
            count += 1
    return count


def release(job_id, attempt, updated_at=None):
    """Put a job back in the queue at its last saved window, if still held by ``attempt``; return whether it did.

    ``updated_at`` (what the caller saw) makes it a compare-and-set against a
    lease renewed meanwhile; without it, a window committed meanwhile is kept.
    """
    for _ in range(5):
        db.session.rollback()
        job = db.session.get(TranscriptionJob, job_id, populate_existing=True)
        if job is None or job.attempts != attempt or job.status not in ACTIVE:
            db.session.rollback()
            return False
        seen = job.updated_at if updated_at is None else updated_at
        stmt = (
            db.update(TranscriptionJob)
            .where(TranscriptionJob.id == job_id, TranscriptionJob.attempts == attempt)
            .where(TranscriptionJob.status == job.status, TranscriptionJob.updated_at == seen)
            .values(status="queued", updated_at=now_utc(),
                    state={k: v for k, v in (job.state or {}).items() if k != "owner"})
            .execution_options(synchronize_session=False)
        )
        if db.session.execute(stmt).rowcount == 1:
            db.session.commit()
            _enqueue(job_id)
            return True
        db.session.rollback()
        if updated_at is not None:
            return False  # renewed (or changed) since the caller looked: not ours to release
    return False


class Heartbeat(threading.Thread):
    """Renews a running job's lease every third of it, on a timer: a window may take longer than the lease.

    It has its own connection. A beat that finds the claim gone (another
    worker's attempt, or a final state) sets :attr:`lost`; a beat that cannot
    reach the database tries again at the next (the lease says how long that may go on).
    """

    def __init__(self, app, job_id, attempt):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.engine = db.engine
        self.job_id, self.attempt = job_id, attempt
        self.interval = _heartbeat_s(app)
        self.done = threading.Event()
        self.lost = threading.Event()

    def run(self):
        table = TranscriptionJob.__table__
        while not self.done.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    renewed = connection.execute(
                        table.update()
                        .where(table.c.id == self.job_id, table.c.attempts == self.attempt,
                               table.c.status.in_(ACTIVE))
                        .values(updated_at=now_utc())
                    ).rowcount
            except Exception as e:  # noqa: BLE001 - never let a blip end the job; the next beat retries
                log.warning("could not renew the lease of transcription job %s (%s)", self.job_id, type(e).__name__)
                continue
            if renewed != 1:
                self.lost.set()
                return

    def stop(self):
        self.done.set()
        if self.is_alive():
            self.join()


# --- running a job (worker side) ----------------------------------------


def _claim(job_id):
    """Take the job if it is free; return the attempt number that fences our writes, or None."""
    job = db.session.get(TranscriptionJob, job_id)
    if job is None or job.status not in ACTIVE:
        db.session.rollback()
        return None
    state = dict(job.state or {})
    if _owner_alive(state.get("owner"), job.updated_at, _lease_s()):
        db.session.rollback()
        return None  # its worker is on it (and will loop if it was flipped to queued)
    state["owner"] = OWNER
    attempt = job.attempts + 1
    ok = _cas(job, {"status": "running", "attempts": attempt, "state": state, "error": None})
    db.session.commit()
    return attempt if ok else None


def get_transcriber(app):
    """Return the app's engine, loaded once and shared by the worker's threads."""
    transcriber = app.extensions.get("minuted.transcriber")
    if transcriber is None:
        with _worker_app_lock:
            transcriber = app.extensions.get("minuted.transcriber")
            if transcriber is None:
                from transcribe import get_transcriber as make

                engine = app.config.get("WHISPER_ENGINE") or "faster-whisper"
                # model and device mean the same to both engines; compute type is CTranslate2's alone
                settings = {} if engine == "fake" else {
                    "model": app.config.get("WHISPER_MODEL"),
                    "device": app.config.get("WHISPER_DEVICE") or "cpu",
                    "cpu_threads": int(app.config.get("WHISPER_THREADS") or 0),
                }
                if engine in ("faster-whisper", "faster_whisper"):
                    # None: int8 for tiny.en, float32 for base (transcribe.engines)
                    settings["compute_type"] = app.config.get("WHISPER_COMPUTE_TYPE") or None
                    settings["model_cache"] = os.path.join(app.config["DATA_DIR"], "models")
                    settings["workers"] = int(app.config.get("WHISPER_WORKERS") or 0)
                    floor = app.config.get("WHISPER_GREEDY_MIN_LOGPROB")
                    settings["greedy_min_logprob"] = None if floor in (None, "", "none") else float(floor)
                transcriber = make(engine, **settings)
                if hasattr(transcriber, "load"):
                    # now, before a job buffers audio: loading briefly takes ~100 MB more than the model keeps
                    transcriber.load()
                app.extensions["minuted.transcriber"] = transcriber
    return transcriber


def run_job(job_id):
    """Claim the job and transcribe whatever audio is new; always leave a final or queued state."""
    from transcribe import AudioDecodeError

    app = current_app._get_current_object()
    stopping = _stopping(app)
    if stopping.is_set():
        _enqueue(job_id)  # dequeued as this worker stops: leave it for another
        return
    makes_way = priority(job_id) < LIVE  # an upload's job: a live recording waiting goes first
    attempt = _claim(job_id)
    if attempt is None:
        return
    heartbeat = Heartbeat(app, job_id, attempt)
    heartbeat.start()
    running = _running(app)
    running[job_id] = attempt
    huey = app.extensions["huey"]
    looked = time.monotonic()
    measured, outcome = metrics.job_started(job_id, "upload" if makes_way else "live"), "failed"

    def check(saved=False):
        """Stop here if the claim is gone or the worker is stopping; after a saved window, make way for live work."""
        nonlocal looked
        if heartbeat.lost.is_set():
            raise LostClaim()
        if stopping.is_set():
            raise Released()
        if saved and makes_way and time.monotonic() - looked >= YIELD_CHECK_S:
            looked = time.monotonic()
            if live_waiting(huey):
                raise MakeWay()

    try:
        while True:
            _transcribe_pass(job_id, attempt, check)
            if _complete(job_id, attempt):
                outcome = "done"
                _release_audio(job_id)
                return
    except Released as e:
        outcome = "made_way" if isinstance(e, MakeWay) else "released"
        db.session.rollback()
        running.pop(job_id, None)  # released here, not by the stopping consumer as well
        if release(job_id, attempt):
            why = "a live recording waits" if isinstance(e, MakeWay) else "the worker is stopping"
            log.info("transcription job %s released at its last saved window (%s)", job_id, why)
        if not isinstance(e, MakeWay):
            _release_audio(job_id, finished_only=False)  # this worker is leaving: another will read the audio
    except LostClaim:
        outcome = "taken_over"
        db.session.rollback()
        log.info("transcription job %s was taken over by another worker", job_id)
    except AudioDecodeError as e:
        db.session.rollback()
        _fail(job_id, attempt, f"The recording could not be read as audio: {e.reason}.")
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as e:
        # the database went away (a restart, a network blip): not the job's fault, so no "failed" for the
        # parent to retry; back to the queue at its last saved window, or, while the database is still
        # away, left to its lease: another worker's watcher queues it again once the database answers
        outcome = "database_lost"
        db.session.rollback()
        log.warning("transcription job %s lost the database (%s); it resumes at its last saved window",
                    job_id, type(e).__name__)
        running.pop(job_id, None)
        try:
            release(job_id, attempt)
        except sa.exc.DBAPIError:
            db.session.rollback()
    except Exception as e:  # noqa: BLE001 - a job must never be left running
        db.session.rollback()
        log.exception("transcription job %s failed", job_id)
        _fail(job_id, attempt, f"Transcription stopped because of an error on the server ({type(e).__name__}). "
                               "Press Retry to continue from where it stopped.")
    finally:
        running.pop(job_id, None)
        heartbeat.stop()
        metrics.job_ended(job_id, measured, outcome)


def _complete(job_id, attempt):
    """Mark the job done unless new audio arrived meanwhile (then claim it again and return False)."""
    job = db.session.get(TranscriptionJob, job_id)
    if job is None or job.attempts != attempt:
        raise LostClaim()
    state = {k: v for k, v in (job.state or {}).items() if k != "owner"}
    if job.status == "running":
        if _cas(job, {"status": "done", "state": state}, attempt):
            db.session.commit()
            return True
    elif job.status == "queued":
        if _cas(job, {"status": "running"}, attempt):
            db.session.commit()
            return False
    db.session.rollback()
    raise LostClaim()


def _fail(job_id, attempt, message):
    job = db.session.get(TranscriptionJob, job_id)
    if job is not None and job.attempts == attempt and job.status in ACTIVE:
        state = {k: v for k, v in (job.state or {}).items() if k != "owner"}
        _cas(job, {"status": "failed", "error": message, "state": state}, attempt)
        db.session.commit()
    else:
        db.session.rollback()


def vocabulary(meeting, mode=None):
    """Return the prompt the engine hears (``WHISPER_VOCABULARY``): None, attendee names, or names + glossary.

    The default is no prompt: on multi-speaker meetings the prompt made
    tiny.en write glossary words nobody said (bench/README.md, "Who said
    what"). Names and terms are spelled afterwards instead
    (:func:`transcribe.spelling.respell`, in server/attribution.py).
    """
    from . import transcripts

    mode = mode or current_app.config.get("WHISPER_VOCABULARY") or "none"
    if mode == "none":
        return None
    names = [a.name for a in meeting.attendees if a.name]
    if mode == "names":
        return names
    return names + [t for t in transcripts.glossary_terms() if t not in names]


def _window_settings(app):
    return {
        "beam_size": int(app.config.get("WHISPER_BEAM_SIZE") or 5),
        "window_s": float(app.config.get("WHISPER_WINDOW_S") or 30.0),
        "batch_size": int(app.config.get("WHISPER_BATCH_SIZE") or 1),
    }


def _transcribe_pass(job_id, attempt, check=lambda: None):
    """Feed the audio after the committed point to the transcriber; commit window by window.

    ``check`` is called before each piece and each commit: it raises to stop the pass (LostClaim, Released).
    """
    from transcribe import IncrementalTranscriber
    from transcribe.audio import SAMPLE_RATE

    app = current_app._get_current_object()
    job = db.session.get(TranscriptionJob, job_id)
    recording = db.session.get(Recording, job.recording_id)
    state = dict(job.state or {})
    if state.get("final"):
        return
    finished = recording.status == "finished"
    paths = _contiguous(recording)
    at_ms = recording.at_ms or 0
    recording_id = recording.id
    total = max(job.total_ms or 0, _container_ms(paths) or 0)
    words = vocabulary(recording.meeting)
    db.session.rollback()  # no transaction held open while decoding and transcribing

    inc = IncrementalTranscriber.from_state(
        get_transcriber(app), {"committed_ms": int(state.get("committed_ms", 0))},
        vocabulary=words, **_window_settings(app),
    )
    voices = VoiceTrack.resume(recording_id, at_ms, inc.resume_from_ms) if app.config.get("VOICES", True) else None
    db.session.rollback()
    audio_ms = 0
    for start_ms, piece in _decode_from(paths, inc.resume_from_ms):
        check()
        audio_ms = start_ms + piece.size * 1000 // SAMPLE_RATE
        if audio_ms <= inc.resume_from_ms:
            continue  # the decoder's run-up to where we resume
        if voices is not None:
            voices.append(start_ms, piece)
        new = inc.append(piece, start_ms=start_ms)
        if new:
            check()
            _commit_window(job_id, attempt, recording_id, at_ms, new, inc, max(total, audio_ms), final=False,
                           voices=voices)
            check(saved=True)
    check()
    if finished:
        new = inc.finish()
        check()
        _commit_window(job_id, attempt, recording_id, at_ms, new, inc, audio_ms, final=True, audio_ms=audio_ms,
                       voices=voices)
    else:
        new = inc.drain()  # what has piled up short of a whole batch
        check()
        _commit_window(job_id, attempt, recording_id, at_ms, new, inc, max(total, audio_ms), final=False,
                       voices=voices)


class VoiceTrack:
    """Voice embeddings along a recording as it is decoded, stored with the windows' commits.

    Windows of ``window_ms`` start every ``step_ms`` on the recording's
    timeline, so a job that resumes continues the same grid. Audio is
    embedded as soon as a batch's worth of whole windows has arrived (so at
    most ~50 s of it is held, whatever the transcriber gathers), and the
    frames wait in :attr:`done` for the next commit; at the end the last
    partial window is embedded too. A failure is logged and switches voices
    off for the pass: the transcript never waits on them.
    """

    STEP_MS = 1600
    WINDOW_MS = 1600
    BATCH = 32  # windows per encoder call: the encoder's full speed (transcribe/voices.py)

    def __init__(self, at_ms, next_ms):
        self.at_ms = at_ms  # where the recording starts on the meeting timeline
        self.next_ms = next_ms  # the next window's start, on the recording's timeline
        self.buffer = np.zeros(0, dtype=np.float32)
        self.pieces = []  # appended since the buffer was last joined (joining on every piece is quadratic)
        self.pieces_len = 0
        self.buffer_ms = next_ms  # the buffer's first sample
        self.done = []  # (start_ms, end_ms, VoiceFrames) on the meeting timeline, not yet stored
        self.failed = False

    @classmethod
    def resume(cls, recording_id, at_ms, from_ms):
        """Continue after the voice blocks already stored for the recording (or from ``from_ms``)."""
        done = db.session.execute(
            db.select(db.func.max(VoiceBlock.end_ms)).where(VoiceBlock.recording_id == recording_id)
        ).scalar()
        step = cls.STEP_MS
        start = -(-from_ms // step) * step  # the grid point at or after from_ms
        if done is not None and done - at_ms >= from_ms:
            start = done - at_ms
        return cls(at_ms, start)

    def append(self, start_ms, samples):
        """Add decoded audio that starts at ``start_ms`` (recording timeline); embed a full batch when there is one."""
        if self.failed:
            return
        from transcribe.audio import SAMPLE_RATE

        held = len(self.buffer) + self.pieces_len
        end_ms = self.buffer_ms + held * 1000 // SAMPLE_RATE
        if not held:
            self.buffer_ms = end_ms = max(start_ms, self.next_ms)
            if start_ms > self.next_ms:  # a hole before this audio: continue the grid after it
                self.next_ms = self.buffer_ms = -(-start_ms // self.STEP_MS) * self.STEP_MS
                end_ms = self.buffer_ms
        skip = max(0, (end_ms - start_ms) * SAMPLE_RATE // 1000)
        if skip < len(samples):
            self.pieces.append(np.asarray(samples[skip:], dtype=np.float32))
            self.pieces_len += len(samples) - skip
        batch_ms = (self.BATCH - 1) * self.STEP_MS + self.WINDOW_MS
        if (held + len(samples) - skip) * 1000 // SAMPLE_RATE - (self.next_ms - self.buffer_ms) >= batch_ms:
            self._embed(final=False)

    def take(self, final=False):
        """Return the frames embedded since the last call as one (start_ms, end_ms, VoiceFrames), or None.

        ``final`` embeds what is left, the last partial window included.
        """
        self._embed(final=final)
        if not self.done:
            return None
        from transcribe.voices import VoiceFrames

        block = (self.done[0][0], self.done[-1][1], VoiceFrames.concat([d[2] for d in self.done]))
        self.done = []
        return block

    def _embed(self, final):
        if self.pieces:
            self.buffer = np.concatenate([self.buffer, *self.pieces])
            self.pieces, self.pieces_len = [], 0
        if self.failed or not len(self.buffer):
            return
        from transcribe.audio import SAMPLE_RATE
        from transcribe.voices import voice_frames

        ms = len(self.buffer) * 1000 // SAMPLE_RATE
        lead = self.next_ms - self.buffer_ms
        whole = (ms - lead - self.WINDOW_MS) // self.STEP_MS + 1 if ms - lead >= self.WINDOW_MS else 0
        if final and ms - lead > self.WINDOW_MS // 2:
            whole = max(whole, (ms - lead - self.WINDOW_MS // 2) // self.STEP_MS + 1)
        if whole <= 0:
            return
        first = lead * SAMPLE_RATE // 1000
        last = first + ((whole - 1) * self.STEP_MS + self.WINDOW_MS) * SAMPLE_RATE // 1000
        try:
            frames = voice_frames(self.buffer[first:last], offset_ms=self.at_ms + self.next_ms,
                                  step_ms=self.STEP_MS, window_ms=self.WINDOW_MS)
        except Exception:  # noqa: BLE001 - voices help attribution; they must never stop a transcript
            log.exception("voice embeddings failed; this pass continues without them")
            self.failed = True
            return
        limit = self.at_ms + self.next_ms + (whole - 1) * self.STEP_MS + self.WINDOW_MS // 2
        keep = frames.centers_ms <= limit
        frames = type(frames)(frames.centers_ms[keep], frames.vectors[keep])
        start = self.at_ms + self.next_ms
        self.next_ms += whole * self.STEP_MS
        drop = max(0, (self.next_ms - self.buffer_ms) * SAMPLE_RATE // 1000)
        self.buffer = self.buffer[drop:].copy()  # a copy, so the joined array before it can be freed
        self.buffer_ms += drop * 1000 // SAMPLE_RATE
        self.done.append((start, self.at_ms + self.next_ms, frames))


def _decode_from(paths, from_ms, preroll_ms=1000):
    """Decode the chunks as one stream from about ``from_ms`` on; yield (start_ms, 16 kHz samples).

    Packets that end before ``from_ms - preroll_ms`` are demuxed but not
    decoded, so a pass late in a long meeting costs little more than its new
    audio (decoding an hour of Opus from the start takes ~20 s on 2 cores).
    Positions come from the first decoded frame's timestamp and then count
    samples, so they agree with a decode from the start to within a frame.

    Raises:
        AudioDecodeError: Empty, not audio, or damaged before any sound.
    """
    import av

    from transcribe.audio import SAMPLE_RATE
    from transcribe.audio import AudioDecodeError
    from transcribe.audio import ChunkStream
    from transcribe.audio import _is_ffmpeg_error

    source = ChunkStream(paths)
    if source.size == 0:
        raise AudioDecodeError("it is empty")
    with source:
        try:
            container = av.open(source, mode="r", metadata_errors="ignore")
        except Exception as exc:  # PyAV raises many FFmpegError subclasses
            if _is_ffmpeg_error(exc):
                raise AudioDecodeError("the format was not recognised or the file is damaged") from exc
            raise
        with container:
            if not container.streams.audio:
                raise AudioDecodeError("it contains no audio track")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            skip_before = from_ms - preroll_ms
            position = None  # in samples at SAMPLE_RATE, on the recording's timeline
            skipped_ms = 0
            produced = 0

            def out(frames):
                nonlocal position, produced
                for frame in frames:
                    samples = frame.to_ndarray().reshape(-1).astype("float32", copy=False)
                    if samples.size:
                        yield position * 1000 // SAMPLE_RATE, samples
                        position += samples.size
                        produced += samples.size

            try:
                for packet in container.demux(stream):
                    if position is None and packet.pts is not None and packet.duration and skip_before > 0:
                        end_ms = float((packet.pts + packet.duration) * packet.time_base) * 1000
                        if end_ms < skip_before:
                            skipped_ms = end_ms
                            continue
                    for frame in packet.decode():
                        if position is None:
                            start_s = frame.time if frame.time is not None else skipped_ms / 1000
                            position = round(start_s * SAMPLE_RATE)
                        frame.pts = None  # the resampler must not fix up timestamps across chunks
                        yield from out(resampler.resample(frame))
            except Exception as exc:
                if not _is_ffmpeg_error(exc):
                    raise
                if not produced and from_ms <= 0:
                    raise AudioDecodeError("the audio data is damaged") from exc
                # a cut-off tail (the recording is still arriving) or damage: keep what came before
            if position is not None:
                yield from out(resampler.resample(None))
            if not produced and from_ms <= 0:
                raise AudioDecodeError("it contains no sound")


def _contiguous(recording):
    """Return the chunk files from seq 0 up to the first gap (later chunks wait for the missing one)."""
    paths = []
    for expected, chunk in enumerate(sorted(recording.chunks, key=lambda c: c.seq)):
        if chunk.seq != expected:
            break
        paths.append(audio_store.chunk_file(chunk))  # a local copy when the audio is in a shared store
    return paths


def _release_audio(job_id, finished_only=True):
    """Drop this machine's copies of a recording's audio: once a finished one's transcript is done, or on leaving."""
    job = db.session.get(TranscriptionJob, job_id)
    recording = db.session.get(Recording, job.recording_id) if job is not None and job.recording_id else None
    if recording is not None and (recording.status == "finished" or not finished_only):
        audio_store.store().release(f"{recording.meeting_id}/{recording.id}")
    db.session.rollback()


def _container_ms(paths):
    """Return the duration the container states (uploads usually have one; MediaRecorder's do not)."""
    if len(paths) != 1:
        return None
    import av

    try:
        with av.open(str(paths[0]), metadata_errors="ignore") as container:
            return container.duration // 1000 if container.duration else None
    except Exception:  # noqa: BLE001 - decoding reports a damaged file properly later
        return None


def _commit_window(job_id, attempt, recording_id, at_ms, segments, inc, total_ms, *, final, audio_ms=None,
                   voices=None):
    """Write a window's segments, voices and the transcriber's new state in one transaction (fenced by attempt)."""
    block = voices.take(final=final) if voices is not None else None
    committed = inc.committed_ms if not final else max(inc.committed_ms, audio_ms or 0)
    total_ms = max(total_ms, committed)
    state = {"committed_ms": committed, "owner": OWNER}
    if final:
        state["final"] = True
    stmt = (
        db.update(TranscriptionJob)
        .where(TranscriptionJob.id == job_id, TranscriptionJob.attempts == attempt)
        .where(TranscriptionJob.status.in_(ACTIVE))
        .values(
            state=state,
            processed_ms=committed,
            total_ms=total_ms,
            progress=1.0 if final else (min(committed / total_ms, 0.999) if total_ms else 0.0),
            updated_at=now_utc(),  # the heartbeat other workers read
        )
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(stmt).rowcount != 1:
        db.session.rollback()
        raise LostClaim()
    if segments:
        starts = [at_ms + s.start_ms for s in segments]
        existing = set(
            db.session.execute(
                db.select(TranscriptSegment.start_ms).where(
                    TranscriptSegment.recording_id == recording_id,
                    TranscriptSegment.start_ms.between(min(starts), max(starts)),
                )
            ).scalars()
        )
        meeting_id = db.session.get(Recording, recording_id).meeting_id
        for segment, start in zip(segments, starts):
            if start in existing or not segment.text.strip():
                continue
            existing.add(start)
            db.session.add(TranscriptSegment(
                meeting_id=meeting_id,
                recording_id=recording_id,
                start_ms=start,
                end_ms=at_ms + segment.end_ms,
                text=segment.text,
                words=[
                    {"start_ms": at_ms + w.start_ms, "end_ms": at_ms + w.end_ms, "text": w.text,
                     "probability": w.probability}
                    for w in segment.words
                ],
            ))
    if block is not None:
        start, end, frames = block
        if db.session.execute(db.select(VoiceBlock.id).where(
                VoiceBlock.recording_id == recording_id, VoiceBlock.start_ms == start)).first() is None:
            db.session.add(VoiceBlock(meeting_id=db.session.get(Recording, recording_id).meeting_id,
                                      recording_id=recording_id, start_ms=start, end_ms=end, data=frames.to_bytes()))
    db.session.commit()
    inc.segments.clear()  # they are in the database now; keep memory flat
