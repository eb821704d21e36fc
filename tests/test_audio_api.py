"""Recordings and chunks: declared by a phone, stored durably, idempotent, one continuous stream."""
import hashlib
import uuid

import av
import pytest

from transcribe import decode_chunks


@pytest.fixture
def meeting(parent):
    return parent.make_meeting()


def webm_bytes(tmp_path, seconds=3.0):
    """Encode a tone as WebM/Opus the way MediaRecorder does (one stream, header once)."""
    import numpy as np

    path = tmp_path / "tone.webm"
    rate = 48000
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with av.open(str(path), "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path.read_bytes()


def declare(parent, meeting, rid=None, **fields):
    rid = rid or str(uuid.uuid4())
    body = {"mime": "audio/webm;codecs=opus", "at_ms": 1500, "device_id": "phone-1", **fields}
    return rid, parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}", body)


def put_chunk(parent, meeting, rid, seq, data, mime="audio/webm;codecs=opus", sha=None):
    headers = {"Content-Type": mime}
    if sha:
        headers["X-Content-SHA256"] = sha
    return parent.api("PUT", f"/meetings/{meeting['id']}/recordings/{rid}/chunks/{seq}", data=data, headers=headers)


def test_chunks_join_into_one_stream(parent, meeting, tmp_path, app):
    data = webm_bytes(tmp_path)
    pieces = [data[i:i + 4000] for i in range(0, len(data), 4000)]
    rid, response = declare(parent, meeting)
    assert response.status_code == 201 and response.get_json()["chunks"] == []
    # test that chunks can arrive out of order, and twice
    order = list(range(len(pieces)))[::-1]
    for seq in order + order[:3]:
        sha = hashlib.sha256(pieces[seq]).hexdigest()
        response = put_chunk(parent, meeting, rid, seq, pieces[seq], sha=sha)
        assert response.status_code in (200, 201)
        assert response.get_json()["sha256"] == sha
    status = parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}").get_json()
    assert status["chunks"] == list(range(len(pieces))) and status["at_ms"] == 1500
    finished = parent.api("POST", f"/meetings/{meeting['id']}/recordings/{rid}/finish", {"chunks": len(pieces)})
    assert finished.get_json() == {"status": "finished", "missing": [], "missing_count": 0}
    # test that the stored chunks decode as one continuous stream of the right length
    from server import audio_store
    from server.db import db
    from server.models import Recording

    with app.app_context():
        paths = audio_store.chunk_paths(db.session.get(Recording, rid))
    audio = decode_chunks(paths)
    assert abs(len(audio) / 16000 - 3.0) < 0.1


def test_finish_reports_missing_chunks(parent, meeting):
    rid, _ = declare(parent, meeting)
    put_chunk(parent, meeting, rid, 0, b"a" * 10)
    put_chunk(parent, meeting, rid, 2, b"c" * 10)
    body = parent.api("POST", f"/meetings/{meeting['id']}/recordings/{rid}/finish", {"chunks": 4}).get_json()
    assert body == {"status": "recording", "missing": [1, 3], "missing_count": 2}


def test_declare_is_idempotent(parent, meeting):
    rid, first = declare(parent, meeting)
    _, again = declare(parent, meeting, rid=rid)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == rid


@pytest.mark.parametrize(
    "fields, status",
    [({"mime": "text/html"}, 415), ({"mime": "audio/webm<script>"}, 415), ({"mime": None}, 415), ({"at_ms": -1}, 422)],
)
def test_declare_validation(parent, meeting, fields, status):
    rid, response = declare(parent, meeting, **fields)
    assert response.status_code == status
    assert parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}").status_code == 404


def test_chunk_validation(parent, meeting, app):
    rid, _ = declare(parent, meeting)
    # test that a chunk that differs from what is stored is a conflict, never an overwrite
    assert put_chunk(parent, meeting, rid, 0, b"first").status_code == 201
    assert put_chunk(parent, meeting, rid, 0, b"other").status_code == 409
    assert put_chunk(parent, meeting, rid, 1, b"x", mime="video/mp4").status_code == 415
    assert put_chunk(parent, meeting, rid, 1, b"").status_code == 400
    assert put_chunk(parent, meeting, rid, 1, b"data", sha="0" * 64).status_code == 400
    app.config["MAX_CHUNK_BYTES"] = 1000
    response = put_chunk(parent, meeting, rid, 1, b"x" * 1001)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert put_chunk(parent, meeting, str(uuid.uuid4()), 0, b"x").status_code == 404
    assert put_chunk(parent, meeting, "not-a-uuid", 0, b"x").status_code == 404
    # test that nothing but the first chunk was stored
    assert parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}").get_json()["chunks"] == [0]


def test_a_crash_before_the_row_leaves_nothing_counted(parent, meeting, app, monkeypatch):
    rid, _ = declare(parent, meeting)
    from server import audio_store
    from server.db import db

    # the file is written and renamed, then the process dies before the row is committed
    def crash():
        raise RuntimeError("power cut")

    monkeypatch.setattr(db.session, "commit", crash)
    response = put_chunk(parent, meeting, rid, 0, b"partial")
    monkeypatch.undo()
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "server_error"
    status = parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}").get_json()
    assert status["chunks"] == []
    # test that the retry stores it properly
    assert put_chunk(parent, meeting, rid, 0, b"partial").status_code == 201
    with app.app_context():
        from server.models import Recording

        paths = audio_store.chunk_paths(db.session.get(Recording, rid))
        assert [p.read_bytes() for p in paths] == [b"partial"]
        assert not list(paths[0].parent.glob("*.tmp"))


def test_other_account_cannot_touch_recordings(parent, other_parent, meeting):
    rid, _ = declare(parent, meeting)
    assert other_parent.api("GET", f"/meetings/{meeting['id']}/recordings/{rid}").status_code == 404
    assert put_chunk(other_parent, meeting, rid, 0, b"x").status_code == 404
    _, response = declare(other_parent, meeting)
    assert response.status_code == 404
