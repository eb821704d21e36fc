"""After the meeting on a phone, in three steps: check what was captured, check the minutes, send.

At 390×844 and 320×568, on the scripted meeting (tests/data/minutes) with its
recording: confirm a point, fix who said another, remove a third, come back
later; edit one part of the minutes in place (a new version, kept by a
redraft); then send against a real SMTP server (aiosmtpd) after the
confirmation, with the parent in Cc and the signature in the email. No step
scrolls sideways or holds a scroll area inside the page, and axe finds nothing.
"""
import copy
import datetime
import email
import os
import re
import sys
from email import policy
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server import create_app
from server.db import db
from server.models import User

from .test_review import Inbox  # noqa: F401 (the SMTP server's handler)
from .test_review import MailServer
from .test_review import _free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import minutes_scripted  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SIGNATURE = "Alex Jones\nParent of Sam, Year 5\n07700 900123"
EDITED = "Mr Lee said he would write to us about transport by Friday."
SIZES = {"390": {"width": 390, "height": 844}, "320": {"width": 320, "height": 568}}


@pytest.fixture(scope="module")
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp):
    controller, _ = smtp
    s = MailServer(tmp_path_factory.mktemp("minuted") / "data")
    s.smtp_url = f"smtp://{controller.hostname}:{controller.port}"
    s.start()
    yield s
    s.stop()


def load_meeting(server, prefix):
    """A new account, signed as Alex Jones, with the scripted meeting and ~17 minutes of audio."""
    address = server.add_user()
    app = create_app({"DATA_DIR": str(server.data)})
    meeting_id = minutes_scripted.load(app, address, prefix=prefix, audio_seconds=1010)
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.email == address)).scalar_one()
        user.display_name, user.signature = "Alex Jones", SIGNATURE
        db.session.commit()
        db.engine.dispose()
    return address, meeting_id


def csrf(page):
    return page.locator('meta[name="csrf-token"]').get_attribute("content")


def api_points(page, meeting_id):
    response = page.request.get(f"/api/v1/meetings/{meeting_id}/suggestions")
    assert response.ok, response.text()
    return response.json()["suggestions"]


def api_minutes(page, meeting_id):
    response = page.request.get(f"/api/v1/meetings/{meeting_id}/minutes")
    assert response.ok, response.text()
    return response.json()


