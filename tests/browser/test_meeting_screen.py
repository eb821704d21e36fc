"""The meeting screen in the room (issue 16): the recording as the hero, one-tap markers, the agenda, attendance,
the end, two phones that agree, and banners that tell the truth; at 390×844 and 320×568.

Audio comes from Chromium's fake microphone (conftest's espeak-ng wav); the silence warning gets a browser of
its own whose microphone plays a wav of zeros. The live page's CSP blocks eval, so waits poll from Python.
"""
import re
import time
import wave
from datetime import datetime

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM_ARGS
from .conftest import MOBILE
from .conftest import fake_mic_args
from .test_meeting_mode import MARKERS
from .test_meeting_mode import Api
from .test_meeting_mode import add_person
from .test_meeting_mode import live_ready
from .test_meeting_mode import make_meeting
from .test_meeting_mode import open_live
from .test_meeting_mode import open_overview_and_prefetch
from .test_meeting_mode import own_events
from .test_meeting_mode import poll
from .test_meeting_mode import start_meeting
from .test_meeting_mode import state
from .test_meeting_mode import sync_until_done
from .test_meeting_mode import tap_marker
from .test_meeting_mode import tap_speaker

SMALL = {"width": 320, "height": 568}
PHONE = {"width": 390, "height": 844}

IN_VIEW = """(sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
}"""
# what the page is wider than the screen by, and the buttons whose label does not fit them (the screen is the
# root's clientWidth: on a mobile viewport innerWidth grows to fit a page that is too wide)
OVERFLOW = """() => ({
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    buttons: [...document.querySelectorAll('#live button, #live a')]
        .filter((b) => b.offsetParent && b.scrollWidth > b.clientWidth + 1)
        .map((b) => b.id || b.dataset.marker || b.textContent.trim()),
})"""
NO_WAKE_LOCK = """(() => {
    if (navigator.wakeLock) navigator.wakeLock.request = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
})()"""


def assert_fits(page):
    """No horizontal scroll, and every visible button's label fits inside it."""
    assert page.evaluate(OVERFLOW) == {"page": 0, "buttons": []}


def in_view(page, selector):
    return page.evaluate(IN_VIEW, selector)


def consent_everyone(page):
    """Read the script, tick it, and "Everyone agreed": recording starts."""
    page.locator("#rec-consent").click()
    page.locator("#consent-said").check()
    page.locator("#consent-all").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording")


def rec_seconds(page):
    m, s = page.locator("#rec-time").inner_text().split(":")
    return int(m) * 60 + int(s)


@pytest.fixture(scope="module")
def account(server):
    """One parent for the module (each CLI call costs seconds); each test gets its own meeting."""
    email = server.add_user()
    return email, Api(server, email)


@pytest.fixture
def meeting(server, account):
    email, api = account
    return make_meeting(server, email, api=api)


@pytest.fixture
def live_page(page, sign_in, meeting):
    """A signed-in phone on the meeting screen (not prefetched: these tests stay online)."""
    sign_in(page, meeting["email"])
    return page


