"""Every page on the smallest phone (320×568): no sideways scrolling, and axe finds nothing.

The scripted meeting (tests/data/minutes) is loaded straight into the database of an in-process server, with a
long sent log (long subjects, addresses and Message-IDs) and a planned meeting beside it, so each page is seen
with the kind of text that widens a page; then one signed-in phone and one signed-out phone walk every page.
"""
import hashlib
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from axe_playwright_python.sync_playwright import Axe

from server.db import db
from server.minutes import letters
from server.models import AgendaItem
from server.models import Attendee
from server.models import Meeting
from server.models import SentRecord

from .conftest import PASSWORD
from .test_send import InProcessServer
from .test_send import minutes_scripted

SMALL = {"viewport": {"width": 320, "height": 568}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
# how far the page is wider than the screen, and what sticks out (to say what to fix). The screen's width is the
# root's clientWidth: on a mobile viewport innerWidth grows to fit a page that is too wide, so it proves nothing
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const sticksOut = (el) => el.getBoundingClientRect().right > width + 1
        || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible');
    const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.offsetParent !== null && sticksOut(el))
        .filter((el) => ![...el.children].some(sticksOut))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}: `
            + el.textContent.trim().slice(0, 60));
    return {over: document.documentElement.scrollWidth - width, wide};
}"""
LONG_HOST = "mail-relay.outbound.northshire-county-council-education-services.example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Replaces the conftest's `minuted serve` subprocess for this module."""
    s = InProcessServer(tmp_path_factory.mktemp("minuted") / "data")
    s.thread.start()
    yield s
    s.http.shutdown()
    s.thread.join(10)
    with s.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(server):
    """The scripted (held) meeting with a long sent log, and a planned meeting for the same child."""
    email_address = server.add_user()
    held_id = minutes_scripted.load(server.app, email_address)
    with server.app.app_context():
        held = db.session.get(Meeting, held_id)
        sent_at = datetime(2026, 12, 2, 9, tzinfo=timezone.utc)
        for n in range(40):
            body = f"minutes {n}".encode()
            db.session.add(SentRecord(
                meeting_id=held_id, kind="letter" if n % 3 else "minutes",
                channel=("smtp", "eml", "share", "print")[n % 4],
                recipients=[f"firstname.lastname.senco-{n}@{LONG_HOST}", "head.teacher.office@oak-primary.example"],
                subject=f"Notes of Sam J.'s EHCP annual review, Tuesday 1 December 2026 (parent's record), copy {n}",
                message_id=f"<{20261202090000 + n}.{hashlib.sha256(body).hexdigest()}@{LONG_HOST}>",
                sha256=hashlib.sha256(body).hexdigest(), sent_at=sent_at + timedelta(minutes=n),
            ))
        planned = Meeting(child_id=held.child_id, kind=held.kind, title="Interim review: reading and speech support",
                          starts_at=datetime(2027, 3, 2, 9, 30, tzinfo=timezone.utc), timezone=held.timezone,
                          venue="Oak Primary School, the small meeting room next to the library")
        db.session.add(planned)
        db.session.flush()
        db.session.add(Attendee(meeting_id=planned.id, name="Ms Priya Khan-Fitzgerald-Montgomery",
                                role="educational_psychologist",
                                email=f"priya.khan-fitzgerald.montgomery@{LONG_HOST}", position=0))
        db.session.add(AgendaItem(meeting_id=planned.id, title="Reading support: five hours a week with a teaching "
                                  "assistant, as Section F says", position=0))
        letter_ids = [o["id"] for o in letters.available(held)]
        db.session.commit()
        return {"email": email_address, "held": held_id, "planned": planned.id, "child": held.child_id,
                "letters": letter_ids}


def _walk(context, paths, settle=None):
    """Visit each path on a new page of context; return what overflowed, axe's reports and script errors."""
    axe = Axe()
    problems, errors = [], []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status < 500, (path, response and response.status)
        if settle:
            settle(page, path)
        fit = page.evaluate(OVERFLOW)
        if fit["over"] > 0:
            problems.append(f"{path}: {fit['over']} px too wide: {fit['wide']}")
        results = axe.run(page)
        if results.violations_count:
            problems.append(f"{path}: axe\n{results.generate_report()}")
    page.close()
    return problems, errors


def _settle(page, path):
    """Let a page's script draw what it draws, and open every "Details" (long hashes hide there), before measuring."""
    if path.endswith("/live"):
        page.evaluate("window.minutedLive.ready")
    page.wait_for_timeout(150)
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def test_every_page_fits_320px_and_passes_axe(browser, server, world):
    """And the preparation tabs are all on the screen at 390 and 320 px."""
    held, planned, child = world["held"], world["planned"], world["child"]
    # signed out: the pages before an account
    context = browser.new_context(**SMALL, base_url=server.url)
    try:
        problems, errors = _walk(context, ["/login", "/forgot", "/join?code=ABCDE-FGHJK", "/connect", "/offline"],
                                 settle=_settle)
    finally:
        context.close()

    context = browser.new_context(**SMALL, base_url=server.url)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(world["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.close()
        paths = [
            "/", "/account", "/help/email", "/children/new", f"/children/{child}", f"/children/{child}/edit",
            "/meetings/new",
            # the planned meeting: the overview, the preparation tabs, the print view, the meeting screen
            f"/meetings/{planned}", f"/meetings/{planned}/edit", f"/meetings/{planned}/people",
            f"/meetings/{planned}/agenda", f"/meetings/{planned}/plan", f"/meetings/{planned}/print",
            f"/meetings/{planned}/agenda/send", f"/meetings/{planned}/live",
            # the held meeting: its overview and screen after the end, the transcript, review, send, letters
            f"/meetings/{held}", f"/meetings/{held}/live", f"/meetings/{held}/transcript",
            f"/meetings/{held}/review", f"/meetings/{held}/minutes/send", f"/meetings/{held}/minutes/print",
            *(f"/meetings/{held}/letters/{letter}" for letter in world["letters"]),
            "/meetings/0123456789abcdef0123456789abcdef",  # a page that isn't there
        ]
        more, more_errors = _walk(context, paths, settle=_settle)
        problems += more
        errors += more_errors
        # the preparation tabs: every one on the screen as the page opens (they wrap; none scrolled out of sight)
        page = context.new_page()
        page.goto(f"/meetings/{planned}/people")
        for width, rows in ((390, 1), (320, 2)):
            page.set_viewport_size({"width": width, "height": 700})
            boxes = [page.locator(".subnav a").nth(i).bounding_box() for i in range(5)]
            assert page.locator(".subnav a").all_inner_texts() == ["Overview", "People", "Agenda", "Plan", "Print"]
            assert all(b["x"] >= 0 and b["x"] + b["width"] <= width and b["height"] >= 44 for b in boxes), boxes
            assert len({b["y"] for b in boxes}) == rows, boxes
    finally:
        context.close()
    assert world["letters"], "the scripted meeting has letters to write"
    assert problems == [], "\n".join(problems)
    assert errors == []

