"""A worker killed with SIGKILL mid-job: the job resumes from its saved state, nothing is doubled.

Real speech (the bundled clips joined, ~2 minutes) is uploaded as WebM chunks
through the API; `minuted worker` runs as a subprocess on the SQLite queue.
"""
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from conftest import Parent
from conftest import make_app
from server.db import db
from transcribe import IncrementalTranscriber
from transcribe import decode
from transcribe import get_transcriber
from transcribe.audio import encode
from transcribe.evaluation import normalise
from transcribe.evaluation import word_error_rate

AUDIO = Path(__file__).parent / "data" / "audio"
MINUTED = Path(sys.executable).with_name("minuted")

pytestmark = [pytest.mark.whisper, pytest.mark.slow]


def joined_speech(seconds=120):
    """Join the bundled single-speaker clips (with 0.6-s pauses) until ``seconds``; return (audio, reference)."""
    items = [i for i in json.loads((AUDIO / "manifest.json").read_text())["items"] if i["speakers"] == 1]
    pieces, refs, total = [], [], 0
    while total < seconds * 16000:
        for item in items:
            audio = decode(AUDIO / item["file"])
            pieces += [audio, np.zeros(9600, dtype=np.float32)]
            refs.append(item["ref"])
            total += audio.size + 9600
            if total >= seconds * 16000:
                break
    return np.concatenate(pieces), " ".join(refs)


def start_worker(data, env_extra=None, log=None):
    env = {**os.environ, "MINUTED_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.Popen([str(MINUTED), "worker", "--data", str(data)], env=env,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)


def job_row(data):
    with sqlite3.connect(data / "minuted.sqlite3", timeout=10) as con:
        return con.execute("SELECT status, processed_ms, total_ms, attempts, error FROM transcription_job").fetchone()


def wait_for(predicate, timeout, proc=None, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the worker exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def upload_webm_chunks(parent, meeting_id, data, size=16_000):
    recording_id = str(uuid.uuid4())
    assert parent.api("PUT", f"/meetings/{meeting_id}/recordings/{recording_id}",
                      {"mime": "audio/webm;codecs=opus"}).status_code == 201
    for seq, i in enumerate(range(0, len(data), size)):
        r = parent.api("PUT", f"/meetings/{meeting_id}/recordings/{recording_id}/chunks/{seq}",
                       data=data[i:i + size], headers={"Content-Type": "audio/webm;codecs=opus"})
        assert r.status_code == 201, r.json
    assert parent.api("POST", f"/meetings/{meeting_id}/recordings/{recording_id}/finish").json["missing"] == []


def test_sigkill_mid_job_resumes_without_duplicates(tmp_path, migrated_db):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data)  # the real SQLite queue in the data directory; nothing consumes it here
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    audio, reference = joined_speech(120)
    webm = io.BytesIO()
    encode(audio, webm, container="webm", codec="libopus")
    upload_webm_chunks(parent, meeting["id"], webm.getvalue())
    assert job_row(data)[0] == "queued"

    log = open(tmp_path / "worker.log", "wb")
    # One window per commit, so that two minutes of audio give the kill a point between commits
    # (batches commit every 16 windows; test_jobs covers a crash between batches with the fake engine).
    one_at_a_time = {"MINUTED_WHISPER_BATCH_SIZE": "1"}
    worker = start_worker(data, one_at_a_time, log=log)
    try:
        # kill -9 once at least one window is committed and the job is not finished
        row = wait_for(lambda: (r := job_row(data)) and r[0] == "running" and 0 < r[1] < (r[2] or 1) and r,
                       timeout=180, proc=worker, what="progress between 0 and 1")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = job_row(data)
        assert killed_at[0] == "running" and killed_at[1] >= row[1]
        with app.app_context():
            from server.models import TranscriptSegment

            before = db.session.execute(db.select(db.func.count(TranscriptSegment.id))).scalar()
        assert before > 0

        worker = start_worker(data, one_at_a_time, log=log)
        done = wait_for(lambda: (r := job_row(data)) and r[0] in ("done", "failed") and r, timeout=240,
                        proc=worker, what="the job to finish")
    finally:
        stop(worker)
        log.close()
    assert done[0] == "done", (done, (tmp_path / "worker.log").read_text()[-2000:])
    assert done[3] == 2  # claimed twice: before and after the kill

    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    starts = [s["start_ms"] for s in t["segments"]]
    assert len(starts) == len(set(starts)) and starts == sorted(starts)
    # no word sequence repeated across a boundary between consecutive segments
    texts = [normalise(s["text"]).split() for s in t["segments"]]
    for a, b in zip(texts, texts[1:]):
        for n in (3, 2):
            if len(a) >= n and len(b) >= n:
                assert a[-n:] != b[:n], (a[-n:], b[:n])
    hypothesis = " ".join(s["text"] for s in t["segments"])

    # a clean run of the same pipeline on the same audio, in this process
    from server.transcripts import glossary_terms

    inc = IncrementalTranscriber(get_transcriber(), vocabulary=glossary_terms())
    decoded = decode(webm.getvalue())
    for i in range(0, decoded.size, 16000 * 5):
        inc.append(decoded[i:i + 16000 * 5])
    inc.finish()
    clean = " ".join(s.text for s in inc.segments)
    killed_wer = word_error_rate([reference], [hypothesis])
    clean_wer = word_error_rate([reference], [clean])
    assert killed_wer <= clean_wer + 0.02, (killed_wer, clean_wer)
    assert killed_wer < 0.12
    with app.app_context():
        db.engine.dispose()