def fits(page):
    """No sideways scroll, and no element that scrolls inside the page (a text box being typed in aside), measured
    once the page has its styles and fonts (on a busy machine a heading can show before the stylesheet applies)."""
    page.wait_for_load_state("load")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    html = "document.documentElement"
    assert page.evaluate(f"() => {html}.scrollWidth <= {html}.clientWidth"), (page.url, page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                          || el.scrollWidth > el.clientWidth + 1)
          .map((el) => `${el.tagName}#${el.id}.${el.className}: ${el.getBoundingClientRect().right} ${el.scrollWidth}`)"""))
    nested = page.evaluate("""() => [...document.querySelectorAll('body *')].filter((el) => {
        const style = getComputedStyle(el);
        const scrolls = (v) => v === 'auto' || v === 'scroll';
        return el.tagName !== 'TEXTAREA' && el.offsetParent !== null
          && ((scrolls(style.overflowY) && el.scrollHeight > el.clientHeight + 1)
              || (scrolls(style.overflowX) && el.scrollWidth > el.clientWidth + 1));
      }).map((el) => el.id || el.className || el.tagName)""")
    assert nested == [], (page.url, nested)


def current_step(page):
    return page.locator('.steps [aria-current="step"]')


@pytest.mark.parametrize("size", sorted(SIZES))
def test_check_edit_and_send_in_three_steps(page, sign_in, check_a11y, server, smtp, size):
    _, inbox = smtp
    address, meeting_id = load_meeting(server, f"am{size}")
    page.set_viewport_size(SIZES[size])
    sign_in(page, address)
    review = f"/meetings/{meeting_id}/review"

    # step 1: the step shown, the points found, the transcript behind a disclosure
    page.goto(review)
    expect(current_step(page)).to_contain_text("Check what was captured")
    expect(page.locator(".steps li a")).to_have_count(3)
    expect(page.locator("#transcript")).not_to_have_attribute("open", "")
    expect(page.locator("#segments")).to_be_hidden()
    fits(page)
    check_a11y(page)

    found = api_points(page, meeting_id)
    confirm = next(p for p in found if p["kind"] == "refusal")
    fix = next(p for p in found if p["id"] != confirm["id"] and p["attendee_id"])
    remove = next(p for p in found if p["id"] not in (confirm["id"], fix["id"]))

    def item(point):
        return page.locator(f'[data-suggestion="{point["id"]}"]')

    # each point says who said it and plays its moment
    expect(item(confirm).locator(".point-head")).to_contain_text(confirm["who"] or "person not identified")
    item(confirm).get_by_role("button", name=f"Play from {confirm['time']}").click()
    expect(page.locator("#player-label")).to_have_text(f"Playing from {confirm['time']}")
    page.evaluate("() => document.getElementById('player').pause()")

    item(confirm).get_by_role("button", name="Confirm").click()
    expect(item(confirm)).to_have_count(0)

    # fix who said it: another person at the meeting, the words as they were
    item(fix).get_by_role("button", name="Fix").click()
    form = item(fix).locator("form")
    who = form.locator("select[name=who]")
    expect(who).to_be_focused()
    fits(page)
    check_a11y(page)
    owner = fix["who"].split(" (")[0]
    chosen = next(n for n in who.locator("option").all_text_contents()
                  if n != owner and n != "Nobody named" and "(as said)" not in n and n != "Not identified")
    who.select_option(label=chosen)
    form.get_by_role("button", name="Save").click()
    expect(item(fix)).to_have_count(0)

    item(remove).get_by_role("button", name="Remove").click()
    expect(item(remove)).to_have_count(0)
    expect(page.locator("#points-status")).to_have_text(re.compile(r"^Removed\."))

    # leave and come back: what was decided stays decided
    page.goto("/")
    page.goto(review)
    left = [p["id"] for p in api_points(page, meeting_id)]
    assert not {confirm["id"], fix["id"], remove["id"]} & set(left)
    expect(page.locator("[data-suggestion]")).to_have_count(len(left))
    expect(current_step(page)).to_contain_text("Check what was captured" if left else "Check the minutes")

    # the transcript opens in the page, not in a box of its own
    page.locator("#transcript summary").click()
    expect(page.locator("#segments")).to_be_visible()
    fits(page)

    # step 2: redraft with the checked points, then the minutes as cards per part
    page.get_by_role("button", name="Redraft from the meeting").click()
    expect(page.locator("#minutes-status")).to_contain_text("Redrafted as version")
    page.get_by_role("link", name="Next: check the minutes").click()
    cards = page.locator("#cards [data-part]")
    assert cards.count() >= 8
    refused = page.locator("#cards .group-refused")
    expect(refused.first).to_be_visible()
    expect(page.locator("#cards")).to_contain_text(" ".join(confirm["text"].split()[:5]))
    expect(page.locator("#cards")).to_contain_text(chosen)
    assert "#" not in page.locator("#cards .part-view").first.inner_text()
    # the whole text waits behind "Advanced"
    expect(page.get_by_label("The whole minutes as text")).to_be_hidden()
    fits(page)
    check_a11y(page)

    # edit one part in place: a new version, the other parts unchanged
    before = api_minutes(page, meeting_id)
    part = page.locator("#cards [data-part]", has_text="Not recorded as discussed.").first
    title = part.locator("h3").inner_text()
    part.get_by_role("button", name=re.compile("^Edit")).click()
    box = part.get_by_label(f"Wording of “{title}”")
    expect(box).to_be_focused()
    fits(page)
    check_a11y(page)
    box.fill(f"- {EDITED}")
    part.get_by_role("button", name="Save this part").click()
    expect(page.locator("#minutes-status")).to_have_text(f"Saved as version {before['version'] + 1}.")
    edited = page.locator("#cards [data-part]", has=page.locator("h3", has_text=title))
    expect(edited).to_contain_text(EDITED)
    expect(edited.locator("h3")).to_be_focused()
    after = api_minutes(page, meeting_id)
    assert after["version"] == before["version"] + 1 and after["source"] == "edit"
    # the part's wording changed; every other part is exactly as it was
    heading = f"### {title}\n\n"
    assert after["markdown"] == before["markdown"].replace(
        f"{heading}- Not recorded as discussed.\n", f"{heading}- {EDITED}\n", 1)

    # a redraft keeps the edit
    page.get_by_role("button", name="Redraft from the meeting").click()
    expect(page.locator("#minutes-status")).to_contain_text("Redrafted as version")
    expect(page.locator("#cards")).to_contain_text(EDITED)
    check_a11y(page)

    # step 3: send, after the confirmation; the parent in Cc, the signature in the email
    page.goto(review + "#draft")
    page.get_by_role("link", name="Next: send the minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the minutes")
    expect(current_step(page)).to_contain_text("Send")
    fits(page)
    check_a11y(page)
    page.get_by_role("button", name="Send by email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before sending")
    expect(page.locator("#confirm-cc")).to_contain_text(f"you <{address}>")
    fits(page)
    check_a11y(page)
    sent_before = len(inbox.messages)
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".flash")).to_contain_text("Sent to")
    expect(page.locator("#sent-log")).to_contain_text("Emailed")
    fits(page)
    check_a11y(page)

    assert len(inbox.messages) == sent_before + 1
    message = email.message_from_bytes(inbox.messages[-1], policy=policy.default)
    assert address in message["Cc"]
    plain = message.get_body(("plain",)).get_content()
    assert EDITED in plain
    assert "Parent of Sam, Year 5" in plain and "07700 900123" in plain
    assert "Parent of Sam, Year 5" in message.get_body(("html",)).get_content()

    # back on the review page, the steps say the minutes were sent
    page.goto(review)
    expect(current_step(page)).to_contain_text("Send")
    expect(page.locator(".steps .done")).to_have_count(2)


def sixty_minutes():
    """The scripted meeting said three and a half times over: an hour of talk with its points and markers.

    There is no hour-long scripted meeting; this one repeats the script's lines and taps every 17 minutes
    (new ids), so the points found and the minutes grow as an hour's would.
    """
    s = copy.deepcopy(minutes_scripted.SCRIPT)
    period, rounds = 17 * 60 * 1000, 4
    lines, events = s["segments"], s["events"]
    s["segments"] = [{**seg, "start_ms": seg["start_ms"] + n * period, "end_ms": seg["end_ms"] + n * period}
                     for n in range(rounds) for seg in lines if seg["start_ms"] + n * period < 3_600_000]
    s["events"] = [{**e, "id": f"{e['id']}:{n}", "at_ms": e["at_ms"] + n * period}
                   for n in range(rounds) for e in events
                   if e["at_ms"] + n * period < 3_600_000 and (n == 0 or e["kind"] != "consent")]
    started = datetime.datetime.fromisoformat(s["meeting"]["started_at"])
    s["meeting"]["ended_at"] = (started + datetime.timedelta(minutes=61)).isoformat()
    return s


def test_review_page_of_an_hour_long_meeting_on_a_phone(page, sign_in, check_a11y, server):
    """The review page at 390 px for an hour's meeting: its height (reported), no sideways scroll, axe-clean."""
    address = server.add_user()
    app = create_app({"DATA_DIR": str(server.data)})
    meeting_id = minutes_scripted.load(app, address, prefix="hour", script=sixty_minutes())
    with app.app_context():
        db.engine.dispose()
    page.set_viewport_size(SIZES["390"])
    sign_in(page, address)
    page.goto(f"/meetings/{meeting_id}/review")
    expect(page.locator("#cards")).to_be_visible()
    fits(page)
    check_a11y(page)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    steps = page.evaluate("""() => ['check', 'draft'].map((id) => Math.round(
        document.getElementById(id).getBoundingClientRect().height))""")
    print(f"\nreview page at 390 px, an hour's meeting: {height} px (step 1: {steps[0]} px, step 2: {steps[1]} px; "
          f"{page.locator('[data-suggestion]').count()} points to check, {page.locator('#segments li').count()} lines)")
    if os.environ.get("MINUTED_SCREENSHOTS"):  # refresh docs/review-390.png on request, not on every run
        page.screenshot(path=str(ROOT / "docs" / "review-390.png"), full_page=True)
