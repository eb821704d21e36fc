"""Meeting mode (issue 3) on a 390×844 phone: offline capture, reloads, recording, sync, consent, errors, a11y.

The live page's CSP blocks eval, so waits poll `page.evaluate` from Python instead of `wait_for_function`.
Audio comes from Chromium's fake microphone playing an espeak-ng wav (conftest's `speech_wav`, looped).
"""
import base64
import json
import sqlite3
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from transcribe.audio import decode, decode_chunks

from .conftest import UNRELATED_SPEECH, espeak_wav, poll, wait_controlled

SR = 16000
MARKERS = ["note", "agreed", "refused", "action", "question", "quote", "bookmark"]


# ---------- server side ----------


class Api:
    """The JSON API with a bearer token (fast set-up and checks, no browser)."""

    def __init__(self, server, email):
        self.server = server
        self.token = server.cli("token", email).strip()

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server.url + "/api/v1" + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def events(self, meeting_id):
        return self.call("GET", f"/meetings/{meeting_id}/events")["events"]


def make_meeting(server, email, targets=2, api=None):
    """A prepared meeting (3 attendees, 3 agenda items, targets) made through the API; returns a dict."""
    api = api or Api(server, email)
    child = api.call("POST", "/children", {"name": "Sam", "jurisdiction": "england"})
    starts = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    meeting = api.call("POST", "/meetings", {"child_id": child["id"], "kind": "ehcp_annual_review",
                                             "title": "Annual review", "starts_at": starts})
    mid = meeting["id"]
    people = [api.call("POST", f"/meetings/{mid}/attendees", {"name": n, "role": r})
              for n, r in [("Ms Patel", "senco"), ("Mr Jones", "class_teacher"), ("Ms Green", "la_sen_officer")]]
    agenda = [api.call("POST", f"/meetings/{mid}/agenda", {"title": t, "detail": ""})
              for t in ["Reading support", "Speech therapy", "Lunchtime"]]
    tgts = [api.call("POST", f"/meetings/{mid}/targets", {"text": f"Target {i + 1}: read a page aloud", "status": "current"})
            for i in range(targets)]
    return {"id": mid, "api": api, "email": email, "attendees": [p["id"] for p in people],
            "agenda": [a["id"] for a in agenda], "targets": [t["id"] for t in tgts]}


def server_recordings(server, meeting_id):
    """{recording id: [chunk files in seq order]} as stored under <data>/audio."""
    root = Path(server.data) / "audio" / meeting_id
    if not root.exists():
        return {}
    return {d.name: sorted(d.glob("*.chunk")) for d in sorted(root.iterdir()) if d.is_dir()}


def db_rows(server, sql, *args):
    with sqlite3.connect(Path(server.data) / "minuted.sqlite3") as con:
        return con.execute(sql, args).fetchall()


# ---------- the page ----------


def live_ready(page):
    page.evaluate("window.minutedLive.ready")


def state(page):
    return page.evaluate("window.minutedLive.state()")


def counts(page):
    return page.evaluate("window.minutedLive.counts()")


ZERO = {"eventsPending": 0, "chunksPending": 0, "rejected": 0, "recordingsUnfinished": 0}


def sync_until_done(page, timeout=45):
    """Sync until nothing is waiting on this phone; return the counts."""
    return sync_until_done_or(page, lambda c: c == ZERO, timeout)


def open_overview_and_prefetch(page, meeting_id):
    page.goto(f"/meetings/{meeting_id}")
    wait_controlled(page)
    expect(page.locator("[data-live-ready]")).to_contain_text("Saved on this phone")


def open_live(page, meeting_id, timeslice=1000):
    response = page.goto(f"/meetings/{meeting_id}/live" + (f"?timeslice={timeslice}" if timeslice else ""))
    live_ready(page)
    return response


def start_meeting(page):
    page.locator("#start-meeting").click()
    expect(page.locator("#live-main")).to_be_visible()
    poll(page, "window.minutedLive.state().started_at", message="the start")


def give_consent(page, attendee_ids, answers=None):
    """Open the consent sheet, mark answers ({id: yes|no|unasked}, default yes), tick 'said'; return the sheet."""
    page.locator("#rec-consent").click()
    sheet = page.locator("#consent-sheet")
    expect(sheet).to_be_visible()
    for aid in attendee_ids:
        page.locator(f"#consent-{aid}-{(answers or {}).get(aid, 'yes')}").check()
    page.locator("#consent-said").check()
    return sheet


