"""Voices while transcribing: the job stores voice embeddings window by window, on one grid, and resumes it."""
import io
import json
from pathlib import Path

import numpy as np

from conftest import Parent
from server.db import db
from server.jobs import VoiceTrack
from server.models import VoiceBlock
from test_jobs import _app
from test_jobs import app  # noqa: F401 - fixture
from test_jobs import wav
from transcribe.audio import decode
from transcribe.voices import VoiceFrames
from transcribe.voices import voice_frames

AUDIO = Path(__file__).parent / "data" / "audio"


def two_voices():
    """Real speech: the LJ Speech reader, then the LibriVox reader, then LJ again (about 25 s)."""
    lj = [decode(AUDIO / f"LJ00{n}.wav") for n in ("1-0002", "1-0004", "1-0008", "1-0013")]
    sas = [decode(AUDIO / f"psphinx_sas_0{n}.wav") for n in (870, 890, 920)]
    gap = np.zeros(8000, dtype=np.float32)
    parts = []
    for clip in lj[:2] + sas + lj[2:]:
        parts += [clip, gap]
    return np.concatenate(parts)


def test_the_track_streams_the_same_frames_as_one_pass():
    audio = two_voices()
    whole = voice_frames(audio, offset_ms=5000, step_ms=VoiceTrack.STEP_MS, window_ms=VoiceTrack.WINDOW_MS)
    track = VoiceTrack(at_ms=5000, next_ms=0)
    rng = np.random.default_rng(1)
    blocks, position = [], 0
    while position < len(audio):
        size = int(rng.integers(1600, 80_000))
        track.append(position * 1000 // 16000, audio[position:position + size])
        position += size
        if rng.random() < 0.5:
            blocks.append(track.take())
    blocks.append(track.take(final=True))
    blocks = [b for b in blocks if b is not None]
    # blocks follow each other on the meeting timeline
    assert blocks[0][0] == 5000
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    streamed = VoiceFrames.concat([b[2] for b in blocks])
    assert list(streamed.centers_ms) == list(whole.centers_ms)
    cos = np.sum(streamed.vectors * whole.vectors, axis=1)
    assert cos.min() > 0.98  # the same windows, give or take the audio around their edges


def test_an_upload_stores_voice_blocks_that_cover_it(app):
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    audio = two_voices()
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(audio)), "memo.wav", "audio/wav"), "at_ms": "2000"})
    assert r.status_code == 202
    with app.app_context():
        blocks = db.session.execute(db.select(VoiceBlock).order_by(VoiceBlock.start_ms)).scalars().all()
        frames = VoiceFrames.concat([VoiceFrames.from_bytes(b.data) for b in blocks])
    assert blocks and blocks[0].start_ms == 2000
    assert frames.centers_ms[0] >= 2000 and frames.centers_ms[-1] <= 2000 + len(audio) // 16
    assert len(frames) >= 10  # a frame every 1.6 s of sound
    # the transcript (fake engine) reads them without error
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done" and json.dumps(t)
    # deleting the meeting deletes its voices (and the utterances worked out from them)
    assert parent.api("DELETE", f"/meetings/{meeting['id']}").status_code == 204
    with app.app_context():
        from server.models import Utterance

        assert db.session.execute(db.select(db.func.count(VoiceBlock.id))).scalar() == 0
        assert db.session.execute(db.select(db.func.count(Utterance.id))).scalar() == 0


def test_voices_can_be_switched_off(tmp_path, migrated_db):
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True, VOICES=False)
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": (io.BytesIO(wav(two_voices())), "memo.wav", "audio/wav")})
    assert r.status_code == 202
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(VoiceBlock.id))).scalar() == 0
        db.engine.dispose()