def test_recording_is_the_hero_at_both_sizes(live_page, meeting, check_a11y):
    page, mid = live_page, meeting["id"]
    for name, role in [("Dr Shah", "educational_psychologist"), ("Mrs Long-Name-Smith", "parent")]:
        meeting["api"].call("POST", f"/meetings/{mid}/attendees", {"name": name, "role": role})
    page.add_init_script(NO_WAKE_LOCK)
    open_live(page, mid)
    start_meeting(page)
    # test that there is no "Sign out" in the middle of a meeting
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.locator("#rec-status")).to_have_text("Not recording.")
    assert in_view(page, "#rec-bar")
    time.sleep(2)  # the meeting clock runs ahead of the recorded time

    # test "Everyone agreed" in one tap: a consent event for each person, and recording starts
    consent_everyone(page)
    consent = {e["payload"]["attendee_id"]: e["payload"]["given"] for e in own_events(page).values()
               if e["kind"] == "consent"}
    assert len(consent) == 5 and all(consent.values())

    # test the recording bar: red, its own recorded time, a level meter that moves with the speech, Pause and Stop
    bar = page.locator("#rec-bar")
    expect(bar).to_have_class(re.compile(r"\bon\b"))
    expect(page.locator("#rec-status")).to_have_text("● Recording")
    expect(page.locator("#rec-pause")).to_be_visible()
    expect(page.locator("#rec-stop")).to_be_visible()
    poll(page, "window.minutedLive.state().level", lambda v: v > 0.1, timeout=10, message="the level meter")
    poll(page, "document.getElementById('rec-time').textContent", lambda t: t != "0:00", message="recorded time")
    assert rec_seconds(page) < int(page.locator("#live-timer").inner_text().split(":")[1])

    # test the warning when the screen cannot be kept on
    expect(page.locator("#wake-alert")).to_be_visible()
    expect(page.locator("#wake-status")).to_contain_text("The screen may turn off by itself")

    # test that the state, the controls and the warning are on screen without scrolling, at both sizes, and
    # stay there when the page scrolls; and that nothing is wider than the screen
    for size in (PHONE, SMALL):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        for selector in ("#rec-bar", "#rec-pause", "#rec-stop", "#wake-alert"):
            assert in_view(page, selector), (size, selector)
        assert_fits(page)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert in_view(page, "#rec-bar"), size
        assert in_view(page, "#live-markers"), size
    check_a11y(page)

    # test that the marker bar covers no speaker chip at 390×844 (5 people), and that at 320×568 each chip
    # can be scrolled clear of it
    page.set_viewport_size(PHONE)
    page.evaluate("window.scrollTo(0, 0)")
    top = page.locator("#live-markers").bounding_box()["y"]
    chips = page.locator("#speakers .chip")
    expect(chips).to_have_count(6)
    assert all(box["y"] + box["height"] <= top for box in (c.bounding_box() for c in chips.all()))
    page.set_viewport_size(SMALL)
    assert page.evaluate("""() => [...document.querySelectorAll('#speakers .chip')].every((chip) => {
        chip.scrollIntoView({ block: 'center' });
        const r = chip.getBoundingClientRect();
        return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2).closest('.chip') === chip;
    })""")

    # test Pause (the recorded time stops), Resume, Stop and "Record again"
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#rec-pause").click()
    expect(page.locator("#rec-status")).to_have_text("Recording paused.")
    expect(page.locator("#rec-resume")).to_have_text("Resume")
    expect(bar).not_to_have_class(re.compile(r"\bon\b"))
    expect(page.locator("#wake-alert")).to_be_hidden()
    paused_at = rec_seconds(page)
    time.sleep(1.5)
    assert rec_seconds(page) == paused_at
    check_a11y(page)
    page.locator("#rec-resume").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording again")
    page.locator("#rec-stop").click()
    expect(page.locator("#rec-status")).to_have_text("Recording stopped.")
    expect(page.locator("#rec-resume")).to_have_text("Record again")
    page.locator("#rec-resume").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording once more")

    # test the loud warning when the recording stops by itself, with "Continue recording", on the small screen
    page.evaluate("window.minutedLive.recorder().simulateInterruption()")
    expect(page.locator("#live-notice")).to_be_visible()
    assert in_view(page, "#rec-continue")
    assert_fits(page)
    check_a11y(page)
    page.locator("#rec-continue").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording continued")
    expect(page.locator("#live-notice")).to_be_hidden()
    page.locator("#rec-pause").click()
    sync_until_done(page)


@pytest.fixture(scope="module")
def silent_browser(browser_type, browser_type_launch_args, tmp_path_factory):
    """A browser whose fake microphone plays five seconds of digital silence, over and over."""
    wav = tmp_path_factory.mktemp("silent") / "silent.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000 * 5)
    browser = browser_type.launch(**{**browser_type_launch_args, "args": CHROMIUM_ARGS + fake_mic_args(wav)})
    yield browser
    browser.close()