def start_recording(page, attendee_ids):
    give_consent(page, attendee_ids)
    page.locator("#consent-start").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording to start")
    return time.monotonic()


def tap_marker(page, kind, text=None, **fields):
    """Tap a marker (saved by the tap, no sheet); with text or fields, fill them in through "Add words". Returns the id."""
    before = set(own_events(page))
    page.locator(f"[data-marker={kind}]").click()
    event_id = poll(page, "document.getElementById('marker-saved').dataset.eventId || null",
                    lambda v: v and v not in before, message=f"the {kind} marker to be saved")
    expect(page.locator("#marker-words")).to_be_visible()
    # test that the tap saved exactly one event on the phone (IndexedDB is the truth; the screen reloads from it)
    assert set(own_events(page)) - before == {event_id}
    sheet = page.locator("#marker-sheet")
    if text or fields:
        page.locator("#marker-words").click()
        expect(sheet).to_be_visible()
        assert sheet.get_attribute("data-event-id") == event_id
        if text:
            page.locator("#marker-text").fill(text)
        if "by" in fields:
            page.locator("#refused-by").select_option(fields["by"])
        if "reason" in fields:
            page.locator("#refused-reason").select_option(fields["reason"])
        if "other" in fields:
            page.locator("#refused-other").fill(fields["other"])
        if "owner" in fields:
            page.locator("#action-owner").select_option(fields["owner"])
        if "due" in fields:
            page.locator("#action-due").fill(fields["due"])
        page.locator("#marker-save").click()
    expect(sheet).to_be_hidden()
    if text:
        # the words are written to IndexedDB after the sheet closes: wait for them (a test that closes the page
        # next would otherwise close it before the write, and the phone would keep the marker without its words)
        poll(page, "null", lambda _: own_events(page)[event_id]["payload"].get("text") == text,
             message="the words to be saved on the phone")
    return event_id


def tap_speaker(page, attendee_id):
    chip = page.locator(f"#speakers [data-attendee-id='{attendee_id}']")
    chip.click()
    expect(chip).to_have_attribute("aria-pressed", "true")


def add_person(page, name, role_label):
    page.locator("#add-person").click()
    page.locator("#person-name").fill(name)
    page.locator("#person-role").select_option(label=role_label)
    page.locator("#person-save").click()
    chip = page.locator("#speakers [data-attendee-id]", has_text=name)
    expect(chip).to_have_count(1)
    return chip.get_attribute("data-attendee-id")


def review_target(page, target_id, status="achieved"):
    page.locator("#mark-target").click()
    page.locator("#target-id").select_option(target_id)
    page.locator("#target-status").select_option(status)
    page.locator("#target-save").click()
    expect(page.locator("#target-sheet")).to_be_hidden()


def own_events(page):
    """{id: event} for the events this phone made, from IndexedDB."""
    rows = page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('minuted');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const req = open.result.transaction('events').objectStore('events').getAll();
            req.onsuccess = () => { resolve(req.result); open.result.close(); };
            req.onerror = () => reject(req.error);
        };
    })""")
    return {e["id"]: e for e in rows if not e.get("remote")}


def idb_chunks(page):
    """{recording id: [bytes in seq order]} for the audio chunks waiting in IndexedDB."""
    rows = page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('minuted');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const req = open.result.transaction('chunks').objectStore('chunks').getAll();
            req.onsuccess = () => {
                open.result.close();
                resolve(req.result.map((c) => {
                    const bytes = new Uint8Array(c.bytes);
                    let bin = '';
                    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
                    return { recording_id: c.recording_id, seq: c.seq, b64: btoa(bin) };
                }));
            };
            req.onerror = () => reject(req.error);
        };
    })""")
    out = {}
    for row in sorted(rows, key=lambda r: (r["recording_id"], r["seq"])):
        out.setdefault(row["recording_id"], []).append((row["seq"], base64.b64decode(row["b64"])))
    return out


def assert_events_exactly_once(server_events, mine):
    """Every event the phone made is on the server once, at its latest version, with its payload."""
    ids = [e["id"] for e in server_events]
    assert len(ids) == len(set(ids)), "an event is on the server twice"
    on_server = {e["id"]: e for e in server_events}
    missing = set(mine) - set(on_server)
    assert not missing, f"{len(missing)} events never reached the server"
    for eid, e in mine.items():
        s = on_server[eid]
        assert (s["version"], s["deleted"], s["kind"]) == (e["version"], e["deleted"], e["kind"]), eid
        assert s["payload"] == e["payload"], eid
        assert s["device_id"] == e["device_id"], eid


