"""One attribution everywhere: the transcript API, the review page, suggestions, minutes and exports agree.

The engine is scripted (no model): one long segment of words spoken by three
people, as tiny.en gives a 20-s window, and taps 300 ms late.
"""
import io
import re

import numpy as np

from conftest import Parent
from server.db import db
from server.models import TranscriptSegment
from test_jobs import wav
from test_transcripts_api import app  # noqa: F401 - fixture (voices off: the fake audio is noise)
from test_transcripts_api import parent  # noqa: F401 - fixture
from test_transcripts_api import tap
from transcribe import FakeTranscriber
from transcribe import Segment
from transcribe import Word

TURNS = [
    ("parent", "We would like fifteen hours a week of one to one support for Sam please."),
    ("la", "I'm afraid that isn't something the local authority can agree to fund at this point, not 50@0.41 hours."),
    ("parent", "Could you put that in writing with the reasons?"),
    ("senco", "We will send the updated provision map by next Friday."),
]


def spoken(turns, start_ms=1000, word_ms=320, gap_ms=250, shift_ms=0):
    """One engine segment holding every turn's words; returns (segment, [(start, end, who)])."""
    words, spans, t = [], [], start_ms
    for who, text in turns:
        begin = t
        for w in text.split():
            w, _, p = w.partition("@")  # "50@0.41": a word the engine was unsure of
            words.append(Word(t + shift_ms, t + word_ms - 60 + shift_ms, w, float(p or 0.92)))
            t += word_ms
        spans.append((begin, t - 60, who))
        t += gap_ms
    segment = Segment(words[0].start_ms, words[-1].end_ms, " ".join(w.text for w in words), words=tuple(words))
    return segment, spans


def meeting_with_speech(app, parent):
    meeting = parent.make_meeting()
    people = {
        "parent": parent.make_attendee(meeting["id"], name="Alex Jones", role="parent"),
        "la": parent.make_attendee(meeting["id"], name="Ms Green", role="la_sen_officer"),
        "senco": parent.make_attendee(meeting["id"], name="Ms Khan", role="senco"),
        "head": parent.make_attendee(meeting["id"], name="Mr Lee", role="head_teacher"),
    }
    segment, spans = spoken(TURNS)
    app.extensions["minuted.transcriber"] = FakeTranscriber([segment])
    events = [(start + 300, "speaker", {"attendee_id": people[who]["id"]}) for start, _, who in spans]
    # Refused, tapped 3 s after the LA officer stopped, while the parent (tapped) is already talking
    events.append((spans[1][1] + 3000, "refused", {"text": "", "speaking": people["parent"]["id"]}))
    tap(parent, meeting["id"], events)
    # continuous sound: one window, so the scripted segment is taken whole
    audio = np.random.default_rng(0).normal(0, 0.1, 25 * 16000).astype(np.float32)
    assert parent.api("POST", f"/meetings/{meeting['id']}/uploads", data={
        "file": (io.BytesIO(wav(audio)), "memo.wav", "audio/wav")}).status_code == 202
    return meeting, people, spans


def names_in_order(text, names):
    text = re.sub(r"<select.*?</select>", "", text, flags=re.S)  # the pickers list everyone
    found = [(m.start(), n) for n in names for m in re.finditer(re.escape(n), text)]
    return [n for _, n in sorted(found)]


def test_one_speaker_for_the_same_words_on_every_page_and_export(app, parent):
    meeting, people, spans = meeting_with_speech(app, parent)
    mid = meeting["id"]
    t = parent.api("GET", f"/meetings/{mid}/transcript").json
    lines = t["segments"]
    # the 20-s engine segment is cut at the word gaps where the taps were
    assert [line["speaker"] for line in lines] == [people[who]["id"] for _, _, who in spans]
    assert lines[1]["text"].startswith("I'm afraid") and lines[1]["speaker_name"] == "Ms Green (LA SEN officer)" \
        or lines[1]["speaker"] == people["la"]["id"]
    assert all(line["how"] == "tapped" for line in lines)
    expected = [line["speaker_name"] for line in lines]

    # the same names, in the same order, on the transcript page, the review page and the text export
    for page in (f"/meetings/{mid}/transcript", f"/meetings/{mid}/review"):
        html = parent.client.get(page).text
        order = names_in_order(html.split("What was said")[-1] if "transcript" in page else
                               html.split('id="segments"')[1].split("</ol>")[0], set(expected))
        assert order == expected, page
    txt = parent.api("GET", f"/meetings/{mid}/transcript.txt").text
    assert names_in_order(txt, set(expected)) == expected

    # the marker names the words it marks, and the person who said them: not the parent tapped at the time
    markdown = parent.api("POST", f"/meetings/{mid}/minutes", {}).json["markdown"]
    refused = next(line for line in markdown.splitlines() if line.startswith("- Refused"))
    assert refused.startswith("- Refused, Ms Green") and "Alex Jones" not in refused
    assert "local authority can agree to fund" in refused
    # a number heard with low confidence is flagged where the parent will read it
    assert "Check “50” against the recording" in refused
    assert lines[1]["unsure"] and lines[1]["unsure"][0]["text"] == "50"
    assert "<mark" in parent.client.get(f"/meetings/{mid}/review").text

    # suggestions name the same speaker as the transcript for the words they quote
    found = parent.api("GET", f"/meetings/{mid}/suggestions").json["suggestions"]
    promise = next(s for s in found if s["kind"] == "commitment")
    assert promise["speaker"].startswith("Ms Khan") and promise["start_ms"] == lines[3]["start_ms"]


