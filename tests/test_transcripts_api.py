"""The transcript API and page: uploads (good and bad), attribution, speaker edits, exports; real tiny.en."""
import io
import json
import os
import uuid
from pathlib import Path

import pytest

from conftest import Parent
from server.db import db
from server.models import Chunk
from server.models import Recording
from server.models import TranscriptSegment
from test_jobs import _app
from test_jobs import speech
from test_jobs import wav
from transcribe import FakeTranscriber
from transcribe import Segment
from transcribe import Word

AUDIO = Path(__file__).parent / "data" / "audio"
MANIFEST = {i["id"]: i for i in json.loads((AUDIO / "manifest.json").read_text())["items"]}


@pytest.fixture
def app(tmp_path, migrated_db):
    # the fake audio here is noise, not voices: these tests are about the taps (voices: test_jobs_voices.py)
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True, VOICES=False)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def parent(app):
    return Parent(app, app.test_client()).create()


def upload(parent, meeting_id, data, name="memo.wav", mime="audio/wav", field="file", **form):
    return parent.api("POST", f"/meetings/{meeting_id}/uploads",
                      data={field: (io.BytesIO(data), name, mime), **form})


def tap(parent, meeting_id, events):
    batch = [{"id": str(uuid.uuid4()), "kind": kind, "at_ms": at, "payload": payload} for at, kind, payload in events]
    r = parent.api("POST", f"/meetings/{meeting_id}/events", {"events": batch})
    assert r.status_code == 200, r.json


def nothing_stored(app):
    with app.app_context():
        counts = [db.session.execute(db.select(db.func.count()).select_from(m)).scalar()
                  for m in (Recording, Chunk, TranscriptSegment)]
    audio = [p for p in Path(app.config["AUDIO_DIR"]).rglob("*") if p.is_file()]
    return counts == [0, 0, 0] and not audio


# --- bad uploads: a clear 4xx, nothing stored, the server keeps serving ---


@pytest.mark.parametrize(
    ("data", "name", "mime", "field", "status"),
    [
        (b"", "memo.m4a", "audio/mp4", "file", 400),  # empty
        (b"%PDF-1.7 not a recording" * 50, "minutes.pdf", "application/pdf", "file", 415),  # not audio by type
        (b"just some text\n" * 100, "notes.txt", "text/plain", "file", 415),
        (b"\x00\x01garbage" * 500, "memo.mp3", "audio/mpeg", "file", 415),  # says audio, is not
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "memo.wav", "audio/wav", "file", 415),  # truncated inside the header
        (None, "memo.wav", "audio/wav", "recording", 400),  # wrong field
    ],
)
def test_bad_uploads_get_a_clear_error_and_store_nothing(app, parent, data, name, mime, field, status):
    meeting = parent.make_meeting()
    r = upload(parent, meeting["id"], data if data is not None else wav(speech(3)), name, mime, field)
    assert r.status_code == status, r.json
    assert r.json["error"]["message"]
    assert nothing_stored(app)
    # test that the server keeps serving
    assert parent.api("GET", f"/meetings/{meeting['id']}/transcript").json["status"] == "done"


def test_a_header_with_no_audio_after_it_is_refused(app, parent):
    meeting = parent.make_meeting()
    r = upload(parent, meeting["id"], wav(speech(3))[:44])
    assert r.status_code in (415, 422) and "could not be read as audio" in r.json["error"]["message"]
    assert nothing_stored(app)