# ---------- audio ----------


def envelope(samples, frame=320):
    """20 ms RMS envelope at 16 kHz."""
    n = len(samples) // frame
    return np.sqrt((samples[: n * frame].reshape(n, frame) ** 2).mean(axis=1) + 1e-12)


def best_correlation(received, source):
    """Normalised correlation of received's envelope with the looping source at its best circular shift."""
    r, s = envelope(received), envelope(source)
    length = len(r)
    tiled = np.tile(s, length // len(s) + 2)
    r = (r - r.mean()) / (r.std() + 1e-12)
    best = -1.0
    for shift in range(len(s)):
        w = tiled[shift: shift + length]
        w = (w - w.mean()) / (w.std() + 1e-12)
        best = max(best, float(np.dot(r, w) / length))
    return best


@pytest.fixture(scope="module")
def unrelated_wav(tmp_path_factory):
    return espeak_wav(tmp_path_factory.mktemp("unrelated") / "unrelated.wav", UNRELATED_SPEECH)


def assert_speech_matches(recordings, speech_wav, unrelated_wav):
    """Each decoded recording's envelope follows the source wav, clearly more than an unrelated sentence."""
    source, unrelated = decode(str(speech_wav)), decode(str(unrelated_wav))
    for rid, audio in recordings.items():
        audio = audio[SR // 2:]  # the first half second is the microphone warming up
        if len(audio) < 3 * SR:
            continue
        corr, other = best_correlation(audio, source), best_correlation(audio, unrelated)
        print(f"recording {rid}: {len(audio) / SR:.1f} s, r={corr:.2f}, unrelated r={other:.2f}")
        assert corr > 0.6 and corr > other + 0.2, f"recording {rid}: r={corr:.2f}, unrelated r={other:.2f}"


# each recording phase of the offline meeting runs this long (three phases, two reloads between)
PHASE_S = 10


# ---------- fixtures ----------


@pytest.fixture
def meeting(server):
    return make_meeting(server, server.add_user())


@pytest.fixture
def phone(page, sign_in, meeting):
    """A signed-in phone that has opened the meeting overview online (bundle and page saved for offline)."""
    sign_in(page, meeting["email"])
    open_overview_and_prefetch(page, meeting["id"])
    return page


# ---------- tests ----------


def test_offline_meeting_with_reloads_syncs_everything_once(phone, context, server, meeting, speech_wav, unrelated_wav):
    page, mid = phone, meeting["id"]
    people, agenda, targets = meeting["attendees"], meeting["agenda"], meeting["targets"]
    # the 1-s chunk page is opened once online too, so the service worker keeps a copy of that address
    open_live(page, mid)
    expect(page.locator("#live-start")).to_be_visible()

    # test that, with no network at all, the meeting screen opens from what the overview saved
    context.set_offline(True)
    response = page.goto(f"/meetings/{mid}/live")
    assert response.from_service_worker
    live_ready(page)
    expect(page.locator("#live-start")).to_be_visible()
    expect(page.locator("#live-missing")).to_be_hidden()
    open_live(page, mid)
    start_meeting(page)
    expect(page.locator("#sync-text")).to_contain_text("Offline")
    expect(page.locator("#agenda-current")).to_have_text("Reading support")

    recorded_wall = []  # seconds each recording ran, measured from here
    t0 = start_recording(page, people)
    expect(page.locator("#rec-status")).to_have_text("● Recording")

    # phase 1: speakers, agenda, markers with words, a refusal with its reason, an action with owner and due date
    taps = 0
    tap_speaker(page, people[0]); taps += 1
    tap_marker(page, "note", "We will look at reading first"); taps += 1
    tap_marker(page, "refused", "1:1 reading support", by=people[0], reason="budget"); taps += 1
    tap_marker(page, "action", "Send the reading plan", owner=people[1], due="2027-01-15"); taps += 1
    tap_speaker(page, people[1]); taps += 1
    tap_marker(page, "agreed", "Weekly reading log"); taps += 1
    tap_marker(page, "question"); taps += 1
    page.locator("#agenda-next").click(); taps += 1
    expect(page.locator("#agenda-current")).to_have_text("Speech therapy")
    tap_marker(page, "quote", "We don't do that here"); taps += 1
    tap_marker(page, "bookmark"); taps += 1
    review_target(page, targets[0], "achieved"); taps += 1
    time.sleep(max(0, PHASE_S - (time.monotonic() - t0)))

    # test that a reload mid-recording keeps everything and offers to continue: a new recording, same timeline
    before_reload = own_events(page)
    recorded_wall.append(time.monotonic() - t0)
    response = page.reload()
    assert response.from_service_worker
    live_ready(page)
    expect(page.locator("#live-notice")).to_be_visible()
    assert set(own_events(page)) == set(before_reload)
    expect(page.locator("#timeline li[data-event-id]")).to_have_count(
        sum(1 for e in before_reload.values() if e["kind"] not in ("speaker", "agenda")))
    page.locator("#rec-continue").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording to continue")
    t0 = time.monotonic()
    first_recording_after = state(page)["recording"]

    # phase 2: a person added during the meeting, speaking, refused with "other", back one agenda item
    newcomer = add_person(page, "Dr Shah", "Educational psychologist (EP)"); taps += 2
    tap_speaker(page, newcomer); taps += 1
    tap_marker(page, "refused", "Speech therapy twice a week", reason="other", other="waiting list"); taps += 1
    tap_marker(page, "refused", reason="staffing"); taps += 1
    tap_marker(page, "action", "Refer to SALT", owner=newcomer); taps += 1
    page.locator("#agenda-prev").click(); taps += 1
    expect(page.locator("#agenda-current")).to_have_text("Reading support")
    tap_marker(page, "note"); taps += 1
    tap_marker(page, "agreed"); taps += 1
    tap_speaker(page, people[2]); taps += 1
    tap_marker(page, "question", "Who will deliver that, how often, and from when?"); taps += 1
    time.sleep(max(0, PHASE_S - (time.monotonic() - t0)))

    # the second reload
    recorded_wall.append(time.monotonic() - t0)
    page.reload()
    live_ready(page)
    expect(page.locator("#live-notice")).to_be_visible()
    page.locator("#rec-continue").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording to continue again")
    t0 = time.monotonic()
    assert state(page)["recording"] != first_recording_after

    # phase 3: the rest of the kinds again, an edit (a new version) and a delete
    page.locator("#agenda-next").click(); taps += 1
    page.locator("#agenda-next").click(); taps += 1
    expect(page.locator("#agenda-current")).to_have_text("Lunchtime")
    expect(page.locator("#agenda-next")).to_be_disabled()
    tap_marker(page, "quote"); taps += 1
    tap_marker(page, "bookmark", "Check the wording later"); taps += 1
    tap_marker(page, "refused", "Quiet space at lunch", reason="not needed"); taps += 1
    tap_marker(page, "refused", reason="policy"); taps += 1
    tap_marker(page, "action", "Review in six weeks", due="2027-02-01"); taps += 1
    review_target(page, targets[1], "working_towards"); taps += 1
    tap_marker(page, "note", "Typo here"); taps += 1
    page.locator("#notes-open").click()  # the notes list is a sheet, not a page that grows
    edited = page.locator("#timeline li[data-event-id]").first
    edited_id = edited.get_attribute("data-event-id")
    edited.locator("[data-edit]").click()
    page.locator("#marker-text").fill("Parent said the plan is not working")
    page.locator("#marker-save").click(); taps += 1
    expect(page.locator(f"#timeline li[data-event-id='{edited_id}']")).to_contain_text("not working")
    page.locator("#notes-close").click()
    deleted_id = tap_marker(page, "bookmark"); taps += 1
    page.locator("#notes-open").click()
    page.locator(f"#timeline li[data-event-id='{deleted_id}'] [data-delete]").click(); taps += 1
    expect(page.locator(f"#timeline li[data-event-id='{deleted_id}']")).to_have_count(0)
    page.locator("#notes-close").click()
    assert taps >= 30
    time.sleep(max(0, PHASE_S - (time.monotonic() - t0)))

    # test that ending offline stops the recording and says what is still waiting
    page.locator("#end-meeting").click()
    page.locator("#end-confirm").click()
    recorded_wall.append(time.monotonic() - t0)
    expect(page.locator("#end-summary")).to_contain_text("Still waiting to upload")
    poll(page, "window.minutedLive.state().recordingActive === false && window.minutedLive.state().ended_at",
         message="the end")
    mine = own_events(page)
    kinds = {e["kind"] for e in mine.values()}
    assert set(MARKERS) | {"speaker", "agenda", "target", "attendee", "consent"} <= kinds
    assert all(e["sync"] == "pending" for e in mine.values())
    assert mine[edited_id]["version"] == 3 and mine[deleted_id]["deleted"]

    # what was recorded: the chunks the phone committed to IndexedDB, decoded per recording (3 recordings)
    held = idb_chunks(page)
    assert len(held) == 3, {k: len(v) for k, v in held.items()}
    for rid, chunks in held.items():
        assert [seq for seq, _ in chunks] == list(range(len(chunks))), f"a gap in recording {rid}"
    phone_audio = {rid: decode_chunks([b for _, b in chunks]) for rid, chunks in held.items()}
    phone_seconds = sum(len(a) for a in phone_audio.values()) / SR
    # a reload loses at most the chunk being recorded (timeslice 1 s); the end flushes the last one
    assert phone_seconds > sum(recorded_wall) - 2 * 1.0 - 1.5, (phone_seconds, recorded_wall)
    assert phone_seconds >= 3 * PHASE_S - 5
    assert db_rows(server, "select count(*) from event where meeting_id = ?", mid) == [(0,)]

    # test that back online everything goes up, and the screen says so
    context.set_offline(False)
    assert sync_until_done(page) == ZERO
    expect(page.locator("#end-summary")).to_have_text("Meeting ended. Everything is uploaded.")
    expect(page.locator("#sync-text")).to_contain_text("Everything is on the server")

    # test that the server holds every event exactly once, at its latest version
    assert_events_exactly_once(meeting["api"].events(mid), own_events(page))

    # test that it holds all the audio: the same bytes, decoding to within 1 s of what the phone recorded
    stored = server_recordings(server, mid)
    assert set(stored) == set(held)
    for rid, files in stored.items():
        assert [int(f.stem) for f in files] == list(range(len(held[rid])))
        assert [f.read_bytes() for f in files] == [b for _, b in held[rid]]
        info = meeting["api"].call("GET", f"/meetings/{mid}/recordings/{rid}")
        assert info["chunks"] == list(range(len(files))) and info["status"] == "finished", info
    server_audio = {rid: decode_chunks(files) for rid, files in stored.items()}
    server_seconds = sum(len(a) for a in server_audio.values()) / SR
    assert abs(server_seconds - phone_seconds) < 1.0, (server_seconds, phone_seconds)

    # test that the speech in it is the fake microphone's
    if speech_wav:
        assert_speech_matches(server_audio, speech_wav, unrelated_wav)


def test_server_killed_and_restarted_mid_upload(phone, server, meeting, speech_wav, unrelated_wav):
    page, mid, people = phone, meeting["id"], meeting["attendees"]
    open_live(page, mid)
    start_meeting(page)
    t0 = start_recording(page, people)
    tap_speaker(page, people[0])
    tap_marker(page, "note", "Before the outage")
    # wait until audio is reaching the server, then take it down for real
    poll(page, "window.minutedLive.counts()", lambda c: True, timeout=1)
    time.sleep(3)
    assert server_recordings(server, mid), "no audio reached the server before the outage"
    server.stop()
    try:
        # test that capture carries on while the server is gone, and the phone keeps what it could not send
        tap_marker(page, "refused", "Speech therapy", by=people[1], reason="budget")
        tap_marker(page, "action", "Send the report", owner=people[0], due="2027-01-10")
        tap_speaker(page, people[2])
        tap_marker(page, "agreed")
        poll(page, "window.minutedLive.counts()", lambda c: c["chunksPending"] >= 3 and c["eventsPending"] >= 4,
             timeout=15, message="audio and notes to wait on the phone")
    finally:
        server.start()
    tap_marker(page, "bookmark", "After the restart")
    time.sleep(3)
    page.locator("#rec-pause").click()
    wall = time.monotonic() - t0
    poll(page, "window.minutedLive.state().recordingActive === false", message="the pause")

    # test that everything arrives, once
    assert sync_until_done(page) == ZERO
    assert_events_exactly_once(meeting["api"].events(mid), own_events(page))
    stored = server_recordings(server, mid)
    assert len(stored) == 1
    (rid, files), = stored.items()
    info = meeting["api"].call("GET", f"/meetings/{mid}/recordings/{rid}")
    assert info["chunks"] == list(range(len(files))) and info["status"] == "finished", info
    audio = decode_chunks(files)
    # a pause the parent asked for flushes the last chunk: the server has all of the recorder's time
    assert abs(len(audio) / SR - wall) < 1.0, (len(audio) / SR, wall)
    if speech_wav:
        assert_speech_matches({rid: audio}, speech_wav, unrelated_wav)


def test_consent_refused_records_no_audio(phone, server, meeting, check_a11y):
    page, mid, people = phone, meeting["id"], meeting["attendees"]
    # count getUserMedia calls from here on (the wrapper is installed before the page's scripts run)
    page.add_init_script("""(() => {
        window.__gum = 0;
        const md = navigator.mediaDevices;
        const real = md.getUserMedia.bind(md);
        md.getUserMedia = (c) => { window.__gum += 1; return real(c); };
    })()""")
    open_live(page, mid)
    start_meeting(page)
    give_consent(page, people, {people[1]: "no"})
    # test that with an objection, recording cannot be started: only notes
    expect(page.locator("#consent-start")).to_be_disabled()
    check_a11y(page)
    page.locator("#consent-notes").click()
    expect(page.locator("#rec-status")).to_have_text("Notes only: someone did not agree to recording.")
    expect(page.locator("#timeline")).to_contain_text("Mr Jones did not agree to recording")
    tap_marker(page, "note", "Notes only from here")
    assert sync_until_done(page) == ZERO

    # test that no microphone was opened and nothing was recorded, here or on the server
    assert page.evaluate("window.__gum") == 0
    assert state(page)["recording"] is None and state(page)["consent"] == "refused"
    assert page.evaluate("""() => new Promise((resolve) => {
        const open = indexedDB.open('minuted');
        open.onsuccess = () => { const r = open.result.transaction('recordings').objectStore('recordings').count();
                                 r.onsuccess = () => { resolve(r.result); open.result.close(); }; };
    })""") == 0
    assert db_rows(server, "select count(*) from recording where meeting_id = ?", mid) == [(0,)]
    assert server_recordings(server, mid) == {}

    # test that the objection is on the server's timeline
    consent = {e["payload"]["attendee_id"]: e["payload"]["given"] for e in meeting["api"].events(mid)
               if e["kind"] == "consent"}
    assert consent == {people[0]: True, people[1]: False, people[2]: True}


def test_rejected_event_stays_in_the_outbox_with_the_error_shown(phone, context, meeting):
    page, mid = phone, meeting["id"]
    open_live(page, mid)
    start_meeting(page)
    assert sync_until_done(page) == ZERO
    context.set_offline(True)
    tap_marker(page, "note", "Fine")
    bad = tap_marker(page, "bookmark", "The server will refuse this one")
    tap_marker(page, "question", "Also fine")

    # the server refuses one event of the batch, once (the one JSON error shape, naming the event)
    refused = []

    def refuse_once(route):
        if route.request.method == "POST" and not refused:
            refused.append(route.request.post_data_json)
            route.fulfill(status=422, content_type="application/json", body=json.dumps({"error": {
                "code": "invalid", "message": "Some events were not accepted.",
                "fields": {bad: "text: too long for a bookmark"}}}))
        else:
            route.continue_()

    page.route(f"**/api/v1/meetings/{mid}/events", refuse_once)
    context.set_offline(False)
    c = sync_until_done_or(page, lambda c: c["eventsPending"] == 0 and c["rejected"] == 1)
    assert refused and len(refused[0]["events"]) == 3

    # test that it stays on the phone, marked, with the server's message on screen; the others went up
    assert c == {**ZERO, "rejected": 1}
    row = page.locator(f"#timeline li[data-event-id='{bad}']")
    expect(row).to_contain_text("Not accepted: text: too long for a bookmark")
    expect(page.locator("#sync-text")).to_contain_text("1 not accepted")
    mine = own_events(page)
    assert mine[bad]["sync"] == "rejected"
    on_server = {e["id"] for e in meeting["api"].events(mid)}
    assert bad not in on_server
    assert {eid for eid, e in mine.items() if eid != bad} <= on_server
    page.unroute(f"**/api/v1/meetings/{mid}/events")


def sync_until_done_or(page, done, timeout=30):
    """Sync until done(counts) holds; return the counts."""
    return poll(page, "window.minutedLive.syncNow()", done, timeout=timeout, interval=0.3, message="the sync to settle")


FOCUSABLE = ("a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])")


def tab_through(page, scope, limit=80):
    """Press Tab from the top until focus leaves scope or cycles; return [(id/text, name, visible label)]."""
    cdp = page.context.new_cdp_session(page)
    seen, out = set(), []
    # start just before scope: focus it through a temporary tabindex, so the next Tab is its first control
    page.evaluate("""(scope) => {
        const el = document.querySelector(scope);
        el.setAttribute('tabindex', '-1');
        el.focus();
        el.removeAttribute('tabindex');
    }""", scope)
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate("""(scope) => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            document.querySelectorAll('[data-focus-probe]').forEach((e) => e.removeAttribute('data-focus-probe'));
            el.setAttribute('data-focus-probe', '1');
            const inScope = Boolean(el.closest(scope));
            const r = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            const labels = el.labels ? [...el.labels].map((l) => l.innerText.trim()).filter(Boolean) : [];
            const text = (el.innerText || el.value || '').trim();
            return { key: el.id || el.dataset.attendeeId || el.dataset.marker
                       || (el.dataset.edit && 'edit:' + el.dataset.edit) || (el.dataset.delete && 'delete:' + el.dataset.delete)
                       || el.name || text,
                     inScope, visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden',
                     label: labels[0] || text, tag: el.tagName };
        }""", scope)
        if info is None or not info["inScope"]:
            continue
        if out and info["key"] == out[-1][0]:
            continue  # a date input's day, month and year fields
        if info["key"] in seen:
            break
        seen.add(info["key"])
        for attempt in range(5):  # a redraw (sync, the clock) may replace the node between the steps: try again
            try:
                page.evaluate("document.activeElement.setAttribute('data-focus-probe', '1')")
                doc = cdp.send("DOM.getDocument", {"depth": 0})
                node = cdp.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"], "selector": "[data-focus-probe]"})
                ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node["nodeId"], "fetchRelatives": False})
                break
            except Exception:
                if attempt == 4:
                    raise
                time.sleep(0.1)
        name = next((n.get("name", {}).get("value", "") for n in ax["nodes"] if not n.get("ignored")), "")
        out.append((info["key"], name, info["label"], info["visible"], info["tag"]))
    cdp.detach()
    return out


