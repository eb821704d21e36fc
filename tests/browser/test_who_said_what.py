"""Who said what, end to end: two real voices take turns, the parent taps who is speaking, every page agrees.

The fake microphone plays a wav built here from tests/data/audio: a woman (LJ Speech) and a man
(LibriVox) taking turns A, B, A, B, A with a second between turns. The parent taps each speaker's chip
about 300 ms after that person starts, as a thumb would, except for the last turn (the stale tap says
Mr Lee; the voice says Ms Khan). After the meeting ends and the recording is transcribed by the
server's worker (the bundled tiny.en, with voice embeddings), the transcript page, the review page
and the JSON API must show the same speaker, and how it was decided, for every line, and each line
must go to the person who was actually speaking.

The fake-microphone file is set when Chromium starts, so this test launches its own browser (the
conftest's is playing espeak-ng) with the same flags and a different file.
"""
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from transcribe.audio import decode, decode_chunks, encode

from .conftest import CHROMIUM_ARGS, MOBILE, fake_mic_args
from .test_meeting_mode import (Api, live_ready, open_overview_and_prefetch, server_recordings, start_meeting,
                                start_recording, sync_until_done)

pytestmark = [pytest.mark.whisper, pytest.mark.slow]

SR = 16000
AUDIO = Path(__file__).resolve().parent.parent / "data" / "audio"
KHAN = ("Ms Khan", "senco")
LEE = ("Mr Lee", "head_teacher")
# (who, clips, tapped): a woman (LJ Speech) and a man (LibriVox) taking turns; nobody taps Ms Khan's last turn
TURNS = [
    (KHAN, ["LJ001-0002", "LJ001-0004"], True),
    (LEE, ["psphinx_sas_0870"], True),
    (KHAN, ["LJ001-0008", "LJ001-0013"], True),
    (LEE, ["psphinx_sas_0890"], True),
    (KHAN, ["LJ002-0020", "LJ002-0035"], False),
]
LEAD_S, GAP_S, CLIP_GAP_S, TAIL_S = 1.0, 1.0, 0.3, 4.0
TAP_LATE_S = 0.3
HOW = {"tapped": "tapped", "voice": "by voice: check", "edited": "you said", "unknown": "not identified"}


def _trimmed(name, level_db=-22.0):
    """A clip as 16 kHz float32, leading and trailing silence cut, at a common loudness."""
    audio = decode(str(AUDIO / f"{name}.wav"))
    env = np.sqrt(np.convolve(audio ** 2, np.ones(320) / 320, mode="same"))
    voiced = np.flatnonzero(env > 0.1 * env.max())
    audio = audio[max(0, voiced[0] - 160): voiced[-1] + 160]
    rms = np.sqrt((audio ** 2).mean())
    return (audio * (10 ** (level_db / 20) / rms)).clip(-1, 1).astype(np.float32)


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory):
    """Build the turn-taking wav; return (path, samples, [(start_s, end_s, name, tapped)]), times in the file."""
    silence = lambda s: np.zeros(int(s * SR), np.float32)  # noqa: E731
    parts, turns, t = [silence(LEAD_S)], [], LEAD_S
    for i, (who, clips, tapped) in enumerate(TURNS):
        if i:
            parts.append(silence(GAP_S))
            t += GAP_S
        start = t
        for j, clip in enumerate(clips):
            if j:
                parts.append(silence(CLIP_GAP_S))
                t += CLIP_GAP_S
            audio = _trimmed(clip)
            parts.append(audio)
            t += len(audio) / SR
        turns.append((start, t, who[0], tapped))
    parts.append(silence(TAIL_S))
    samples = np.concatenate(parts)
    path = tmp_path_factory.mktemp("two-voices") / "two_voices.wav"
    encode(samples, str(path), container="wav", codec="pcm_s16le", rate=SR)
    return path, samples, turns