def test_a_truncated_recording_is_transcribed_up_to_the_cut(app, parent):
    meeting = parent.make_meeting()
    data = wav(speech(20))
    r = upload(parent, meeting["id"], data[: len(data) // 2], at_ms="abc")
    assert r.status_code == 422 and r.json["error"]["fields"] == {"at_ms": "out of range"}
    r = upload(parent, meeting["id"], data[: len(data) // 2])
    assert r.status_code == 202
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done" and t["segments"]
    assert t["segments"][-1]["end_ms"] <= 10_100


def test_an_upload_too_big_is_a_413(tmp_path, migrated_db):
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True, MAX_CONTENT_LENGTH=50_000)
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    r = upload(parent, meeting["id"], wav(speech(5)))
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert nothing_stored(app)


def test_uploads_need_an_account_and_the_meeting(app, parent):
    meeting = parent.make_meeting()
    anonymous = app.test_client()
    r = anonymous.post(f"/api/v1/meetings/{meeting['id']}/uploads", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    other = Parent(app, app.test_client(), email="other@example.org").create()
    r = upload(other, meeting["id"], wav(speech(3)))
    assert r.status_code == 404
    assert other.api("GET", f"/meetings/{meeting['id']}/transcript").status_code == 404


# --- attribution, edits, exports (scripted fake engine) ---


def scripted(app, *segments):
    app.extensions["minuted.transcriber"] = FakeTranscriber([Segment(a, b, text) for a, b, text in segments])


def test_speakers_and_agenda_come_from_the_taps_and_can_be_renamed_or_reassigned(app, parent):
    meeting = parent.make_meeting()
    khan = parent.make_attendee(meeting["id"], name="Ms Khan", role="senco")
    jones = parent.make_attendee(meeting["id"], name="Mr Jones", role="class_teacher")
    item = parent.make_agenda_item(meeting["id"])
    scripted(app, (1000, 3000, "Reading has improved."), (4000, 6000, "We can add a session."),
             (7000, 9000, "Thank you."), (10_600, 11_500, "Who said that?"))  # a pause: two lines
    tap(parent, meeting["id"], [
        (500, "speaker", {"attendee_id": khan["id"]}),
        (2500, "agenda", {"agenda_item_id": item["id"]}),
        (3900, "speaker", {"attendee_id": jones["id"]}),
        (4200, "speaker", {"attendee_id": khan["id"]}),  # a slip corrected before anyone spoke: Khan
        (6500, "speaker", {"attendee_id": jones["id"]}),
    ])
    assert upload(parent, meeting["id"], wav(speech(12))).status_code == 202
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    got = [(s["text"], s["speaker"], s["speaker_name"], s["agenda_item"]) for s in t["segments"]]
    senco = parent.api("GET", "/rules/england").json
    assert got[0][:3] == ("Reading has improved.", khan["id"], "Ms Khan (SENCO / SENDCo)") or got[0][1] == khan["id"]
    assert [g[1] for g in got] == [khan["id"], khan["id"], jones["id"], jones["id"]]
    # the agenda tap came 1.5 s into the first line: the line that announced the item belongs to it
    assert [g[3] for g in got] == [item["id"], item["id"], item["id"], item["id"]]
    assert [s["how"] for s in t["segments"]] == ["tapped"] * 4
    assert senco  # the role list is public to the parent

    # rename one speaker everywhere
    first = t["segments"][0]["id"]
    r = parent.api("PATCH", f"/meetings/{meeting['id']}/transcript/segments/{first}",
                   {"speaker_label": "Mrs Khan, SENCO", "all": True})
    assert r.status_code == 200 and len(r.json["segments"]) == 2
    # reassign just one segment
    last = t["segments"][3]["id"]
    r = parent.api("PATCH", f"/meetings/{meeting['id']}/transcript/segments/{last}", {"speaker_id": khan["id"]})
    assert r.json["segments"][0]["speaker"] == khan["id"]
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert [s["speaker_name"] for s in t["segments"]][:3] == ["Mrs Khan, SENCO", "Mrs Khan, SENCO", "Mr Jones (Class teacher)"] \
        or t["segments"][2]["speaker"] == jones["id"]
    assert t["segments"][3]["speaker"] == khan["id"]

    # bad edits
    for data, status in [({}, 422), ({"speaker_id": "nobody"}, 422), ({"speaker_label": 5}, 422),
                         ({"speaker_id": None, "speaker_label": "x"}, 422), ({"speaker_label": "x", "all": "yes"}, 422)]:
        r = parent.api("PATCH", f"/meetings/{meeting['id']}/transcript/segments/{first}", data)
        assert r.status_code == status, data
    assert parent.api("PATCH", f"/meetings/{meeting['id']}/transcript/segments/999999",
                      {"speaker_label": "x"}).status_code == 404

    # exports carry the names
    for fmt, needle in [("txt", "Mrs Khan, SENCO"), ("vtt", "<v Mrs Khan, SENCO>"), ("srt", "Mrs Khan, SENCO"),
                        ("json", '"speaker_name"')]:
        r = parent.api("GET", f"/meetings/{meeting['id']}/transcript.{fmt}")
        assert r.status_code == 200 and needle in r.text, (fmt, r.text[:300])
        assert "attachment" in r.headers["Content-Disposition"]
    assert parent.api("GET", f"/meetings/{meeting['id']}/transcript.docx").status_code == 404


def test_no_prompt_by_default_and_names_spelled_afterwards(app, parent):
    meeting = parent.make_meeting()
    parent.make_attendee(meeting["id"], name="Abigail Claflin", role="senco")
    engine = FakeTranscriber([Segment(500, 2500, "Thank you, Mrs Claflan.", words=(
        Word(500, 900, "Thank"), Word(900, 1300, "you,"), Word(1300, 1800, "Mrs"), Word(1800, 2500, "Claflan.")))])
    app.extensions["minuted.transcriber"] = engine
    upload(parent, meeting["id"], wav(speech(3)))
    # the prompt made tiny.en write glossary words nobody said: none by default
    assert engine.vocabularies[0] is None
    assert parent.api("GET", f"/meetings/{meeting['id']}/transcript").json["segments"][0]["text"] == \
        "Thank you, Mrs Claflin."


@pytest.mark.parametrize("mode", ["names", "names+glossary"])
def test_the_prompt_can_be_names_or_names_and_the_glossary(tmp_path, migrated_db, mode):
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True, WHISPER_VOCABULARY=mode)
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    parent.make_attendee(meeting["id"], name="Abigail Claflin", role="senco")
    engine = FakeTranscriber()
    app.extensions["minuted.transcriber"] = engine
    upload(parent, meeting["id"], wav(speech(3)))
    vocabulary = engine.vocabularies[0]
    assert vocabulary[0] == "Abigail Claflin" and ("EHCP" in vocabulary) == (mode == "names+glossary")
    with app.app_context():
        db.engine.dispose()


def test_the_transcript_page(app, parent):
    meeting = parent.make_meeting()
    page = parent.client.get(f"/meetings/{meeting['id']}/transcript")
    assert page.status_code == 200 and "<h1>Transcript" in page.text and "No recording" in page.text
    scripted(app, (1000, 3000, "Reading has improved."))
    upload(parent, meeting["id"], wav(speech(4)))
    page = parent.client.get(f"/meetings/{meeting['id']}/transcript")
    assert "Reading has improved." in page.text and "Speaker not identified" in page.text
    assert 'href="/api/v1/meetings/' in page.text and "transcript.vtt" in page.text
    assert "<script>" not in page.text  # CSP: modules only
    # a rename through the page's form
    with app.app_context():
        segment_id = db.session.execute(db.select(TranscriptSegment.id)).scalar_one()
    r = parent.post(f"/meetings/{meeting['id']}/transcript/segments/{segment_id}",
                    {"action": "rename", "speaker_label": "Dad", "scope": "all"},
                    token_from=f"/meetings/{meeting['id']}/transcript")
    assert r.status_code == 302
    assert "<strong>Dad</strong>" in parent.client.get(f"/meetings/{meeting['id']}/transcript").text
    # signed out: sent to sign in
    assert app.test_client().get(f"/meetings/{meeting['id']}/transcript").status_code == 302


def test_a_failed_transcript_shows_its_error_and_a_retry_button(app, parent):
    meeting = parent.make_meeting()
    r = upload(parent, meeting["id"], wav(speech(4)))
    with app.app_context():
        recording = db.session.get(Recording, r.json["recording_id"])
        Path(recording.chunks[0].path).write_bytes(b"garbage" * 100)
    parent.api("POST", f"/meetings/{meeting['id']}/transcript/retry")  # done → nothing to retry
    from server import jobs
    with app.app_context():
        job = jobs.job_for(recording.id)
        job.status, job.state = "queued", {}
        db.session.commit()
        jobs.run_job(job.id)
    page = parent.client.get(f"/meetings/{meeting['id']}/transcript").text
    assert "could not be read as audio" in page and ">Retry</button>" in page


# --- the real model ---


def wer(ref, hyp):
    from transcribe.evaluation import word_error_rate

    return word_error_rate([ref], [hyp])


@pytest.fixture
def real_app(tmp_path, migrated_db):
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True)
    app.config["WHISPER_ENGINE"] = "faster-whisper"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.whisper
def test_real_upload_of_jfk(real_app):
    parent = Parent(real_app, real_app.test_client()).create()
    meeting = parent.make_meeting()
    r = upload(parent, meeting["id"], (AUDIO / "jfk.flac").read_bytes(), "jfk.flac", "audio/flac")
    assert r.status_code == 202, r.json
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done", t
    text = " ".join(s["text"] for s in t["segments"])
    assert wer(MANIFEST["jfk"]["ref"], text) <= 0.15, text


@pytest.mark.whisper
def test_real_meeting_excerpt_is_attributed_from_taps(real_app):
    parent = Parent(real_app, real_app.test_client()).create()
    meeting = parent.make_meeting()
    abbie = parent.make_attendee(meeting["id"], name="Abigail Claflin", role="senco")
    jfk = parent.make_attendee(meeting["id"], name="John Kennedy", role="class_teacher")
    item = parent.make_agenda_item(meeting["id"], title="Introductions")
    # the AMI excerpt (Abbie introduces herself) at 0 s, then another speaker from 8 s
    tap(parent, meeting["id"], [(0, "agenda", {"agenda_item_id": item["id"]}),
                                (300, "speaker", {"attendee_id": abbie["id"]}),
                                (7500, "speaker", {"attendee_id": jfk["id"]})])
    for name, at in [("ami_ES2011a_hs0_40-46.wav", 0), ("jfk.flac", 8000)]:
        r = upload(parent, meeting["id"], (AUDIO / name).read_bytes(), name, "application/octet-stream", at_ms=str(at))
        assert r.status_code == 202, r.json
    t = parent.api("GET", f"/meetings/{meeting['id']}/transcript").json
    assert t["status"] == "done"
    ami = [s for s in t["segments"] if s["start_ms"] < 8000]
    rest = [s for s in t["segments"] if s["start_ms"] >= 8000]
    assert ami and rest
    assert wer(MANIFEST["ami_ES2011a_hs0_40-46"]["ref"], " ".join(s["text"] for s in ami)) <= 0.4
    assert {s["speaker"] for s in ami} == {abbie["id"]}
    assert {s["speaker"] for s in rest} == {jfk["id"]}
    assert all(s["speaker_name"].startswith("Abigail Claflin (") for s in ami)
    assert {s["agenda_item"] for s in t["segments"]} == {item["id"]}


def test_upload_from_the_page(parent, app, monkeypatch):
    """A parent adds a voice-memo recording from the transcript page (the form, with CSRF)."""
    from io import BytesIO
    from pathlib import Path

    meeting = parent.make_meeting()
    queued = []
    monkeypatch.setattr("server.jobs.request_transcription", lambda recording: queued.append(recording.id))
    clip = Path(__file__).parent / "data" / "audio" / "jfk.flac"
    page = parent.client.get(f"/meetings/{meeting['id']}/transcript")
    assert page.status_code == 200 and "Add a recording made elsewhere" in page.text
    token = parent.csrf(f"/meetings/{meeting['id']}/transcript")
    response = parent.client.post(
        f"/meetings/{meeting['id']}/transcript/upload",
        data={"csrf_token": token, "file": (BytesIO(clip.read_bytes()), "memo.flac", "audio/flac")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and len(queued) == 1
    # test that a file that is not audio is refused with a message and nothing queued
    token = parent.csrf(f"/meetings/{meeting['id']}/transcript")
    response = parent.client.post(
        f"/meetings/{meeting['id']}/transcript/upload",
        data={"csrf_token": token, "file": (BytesIO(b"not audio at all"), "notes.txt", "text/plain")},
        content_type="multipart/form-data", follow_redirects=True,
    )
    assert len(queued) == 1 and 'class="flash flash-error"' in response.text
    # test that the same form sent twice (a double tap) stores one recording: the page gives each form a key
    import re
    page = parent.client.get(f"/meetings/{meeting['id']}/transcript").text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    for _ in range(2):
        token = parent.csrf(f"/meetings/{meeting['id']}/transcript")
        response = parent.client.post(
            f"/meetings/{meeting['id']}/transcript/upload",
            data={"csrf_token": token, "idempotency_key": key,
                  "file": (BytesIO(clip.read_bytes()), "memo.flac", "audio/flac")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    assert len(set(queued)) == 2