def assert_keyboard_reachable(page, scope):
    """Every visible control in scope is reached by Tab, and each has an accessible name and a visible label."""
    reached = tab_through(page, scope)
    for key, name, label, visible, tag in reached:
        assert visible, f"{key} has focus but cannot be seen"
        assert name.strip(), f"{tag} {key} has no accessible name"
        assert label.strip(), f"{tag} {key} has no visible label"
    expected = page.evaluate("""([scope, sel]) => [...document.querySelectorAll(scope)].flatMap((s) =>
        [...s.querySelectorAll(sel)]).filter((el) => {
            const r = el.getBoundingClientRect();
            if (!(r.width > 0 && r.height > 0) || el.disabled || el.closest('[hidden], dialog:not([open])')) return false;
            if (el.type === 'radio' && !el.checked) return false;   // one stop per radio group
            if (el.closest('details:not([open])') && el.tagName !== 'SUMMARY') return false;
            return true;
        }).map((el) => el.id || el.dataset.attendeeId || el.dataset.marker
                         || (el.dataset.edit && 'edit:' + el.dataset.edit) || (el.dataset.delete && 'delete:' + el.dataset.delete)
                         || el.name || (el.innerText || '').trim())""", [scope, FOCUSABLE])
    missing = set(expected) - {k for k, *_ in reached}
    assert not missing, f"not reached with Tab: {missing}; reached {[k for k, *_ in reached]}"
    return reached