def test_silent_microphone_is_warned_about(silent_browser, server, meeting, check_a11y):
    context = silent_browser.new_context(**{**MOBILE, "viewport": SMALL}, base_url=server.url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(meeting["email"])
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        # ?silence=3: warn after 3 s of nothing instead of 20 s
        page.goto(f"/meetings/{meeting['id']}/live?timeslice=1000&silence=3")
        page.evaluate("window.minutedLive.ready")
        start_meeting(page)
        consent_everyone(page)
        # test that a microphone that hears nothing is said, loudly, on the small screen, while it records on
        alert = page.locator("#silence-alert")
        expect(alert).to_be_visible(timeout=10_000)
        expect(alert).to_contain_text("No sound for 3 seconds")
        assert in_view(page, "#silence-alert") and in_view(page, "#rec-bar")
        assert state(page)["recordingActive"]
        assert state(page)["level"] == 0
        check_a11y(page)
        # test that it goes when the recording is paused
        page.locator("#rec-pause").click()
        expect(alert).to_be_hidden()
    finally:
        context.close()


def test_one_tap_markers_agenda_attendance_and_the_end(live_page, meeting, check_a11y):
    page, mid, people = live_page, meeting["id"], meeting["attendees"]
    parked = meeting["api"].call("POST", f"/meetings/{mid}/agenda", {"title": "Transport", "parked": True})
    page.set_viewport_size(SMALL)
    open_live(page, mid)
    start_meeting(page)

    # test that each marker saves on one tap: no sheet, no text box focused (no keyboard), "Saved · Add words"
    for kind in MARKERS:
        before = set(own_events(page))
        page.locator(f"[data-marker={kind}]").click()
        saved = poll(page, "document.getElementById('marker-saved').dataset.eventId || null",
                     lambda v: v and v not in before, message=kind)
        assert set(own_events(page)) - before == {saved}
        expect(page.locator("#marker-saved")).to_contain_text("saved")
        expect(page.locator("#marker-words")).to_be_visible()
        expect(page.locator("dialog[open]")).to_have_count(0)
        assert page.evaluate("document.activeElement.matches('input, textarea, select')") is False
    expect(page.locator("#notes-open")).to_have_text(f"Notes ({len(MARKERS)})")
    check_a11y(page)
    page.locator("#prompts-open").click()
    expect(page.locator("#prompts-sheet")).to_contain_text("If they say no")
    check_a11y(page)
    page.locator("#prompts-close").click()

    # test that only "Add words" opens the sheet (the keyboard comes then), and Refused keeps who and why
    refused = tap_marker(page, "refused", "Speech therapy", by=people[1], reason="budget")
    page.locator("[data-marker=action]").click()
    page.locator("#marker-words").click()
    expect(page.locator("#marker-sheet")).to_be_visible()
    expect(page.locator("#action-owner")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "marker-text"
    page.locator("#marker-skip").click()
    assert {"by": people[1], "reason": "budget", "text": "Speech therapy"}.items() <= own_events(page)[refused]["payload"].items()

    # test that a person added in the room shows once, with their role's name (not its id) in the notes
    add_person(page, "Dr Shah", "Educational psychologist (EP)")
    page.locator("#notes-open").click()
    expect(page.locator("#timeline")).to_contain_text("Dr Shah (Educational psychologist (EP))")
    expect(page.locator("#timeline")).not_to_contain_text("educational_psychologist")
    check_a11y(page)
    page.locator("#notes-close").click()

    # test the agenda: jump to any item (the third, then a parked one, shown under "Parked")
    page.locator("#agenda-open").click()
    expect(page.locator("#agenda-parked")).to_contain_text("Transport")
    check_a11y(page)
    page.locator(f"#agenda-list [data-agenda-id='{meeting['agenda'][2]}']").click()
    expect(page.locator("#agenda-current")).to_have_text("Lunchtime")
    page.locator("#agenda-open").click()
    page.locator(f"#agenda-parked [data-agenda-id='{parked['id']}']").click()
    expect(page.locator("#agenda-current")).to_have_text("Transport")

    # test attendance: one tap per person; someone who speaks is here
    tap_speaker(page, people[0])
    page.locator("#attendance-open").click()
    expect(page.locator(f"#attend-{people[0]}-present")).to_have_attribute("aria-pressed", "true")
    page.locator(f"#attend-{people[2]}-apologies").click()
    expect(page.locator(f"#attend-{people[2]}-apologies")).to_have_attribute("aria-pressed", "true")
    page.locator(f"#attend-{people[1]}-left").click()
    expect(page.locator(f"#attend-{people[1]}-left")).to_have_attribute("aria-pressed", "true")
    assert_fits(page)
    check_a11y(page)
    page.locator("#attendance-close").click()
    sync_until_done(page)
    attendance = {a["id"]: a["attendance"] for a in meeting["api"].call("GET", f"/meetings/{mid}")["attendees"]}
    assert (attendance[people[0]], attendance[people[1]], attendance[people[2]]) == ("present", "present", "apologies")
    assert any(e["payload"].get("text") == "Mr Jones left the meeting." for e in meeting["api"].events(mid))

    # test after End: the way on to the review, markers closed, nobody else invited, what was not reached
    page.locator("#end-meeting").click()
    page.locator("#end-confirm").click()
    expect(page.locator("#end-card")).to_be_visible()
    link = page.get_by_role("link", name="Check what was captured")
    expect(link).to_have_attribute("href", f"/meetings/{mid}/review")
    assert in_view(page, "#review-link")
    for kind in MARKERS:
        expect(page.locator(f"[data-marker={kind}]")).to_be_disabled()
    expect(page.locator("#mark-target")).to_be_disabled()
    expect(page.locator("#marker-saved")).to_have_text("The meeting has ended, so notes are closed.")
    expect(page.locator("#share-open")).to_be_hidden()
    expect(page.locator("#end-meeting")).to_be_hidden()
    expect(page.locator("#end-not-reached")).to_have_text("Not reached: Speech therapy.")
    sync_until_done(page)
    expect(page.locator("#end-summary")).to_have_text("Meeting ended. Everything is uploaded.")
    assert_fits(page)
    check_a11y(page)
    page.locator("#agenda-open").click()
    expect(page.locator("#agenda-list li.not-reached")).to_have_text(re.compile("Speech therapy.*not reached"))
    page.locator("#agenda-close").click()
    link.click()
    page.wait_for_url(f"**/meetings/{mid}/review")


def test_partner_sees_people_once_the_agenda_and_the_end(browser, page, server, sign_in, meeting, check_a11y):
    mid = meeting["id"]
    parent = page
    sign_in(parent, meeting["email"])
    open_live(parent, mid)
    start_meeting(parent)
    parent.locator("#share-open").click()
    expect(parent.locator("#share-code")).not_to_be_empty()
    url = parent.locator("#share-url").get_attribute("href")
    parent.locator("#share-close").click()

    partner_ctx = browser.new_context(**MOBILE, base_url=server.url)
    errors = []
    try:
        partner = partner_ctx.new_page()
        partner.on("pageerror", lambda e: errors.append(str(e)))
        partner.goto(url)
        partner.get_by_role("button", name="Join").click()
        partner.wait_for_url(f"**/meetings/{mid}/live")
        partner.evaluate("window.minutedLive.ready")
        expect(partner.locator("#live-main")).to_be_visible()
        tap_marker(partner, "note", "Partner was here")

        # the parent adds someone and moves the agenda on; both phones sync (the partner reads the meeting too)
        add_person(parent, "Dr Shah", "Educational psychologist (EP)")
        parent.locator("#agenda-next").click()
        expect(parent.locator("#agenda-current")).to_have_text("Speech therapy")
        sync_until_done(parent)
        sync_until_done(partner)
        # test that the partner sees the new person once (the meeting's list and the event are the same person)
        expect(partner.locator("#speakers [data-attendee-id]", has_text="Dr Shah")).to_have_count(1)
        expect(partner.locator("#speakers [data-attendee-id]")).to_have_count(4)
        # test that the parent's agenda move shows on the partner's phone
        expect(partner.locator("#agenda-current")).to_have_text("Speech therapy")

        # the parent ends the meeting
        parent.locator("#end-meeting").click()
        parent.locator("#end-confirm").click()
        sync_until_done(parent)
        assert meeting["api"].call("GET", f"/meetings/{mid}")["status"] == "ended"
        # test that the partner's phone learns it: notes closed and said so, no End, no review link (not theirs)
        partner.evaluate("window.minutedLive.syncNow()")
        poll(partner, "window.minutedLive.state().ended_at", message="the partner to learn of the end")
        assert state(partner)["closed"] == "ended"
        # test that the server said so (meeting_ended), with its end time: the two phones agree when it ended
        ended_at = meeting["api"].call("GET", f"/meetings/{mid}")["ended_at"]
        assert datetime.fromisoformat(state(partner)["ended_at"]) == datetime.fromisoformat(ended_at)
        expect(partner.locator("#marker-saved")).to_have_text("The meeting has ended, so notes are closed.")
        expect(partner.locator("[data-marker=note]")).to_be_disabled()
        expect(partner.locator("#end-card")).to_be_visible()
        expect(partner.locator("#end-meeting")).to_be_hidden()
        expect(partner.locator("#review-link")).to_be_hidden()
        timer = partner.locator("#live-timer").inner_text()
        time.sleep(1.2)
        assert partner.locator("#live-timer").inner_text() == timer  # the clock stopped
        assert_fits(partner)
        check_a11y(partner)
        # what the partner noted before the end is on the server
        assert "Partner was here" in {e["payload"].get("text") for e in meeting["api"].events(mid)}
    finally:
        partner_ctx.close()
    assert errors == []


def test_partner_reopening_after_the_end_still_sends_its_notes(browser, page, server, sign_in, meeting):
    """A partner's phone that held notes when the meeting ended, and opens the meeting screen again, sends them."""
    mid = meeting["id"]
    sign_in(page, meeting["email"])
    open_live(page, mid)
    start_meeting(page)
    page.locator("#share-open").click()
    expect(page.locator("#share-code")).not_to_be_empty()
    url = page.locator("#share-url").get_attribute("href")
    page.locator("#share-close").click()

    partner_ctx = browser.new_context(**MOBILE, base_url=server.url)
    try:
        partner = partner_ctx.new_page()
        partner.goto(url)
        partner.get_by_role("button", name="Join").click()
        partner.wait_for_url(f"**/meetings/{mid}/live")
        live_ready(partner)  # the first visit, before the service worker is in charge: the page keeps its own copy
        poll(partner, "caches.open('minuted-pages').then((c) => c.keys()).then((k) => k.length)", message="a copy")
        sync_until_done(partner)
        # the partner's phone loses the signal, takes a note, and the page is closed
        partner_ctx.set_offline(True)
        tap_marker(partner, "note", "Noted with no signal")
        partner.close()
        # the parent ends the meeting
        page.locator("#end-meeting").click()
        page.locator("#end-confirm").click()
        sync_until_done(page)
        # back online, the partner opens the meeting screen again: the server says the meeting has ended (403)
        partner_ctx.set_offline(False)
        assert partner_ctx.request.get(f"/meetings/{mid}/live").status == 403
        again = partner_ctx.new_page()
        open_live(again, mid)
        # test that the saved page opened, learnt of the end, and sent the note it held
        # (its CSRF token still matches the session: it was made at sign-in, not by one of the page's requests
        # racing the others, which used to leave this page's writes refused for good)
        poll(again, "window.minutedLive.state().ended_at", timeout=45, message="the partner to learn of the end")
        sync_until_done(again)
        assert "Noted with no signal" in {e["payload"].get("text") for e in meeting["api"].events(mid)}
        expect(again.locator("#marker-saved")).to_have_text("The meeting has ended, so notes are closed.")
    finally:
        partner_ctx.close()


def test_banner_clears_when_back_online_while_recording(live_page, context, meeting):
    page, mid = live_page, meeting["id"]
    open_overview_and_prefetch(page, mid)
    open_live(page, mid)
    start_meeting(page)
    consent_everyone(page)
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    # no signal: the page reloads from the phone's copy and the recording is continued
    context.set_offline(True)
    page.reload()
    page.evaluate("window.minutedLive.ready")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("You're offline")
    page.locator("#rec-continue").click()
    poll(page, "window.minutedLive.state().recordingActive", message="recording continued offline")

    # the signal comes back but Minuted does not answer yet: said, with no reload asked for
    context.route(re.compile(r".*/(meetings|api)/.*"), lambda route: route.abort())
    context.set_offline(False)
    expect(banner).to_contain_text("can't be reached")
    expect(banner).not_to_contain_text("Reload")
    # test that the banner clears as soon as the server answers, and the recording went on throughout
    context.unroute(re.compile(r".*/(meetings|api)/.*"))
    page.evaluate("window.minutedLive.syncNow()")
    expect(banner).to_be_hidden()
    assert state(page)["recordingActive"]
    assert state(page)["lastSync"] is not None
    page.locator("#rec-pause").click()
    sync_until_done(page)