def test_a_correction_survives_re_transcription_and_redrafting(app, parent):
    meeting, people, spans = meeting_with_speech(app, parent)
    mid = meeting["id"]
    lines = parent.api("GET", f"/meetings/{mid}/transcript").json["segments"]
    # it was the head teacher, not the SENCO, who promised the provision map
    r = parent.api("PATCH", f"/meetings/{mid}/transcript/segments/{lines[3]['id']}", {"speaker_id": people["head"]["id"]})
    assert r.status_code == 200 and r.json["segments"][0]["how"] == "edited"
    first = parent.api("POST", f"/meetings/{mid}/minutes", {}).json["markdown"]

    # the recording is transcribed again: new rows, timings shifted a little
    with app.app_context():
        rows = db.session.execute(db.select(TranscriptSegment)).scalars().all()
        recording_id, meeting_id = rows[0].recording_id, rows[0].meeting_id
        for row in rows:
            db.session.delete(row)
        segment, _ = spoken(TURNS, shift_ms=90)
        db.session.add(TranscriptSegment(
            meeting_id=meeting_id, recording_id=recording_id, start_ms=segment.start_ms, end_ms=segment.end_ms,
            text=segment.text, words=[{"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text,
                                       "probability": w.probability} for w in segment.words]))
        db.session.commit()
    lines = parent.api("GET", f"/meetings/{mid}/transcript").json["segments"]
    assert lines[3]["speaker"] == people["head"]["id"] and lines[3]["how"] == "edited"
    assert [line["speaker"] for line in lines[:3]] == [people[w]["id"] for _, _, w in spans[:3]]
    again = parent.api("POST", f"/meetings/{mid}/minutes", {}).json["markdown"]
    assert "Mr Lee" in parent.client.get(f"/meetings/{mid}/review").text
    assert first.count("Ms Green") == again.count("Ms Green")

    # going back to the taps removes the correction
    r = parent.api("PATCH", f"/meetings/{mid}/transcript/segments/{lines[3]['id']}", {"speaker_id": None})
    assert r.json["segments"][0]["speaker"] == people["senco"]["id"] and r.json["segments"][0]["how"] == "tapped"


def test_the_review_page_moves_a_marker_and_changes_its_person(app, parent):
    meeting, people, spans = meeting_with_speech(app, parent)
    mid = meeting["id"]
    refused = next(e for e in parent.api("GET", f"/meetings/{mid}/events").json["events"] if e["kind"] == "refused")
    review = f"/meetings/{mid}/review"
    html = parent.client.get(review).text
    assert "Marks the words at" in html and "local authority can agree to fund" in html

    r = parent.post(f"{review}/markers/{refused['id']}", {"action": "later"}, token_from=review)
    assert r.status_code == 302
    event = parent.api("GET", f"/meetings/{mid}/events").json["events"]
    moved = next(e for e in event if e["id"] == refused["id"])
    assert moved["version"] == 2 and moved["payload"]["utterance_ms"] > spans[1][1]
    markdown = parent.api("POST", f"/meetings/{mid}/minutes", {}).json["markdown"]
    # the parent's own line, as the parent chose: the family's own no is "Declined", never the school's refusal
    assert "- Declined, Alex Jones" in markdown

    r = parent.post(f"{review}/markers/{refused['id']}", {"action": "person", "attendee_id": people["head"]["id"]},
                    token_from=review)
    assert r.status_code == 302
    markdown = parent.api("POST", f"/meetings/{mid}/minutes", {}).json["markdown"]
    assert "- Refused, Mr Lee" in markdown

    # someone else's marker, or nonsense: nothing changes
    assert parent.post(f"{review}/markers/nope", {"action": "later"}, token_from=review).status_code == 404
    other = Parent(app, app.test_client(), email="other@example.org").create()
    assert other.post(f"{review}/markers/{refused['id']}", {"action": "later"}, token_from="/").status_code == 404


def test_while_transcribing_new_words_are_worked_in_every_so_often_but_taps_at_once(app, parent):
    meeting, people, spans = meeting_with_speech(app, parent)
    mid = meeting["id"]
    before = parent.api("GET", f"/meetings/{mid}/transcript").json["segments"]
    with app.app_context():
        from server.models import TranscriptionJob

        job = db.session.execute(db.select(TranscriptionJob)).scalar_one()
        job.status = "running"  # as if more audio were still being transcribed
        row = db.session.execute(db.select(TranscriptSegment)).scalar_one()
        db.session.add(TranscriptSegment(meeting_id=row.meeting_id, recording_id=row.recording_id, start_ms=20_000,
                                         end_ms=21_000, text="Thanks.",
                                         words=[{"start_ms": 20_000, "end_ms": 21_000, "text": "Thanks."}]))
        db.session.commit()
    # a new window alone waits for the next refresh
    assert len(parent.api("GET", f"/meetings/{mid}/transcript").json["segments"]) == len(before)
    # a tap is the parent's word: worked in at once (with the new words)
    tap(parent, mid, [(19_800, "speaker", {"attendee_id": people["head"]["id"]})])
    after = parent.api("GET", f"/meetings/{mid}/transcript").json["segments"]
    assert len(after) == len(before) + 1 and after[-1]["speaker"] == people["head"]["id"]