def test_meeting_screen_accessible_and_keyboard_reachable(phone, meeting, check_a11y):
    page, mid, people = phone, meeting["id"], meeting["attendees"]
    open_live(page, mid)
    # test axe before the start, idle, with each sheet open, while recording, and after the end
    check_a11y(page)
    assert_keyboard_reachable(page, "#live")
    start_meeting(page)
    tap_speaker(page, people[0])
    tap_marker(page, "note", "Something said")
    check_a11y(page)

    # test that every control of the meeting screen is reached with Tab and has a name and a visible label
    reached = assert_keyboard_reachable(page, "#live")
    keys = {k for k, *_ in reached}
    assert {"agenda-next", "add-person", "mark-target", "rec-consent", "end-meeting", "sync-now"} <= keys
    assert set(MARKERS) <= keys and people[0] in keys

    page.locator("[data-marker=refused]").click()
    page.locator("#marker-words").click()
    expect(page.locator("#marker-sheet")).to_be_visible()
    page.locator("#refused-reason").select_option("other")
    check_a11y(page)
    assert_keyboard_reachable(page, "#marker-sheet")
    page.locator("#marker-skip").click()
    page.locator("[data-marker=action]").click()
    page.locator("#marker-words").click()
    check_a11y(page)
    assert_keyboard_reachable(page, "#marker-sheet")
    page.keyboard.press("Escape")
    expect(page.locator("#marker-sheet")).to_be_hidden()
    page.locator("#add-person").click()
    check_a11y(page)
    assert_keyboard_reachable(page, "#person-sheet")
    page.locator("#person-cancel").click()
    page.locator("#mark-target").click()
    check_a11y(page)
    page.locator("#target-cancel").click()

    give_consent(page, people)
    check_a11y(page)
    assert_keyboard_reachable(page, "#consent-sheet")
    page.locator("#consent-start").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording")
    expect(page.locator("#rec-pause")).to_be_visible()
    check_a11y(page)
    assert_keyboard_reachable(page, "#live")

    page.locator("#share-open").click()
    expect(page.locator("#share-code")).not_to_be_empty()
    check_a11y(page)
    page.locator("#share-close").click()

    page.locator("#end-meeting").click()
    check_a11y(page)
    page.locator("#end-confirm").click()
    expect(page.locator("#end-summary")).to_be_visible()
    sync_until_done(page)
    expect(page.locator("#end-summary")).to_have_text("Meeting ended. Everything is uploaded.")
    check_a11y(page)
    assert_keyboard_reachable(page, "#live")