@pytest.fixture
def phone(browser_type, browser_type_launch_args, server, two_voices):
    """A phone whose microphone plays the two voices: its own Chromium, failing on any uncaught page error."""
    wav = two_voices[0]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": CHROMIUM_ARGS + fake_mic_args(wav)})
    context = browser.new_context(**MOBILE, base_url=server.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    browser.close()
    assert errors == [], f"uncaught errors in the page: {errors}"


def prepare_meeting(server, email):
    """A meeting with two attendees (and one agenda item), made through the API as the parent."""
    api = Api(server, email)
    child = api.call("POST", "/children", {"name": "Sam", "jurisdiction": "england"})
    starts = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    meeting = api.call("POST", "/meetings", {"child_id": child["id"], "kind": "sen_support_review",
                                             "title": "Support review", "starts_at": starts})
    mid = meeting["id"]
    ids = {}
    for name, role in (KHAN, LEE):
        ids[name] = api.call("POST", f"/meetings/{mid}/attendees", {"name": name, "role": role})["id"]
    api.call("POST", f"/meetings/{mid}/agenda", {"title": "Reading support", "detail": ""})
    return api, mid, ids


def envelope(samples, frame=160):
    """10 ms RMS envelope at 16 kHz."""
    n = len(samples) // frame
    return np.sqrt((samples[: n * frame].reshape(n, frame) ** 2).mean(axis=1) + 1e-12)


def file_offset_s(received, source):
    """Where in the (looping) source file the received audio starts, in seconds, and the correlation there."""
    r, s = envelope(received), envelope(source)
    r = r[: min(len(r), len(s))]
    tiled = np.concatenate([s, s])
    r = (r - r.mean()) / (r.std() + 1e-12)
    best, best_shift = -1.0, 0
    for shift in range(len(s)):
        w = tiled[shift: shift + len(r)]
        w = (w - w.mean()) / (w.std() + 1e-12)
        c = float(np.dot(r, w) / len(r))
        if c > best:
            best, best_shift = c, shift
    if best_shift > len(s) // 2:
        best_shift -= len(s)  # the file had just looped: it began a moment before the recording
    return best_shift * 0.01, best


def transcript_page_lines(page):
    """[(speaker shown, how shown)] for each line of /meetings/<id>/transcript."""
    return page.locator("ol.transcript li.segment").evaluate_all("""(lis) => lis.map((li) => [
        li.querySelector('strong').textContent.trim(),
        li.querySelector('.how') ? li.querySelector('.how').textContent.trim() : null])""")


def review_page_lines(page):
    """[(speaker shown, how shown or None)] for each transcript line of /meetings/<id>/review.

    A line's meta reads "09:00:01 · Ms Khan (SENCO / SENDCo) (by voice: check) · Reading support".
    """
    metas = page.locator("#segments li .line-meta").evaluate_all("""(els) => els.map((el) => {
        const c = el.cloneNode(true);
        const how = c.querySelector('.how');
        c.querySelectorAll('.how, .item, time').forEach((e) => e.remove());
        return [c.textContent, how ? how.textContent.trim() : null];
    })""")
    # what is left is " · Name (Role) " or " · Name (Role)  · " (the item's separator): the middle part
    return [(re.sub(r"\s+", " ", text).strip(" ·"), how) for text, how in metas]


def shown(speaker_name, voice=None):
    """What the transcript page shows for a line's speaker."""
    if speaker_name:
        return speaker_name
    return f"Voice {voice} (not identified)" if voice else "Speaker not identified"


def person(shown_name):
    """The attendee a shown speaker is ("Ms Khan (SENCO / SENDCo)" → "Ms Khan"), else None."""
    return next((name for name, _ in (KHAN, LEE) if (shown_name or "").startswith(name + " (")), None)


def wait_for_transcript(api, server, mid, timeout=90):
    """Poll the JSON API until the meeting's transcript is done and has lines; return it."""
    deadline = time.monotonic() + timeout
    t = api.call("GET", f"/meetings/{mid}/transcript")
    while not (t["status"] == "done" and t["segments"]):
        assert t["status"] != "failed", f"transcription failed: {t['error']}"
        assert time.monotonic() < deadline, (
            f"no finished transcript {timeout} s after the upload: status {t['status']}, jobs {t['jobs']}\n"
            f"server log:\n{server.output()[-3000:]}")
        time.sleep(0.5)
        t = api.call("GET", f"/meetings/{mid}/transcript")
    return t


def record_meeting(page, server, email, turns):
    """The parent's part: start the meeting, record, tap each speaker ~300 ms into their turn, end, upload.

    Returns (api, meeting id, {name: attendee id}, trouble): trouble says why this try does not count (the
    machine was paused, so the taps are off the voices' timeline, or the recording was interrupted), else None.
    """
    api, mid, ids = prepare_meeting(server, email)
    open_overview_and_prefetch(page, mid)
    page.goto(f"/meetings/{mid}/live?timeslice=1000")
    live_ready(page)
    start_meeting(page)

    # the fake microphone plays the file from its start when the recording opens it
    t0 = start_recording(page, list(ids.values()))
    wall0 = page.evaluate("Date.now()")
    for start, _, who, tapped in turns:
        if not tapped:
            continue
        page.wait_for_timeout(max(0, (start + TAP_LATE_S - (time.monotonic() - t0)) * 1000))
        chip = page.locator(f"#speakers [data-attendee-id='{ids[who]}']")
        chip.click()
        expect(chip).to_have_attribute("aria-pressed", "true")
    # end a second after the last turn, before the file loops back to the first voice
    page.wait_for_timeout(max(0, (turns[-1][1] + 1.0 - (time.monotonic() - t0)) * 1000))
    # a paused machine (a VM snapshot) stops the monotonic clock but not the wall clock the page stamps taps with,
    # and the recorder's watchdog ends a recording that sent nothing for 5 s
    drift = (page.evaluate("Date.now()") - wall0) / 1000 - (time.monotonic() - t0)
    active = page.evaluate("window.minutedLive.state().recordingActive")
    page.locator("#end-meeting").click()
    page.locator("#end-confirm").click()
    expect(page.locator("#end-summary")).to_be_visible()
    sync_until_done(page, timeout=60)
    expect(page.locator("#end-summary")).to_have_text("Meeting ended. Everything is uploaded.")
    trouble = None
    if abs(drift) > 1.5:
        trouble = f"the page's clock ran {drift:+.1f} s off the test's while recording (the machine was paused)"
    elif not active:
        notice = (page.locator("#live-notice").text_content() or "").strip()
        trouble = f"the recording was interrupted before the end: {notice}"
    return api, mid, ids, trouble


def test_taps_and_voices_give_the_same_speakers_on_every_page(phone, server, sign_in, check_a11y, two_voices):
    page = phone
    _, source, turns = two_voices
    email = sign_in(page)
    started = time.monotonic()
    # a second try, with a new meeting, only when this machine got in the way of the first
    api, mid, ids, trouble = record_meeting(page, server, email, turns)
    if trouble:
        print(f"first try does not count: {trouble}; again with a new meeting")
        started = time.monotonic()
        api, mid, ids, trouble = record_meeting(page, server, email, turns)
        assert trouble is None, f"twice the recording could not be made as planned: {trouble}"
    recorded = time.monotonic()

    # the server's worker transcribes it (the bundled tiny.en, with voice embeddings)
    t = wait_for_transcript(api, server, mid)
    segments = t["segments"]
    transcribed = time.monotonic()

    # where each line falls in the wav: the recording's start on the meeting clock, and where the file was then
    recordings = server_recordings(server, mid)
    assert len(recordings) == 1, f"expected one recording, the server has {len(recordings)}"
    (rid, files), = recordings.items()
    rec = api.call("GET", f"/meetings/{mid}/recordings/{rid}")
    offset_s, corr = file_offset_s(decode_chunks(files), source)
    assert corr > 0.6, f"the recording does not sound like the two-voice file (r={corr:.2f})"
    assert abs(offset_s) < 1.0, f"the fake microphone began {offset_s:.2f} s into the file: the taps are off"

    def in_file(ms):
        return (ms - rec["at_ms"]) / 1000 + offset_s

    taps = sorted((e for e in api.events(mid) if e["kind"] == "speaker"), key=lambda e: e["at_ms"])
    by_id = {v: k for k, v in ids.items()}
    report = [f"recording at {rec['at_ms']} ms on the meeting clock; the file at {offset_s:.2f} s then (r={corr:.2f})"]
    report += [f"turn {who}: {a:.2f}-{b:.2f} s{'' if tapped else ' (not tapped)'}"
               for a, b, who, tapped in turns]
    report += [f"tap {by_id[e['payload']['attendee_id']]} at {in_file(e['at_ms']):.2f} s" for e in taps]
    report += [f"{in_file(s['start_ms']):6.2f}-{in_file(s['end_ms']):6.2f} s {s['speaker_name']!s:34} {s['how']:8} "
               f"{s['text']}" for s in segments]
    report = "\n".join(report)
    print(report)
    assert [by_id[e["payload"]["attendee_id"]] for e in taps] == [who for *_, who, tapped in turns if tapped], report

    # the transcript page: the API's speaker on every line, and how it was decided
    page.goto(f"/meetings/{mid}/transcript")
    expect(page.locator("#transcript-status [data-status-text]")).to_contain_text("The transcript is complete")
    lines = transcript_page_lines(page)
    on_transcript = [name for name, _ in lines]
    from_api = [shown(s["speaker_name"], s["voice"]) for s in segments]
    assert on_transcript == from_api, f"transcript page vs API:\n{on_transcript}\n{from_api}\n\n{report}"
    for (name, how), s in zip(lines, segments):
        assert how in HOW.values(), f"the line by {name!r} does not say how its speaker was decided (got {how!r})"
        assert how == HOW.get(s["how"]), f"the line by {name!r}: the page says {how!r}, the API says {s['how']!r}"
    check_a11y(page)

    # the review page: the same speaker on every line, an unnamed voice named as on the transcript page
    page.goto(f"/meetings/{mid}/review")
    review_lines = review_page_lines(page)
    on_review = [name for name, _ in review_lines]
    from_api = [shown(s["speaker_name"], s["voice"]) for s in segments]
    assert on_review == from_api, f"review page vs API:\n{on_review}\n{from_api}\n\n{report}"
    review_how = {"voice": "(by voice: check)", "unknown": "(not identified)"}
    assert [how for _, how in review_lines] == [review_how.get(s["how"]) for s in segments], (
        f"review page's 'how' vs API: {review_lines}\n{[s['how'] for s in segments]}")
    assert [person(n) for n in on_review] == [person(n) for n in on_transcript]
    check_a11y(page)

    # both people are on the pages, and each line said inside one person's turn is theirs
    assert {person(n) for n in on_transcript} >= {KHAN[0], LEE[0]}, f"not both speakers: {on_transcript}\n\n{report}"
    wrong, checked = [], 0
    for s in segments:
        a, b = in_file(s["start_ms"]), in_file(s["end_ms"])
        heard = sorted(((min(b, end) - max(a, start), who) for start, end, who, _ in turns), reverse=True)
        if heard[0][0] < 0.5 or heard[1][0] > 0.5:
            continue  # a line across two turns: whoever it goes to is defensible
        checked += 1
        if person(s["speaker_name"]) != heard[0][1]:
            wrong.append(f"{a:.2f}-{b:.2f} s {s['text']!r}: shown as {s['speaker_name']} ({s['how']}), "
                         f"said by {heard[0][1]}")
    assert not wrong, "lines given to the wrong person:\n" + "\n".join(wrong) + "\n\n" + report
    assert checked >= len(turns) - 1, f"only {checked} lines fall inside one turn:\n{report}"
    print(f"recording and upload {recorded - started:.1f} s, transcription {transcribed - recorded:.1f} s, "
          f"checks {time.monotonic() - transcribed:.1f} s")
