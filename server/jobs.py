"""Transcription jobs on Huey: the only glue between the transcribe library, Flask and the database.

One TranscriptionJob row per recording is what the API and the page poll
(status, progress, processed_ms/total_ms, attempts, error). Its ``state`` holds
the IncrementalTranscriber's committed point and who is running it, nothing
that grows with the meeting.

How a job runs (``run_job``):

1. **Claim** the row by compare-and-set on (status, attempts): a queued job, or
   a running one whose worker is gone (a dead pid on this host, or no
   heartbeat for ``JOB_LEASE_S``). ``attempts`` goes up by one and fences every
   later write: a worker that lost its claim can never write again.
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
   Transcript text is never logged.

Workers that die are recovered by ``recover()``: at consumer start and every
minute (a periodic task) it re-enqueues jobs left queued or running by a worker
that is gone.
"""
import logging
import os
import socket
import threading
from datetime import timedelta
from pathlib import Path

import numpy as np
from flask import current_app
from flask import has_app_context

from .db import db
from .db import now_utc
from .models import Recording
from .models import TranscriptionJob
from .models import TranscriptSegment
from .models import VoiceBlock

log = logging.getLogger(__name__)

TASK_NAME = "minuted.transcribe"
RECOVER_NAME = "minuted.recover"
OWNER = f"{socket.gethostname()}:{os.getpid()}"
DEFAULT_LEASE_S = 300
ACTIVE = ("queued", "running")

_worker_app = None
_worker_app_lock = threading.Lock()


class LostClaim(Exception):
    """Another worker has taken this job over; stop without writing."""


# --- the queue ------------------------------------------------------------


def make_huey(config):
    """Return the Huey instance for this configuration (SQLite in DATA_DIR, or Redis)."""
    from huey import RedisHuey
    from huey import SqliteHuey

    immediate = bool(config.get("QUEUE_IMMEDIATE"))
    url = config.get("QUEUE_URL")
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("minuted", url=url, immediate=immediate)
    if url:
        raise ValueError(f"MINUTED_QUEUE_URL must be a redis:// URL (got {url.split(':')[0]}:…)")
    return SqliteHuey("minuted", filename=str(Path(config["DATA_DIR"]) / "queue.sqlite3"), immediate=immediate)


def init_app(app):
    """Create the app's queue and register the transcription tasks on it."""
    from huey import crontab

    huey = make_huey(app.config)
    app.extensions["huey"] = huey
    app.extensions["minuted.transcribe_task"] = huey.task(name=TASK_NAME)(_transcribe_task)
    huey.periodic_task(crontab(minute="*"), name=RECOVER_NAME)(_recover_task)


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


def _recover_task():
    app = _app_for_task()
    with app.app_context():
        recover()


def _enqueue(job_id):
    current_app.extensions["minuted.transcribe_task"](job_id)


def create_consumer(app, workers=1):
    """Return a Huey consumer of ``app``'s queue with thread workers (the engine releases the GIL)."""
    use_app(app)
    with app.app_context():
        recover()
    return app.extensions["huey"].create_consumer(workers=workers, worker_type="thread", periodic=True)


# --- asking for work (request side) -------------------------------------


def job_for(recording_id):
    """Return the recording's job row, or None."""
    return db.session.execute(
        db.select(TranscriptionJob)
        .where(TranscriptionJob.recording_id == recording_id)
        .order_by(TranscriptionJob.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def request_transcription(recording):
    """Queue the recording for (more) transcription; commits. One queued/running job per recording.

    Returns:
        The job row.
    """
    job = job_for(recording.id)
    if job is None:
        job = TranscriptionJob(meeting_id=recording.meeting_id, recording_id=recording.id, status="queued", state={})
        db.session.add(job)
        db.session.commit()
        _enqueue(job.id)
        return job
    if job.status == "queued":
        return job
    # running: flip to queued so the worker loops for the new audio (see the module docstring)
    changed = _cas(job, {"status": "queued", "error": None})
    db.session.commit()
    if changed:
        _enqueue(job.id)  # a live worker ignores it and loops; a dead one's job is picked up
    db.session.refresh(job)
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


def _lease_s():
    return int(current_app.config.get("JOB_LEASE_S") or DEFAULT_LEASE_S)


def recover():
    """Re-enqueue jobs left queued or running by a worker that is gone; return how many."""
    jobs = db.session.execute(db.select(TranscriptionJob).where(TranscriptionJob.status.in_(ACTIVE))).scalars().all()
    count = 0
    for job in jobs:
        if not _owner_alive((job.state or {}).get("owner"), job.updated_at, _lease_s()):
            _enqueue(job.id)
            count += 1
    db.session.rollback()
    if count:
        log.info("re-queued %d transcription job(s) left by stopped workers", count)
    return count


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
                    settings["compute_type"] = app.config.get("WHISPER_COMPUTE_TYPE") or "int8"
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

    attempt = _claim(job_id)
    if attempt is None:
        return
    try:
        while True:
            _transcribe_pass(job_id, attempt)
            if _complete(job_id, attempt):
                return
    except LostClaim:
        db.session.rollback()
        log.info("transcription job %s was taken over by another worker", job_id)
    except AudioDecodeError as e:
        db.session.rollback()
        _fail(job_id, attempt, f"The recording could not be read as audio: {e.reason}.")
    except Exception as e:  # noqa: BLE001 - a job must never be left running
        db.session.rollback()
        log.exception("transcription job %s failed", job_id)
        _fail(job_id, attempt, f"Transcription stopped because of an error on the server ({type(e).__name__}). "
                               "Press Retry to continue from where it stopped.")


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


def _transcribe_pass(job_id, attempt):
    """Feed the audio after the committed point to the transcriber; commit window by window."""
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
        audio_ms = start_ms + piece.size * 1000 // SAMPLE_RATE
        if audio_ms <= inc.resume_from_ms:
            continue  # the decoder's run-up to where we resume
        if voices is not None:
            voices.append(start_ms, piece)
        new = inc.append(piece, start_ms=start_ms)
        if new:
            _commit_window(job_id, attempt, recording_id, at_ms, new, inc, max(total, audio_ms), final=False,
                           voices=voices)
    if finished:
        new = inc.finish()
        _commit_window(job_id, attempt, recording_id, at_ms, new, inc, audio_ms, final=True, audio_ms=audio_ms,
                       voices=voices)
    else:
        new = inc.drain()  # what has piled up short of a whole batch
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
        paths.append(Path(chunk.path))
    return paths


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