def test_screen_off_is_logged_as_a_possible_gap(phone, meeting):
    page, mid = phone, meeting["id"]
    open_live(page, mid)
    start_meeting(page)
    # the phone's screen goes off (the page becomes hidden) for a few seconds, then comes back
    page.evaluate("""(state) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
        document.dispatchEvent(new Event('visibilitychange'));
    }""", "hidden")
    time.sleep(3.5)
    page.evaluate("""(state) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
        document.dispatchEvent(new Event('visibilitychange'));
    }""", "visible")
    # test that the gap is on the timeline, back-dated to when the screen went off, and shown to the parent
    for _ in range(50):
        gaps = [e for e in own_events(page).values() if e["kind"] == "bookmark"]
        if gaps:
            break
        time.sleep(0.1)
    assert len(gaps) == 1 and gaps[0]["payload"]["text"].startswith("Screen off or Minuted in the background for")
    assert gaps[0]["t_ms"] <= gaps[0]["created"] - 3000 + 500  # (server-aligned clock vs the device's)
    expect(page.locator("#timeline")).to_contain_text("Screen off")
    sync_until_done(page)


def test_someone_joining_while_recording_is_asked_and_can_stop_it(phone, meeting):
    page, mid, people = phone, meeting["id"], meeting["attendees"]
    open_live(page, mid)
    start_meeting(page)
    start_recording(page, people)
    poll(page, "window.minutedLive.state().recordingActive", message="recording")
    page.locator("#add-person").click()
    page.locator("#person-name").fill("Mr Late")
    page.locator("#person-save").click()
    # test that the parent is asked at once, and an objection stops the recording and is logged
    page.get_by_role("button", name="They object").click()
    poll(page, "!window.minutedLive.state().recordingActive", message="recording stopped")
    mine = own_events(page).values()
    person = next(e for e in mine if e["kind"] == "attendee")
    objection = [e for e in mine if e["kind"] == "consent" and e["payload"].get("attendee_id") == person["id"]]
    assert len(objection) == 1 and objection[0]["payload"]["given"] is False
    expect(page.locator("#rec-status")).not_to_contain_text("Recording")
    sync_until_done(page)


def test_a_microphone_that_goes_quiet_is_caught(phone, meeting):
    page, mid, people = phone, meeting["id"], meeting["attendees"]
    # the phone's recorder stops delivering audio after two chunks (a silenced microphone)
    page.add_init_script("""(() => {
        const add = MediaRecorder.prototype.addEventListener;
        MediaRecorder.prototype.addEventListener = function (type, listener, options) {
            if (type !== 'dataavailable') return add.call(this, type, listener, options);
            let seen = 0;
            return add.call(this, type, (event) => { if (++seen <= 2) listener(event); }, options);
        };
    })()""")
    open_live(page, mid)
    start_meeting(page)
    start_recording(page, people)
    # test that the watchdog ends the stuck recording, keeps what it saved, and offers to continue
    expect(page.locator("#rec-continue")).to_be_visible(timeout=20_000)
    expect(page.locator("#live-notice")).to_contain_text("The microphone stopped sending sound")
    assert not page.evaluate("window.minutedLive.state().recordingActive")
    page.locator("#rec-continue").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording again")
