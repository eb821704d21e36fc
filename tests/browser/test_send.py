"""On a phone: set a signature, choose who gets the minutes, press Send, check the confirmation, confirm, and the email.

This module serves the app from this process (werkzeug, in a thread) with the
memory mail backend, so the test reads the outbox the app sent to; the
scripted meeting (tests/data/minutes) is loaded straight into its database.
"""
import email
import re
import sys
import threading
from email import policy
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from server import auth
from server import create_app
from server.db import db
from server.db import upgrade
from server.minutes import mail
from server.minutes import render
from server.models import Meeting

from .conftest import PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import minutes_scripted  # noqa: E402

SIGNATURE = "Alex Jones\nParent of Sam, Year 5\n07700 900123"


class InProcessServer:
    """The app on a free port in a thread of this process: the test can read what it sent."""

    def __init__(self, data_dir):
        self.app = create_app({"DATA_DIR": str(data_dir), "MAIL_BACKEND": "memory"})
        with self.app.app_context():
            upgrade()
        self.http = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def add_user(self, email_address="parent@example.org", password=PASSWORD):
        with self.app.app_context():
            auth.create_user(email_address, password)
            db.session.commit()
        return email_address

    @property
    def outbox(self):
        return self.app.extensions.get("minuted_mail_outbox", [])


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
def meeting(server):
    email_address = server.add_user()
    meeting_id = minutes_scripted.load(server.app, email_address)
    from server.views.minutes import unchecked_count

    with server.app.app_context():
        unchecked = unchecked_count(db.session.get(Meeting, meeting_id))
    return email_address, meeting_id, unchecked


def test_confirm_then_send_with_greeting_signature_copy_and_docx(page, sign_in, check_a11y, server, meeting):
    email_address, meeting_id, unchecked = meeting
    sign_in(page, email_address)

    # the account page: the name and signature the email is signed with
    page.goto("/account")
    page.get_by_label("Your name").fill("Alex Jones")
    page.get_by_label("Signature").fill(SIGNATURE)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Your emails and letters are signed with this")
    expect(page.get_by_label("Signature")).to_have_value(SIGNATURE)
    check_a11y(page)

    # the send page: To the SENCO and the head, Cc the LA officer, not the EP; a copy to the parent, ticked
    page.goto(f"/meetings/{meeting_id}/minutes/send")
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the minutes")
    rachel = page.locator(".recipient", has_text="Ms Rachel Green")
    rachel.get_by_label("To").uncheck()
    rachel.get_by_label("Cc").check()
    page.locator(".recipient", has_text="Dr Tom Patel").get_by_label("Cc").uncheck()
    expect(page.get_by_label("Send me a copy")).to_be_checked()
    page.get_by_role("button", name="Send by email").click()

    # the confirmation: who gets it, the subject, how it starts; nothing sent yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before sending")
    expect(page.locator("#confirm-to")).to_have_text(
        "Ms Priya Khan <senco@oak.example>, Mr David Lee <head@oak.example>")
    expect(page.locator("#confirm-cc")).to_have_text(
        f"Ms Rachel Green <rachel.green@northshire.example>, you <{email_address}>")
    expect(page.locator("#confirm-subject")).to_have_text(
        "Notes of Sam J.'s EHCP annual review, Tuesday 1 December 2026 (parent's record)")
    expect(page.locator("#email-start")).to_contain_text(
        "Dear Ms Priya Khan and Mr David Lee,\n\nPlease find below my notes of Sam J.'s EHCP annual review")
    assert unchecked > 0  # the scripted meeting's recording holds refusals and promises nobody marked
    if unchecked:
        expect(page.locator("#unchecked-warning")).to_contain_text(
            re.compile(rf"^\s*{unchecked} points? in these minutes comes? from the recording"))
        expect(page.locator("#unchecked-warning").get_by_role("link", name=re.compile("^Check (them|it) first$"))) \
            .to_have_attribute("href", f"/meetings/{meeting_id}/review")
    check_a11y(page)
    assert server.outbox == []

    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".flash")).to_contain_text("Sent to senco@oak.example, head@oak.example")
    expect(page.locator("#sent-log")).to_contain_text("Emailed the minutes")
    # the log's fingerprint and Message-ID sit behind "Details": the page does not scroll sideways
    no_sideways_scroll(page)

    # the outbox: one message, greeting and signature, the parent in Cc, the minutes attached as DOCX
    assert len(server.outbox) == 1
    sent = server.outbox[0]
    assert sent["to"] == ["senco@oak.example", "head@oak.example", "rachel.green@northshire.example", email_address]
    message = email.message_from_bytes(sent["data"], policy=policy.default)
    assert message["From"] == f"Alex Jones <{email_address}>"
    assert message["To"] == "senco@oak.example, head@oak.example"
    assert message["Cc"] == f"rachel.green@northshire.example, {email_address}"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Dear Ms Priya Khan and Mr David Lee,\n\nPlease find below my notes of Sam J.'s")
    assert text.endswith("\n\nKind regards,\nAlex Jones\nParent of Sam, Year 5\n07700 900123\n")
    html = message.get_body(("html",)).get_content()
    assert "<p>Dear Ms Priya Khan and Mr David Lee,</p>" in html
    assert "Kind regards,<br>" in html and "07700 900123</p>" in html
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("minutes-Sam-J-2026-12-01.docx", "/".join(mail.DOCX_MIME))]
    lines = render.docx_lines(attachments[0].get_payload(decode=True))
    assert lines[0] == "Notes of Sam J.'s EHCP annual review, Tuesday 1 December 2026 (parent's record)"
    assert not any(line.startswith("Dear ") for line in lines)


def test_consent_and_attendance_say_what_was_captured(page, sign_in, server):
    """The review preview and the email state attendance and consent from what happened, not the list before."""
    email_address = server.add_user("second@example.org")
    script = minutes_scripted.variant("england_ehcp_annual_review")
    script["meeting"]["consent_status"] = None
    for a in script["attendees"]:
        if a["id"] == "a3":
            a["attendance"] = "expected"  # on the list before the meeting; he spoke in it
    script["events"] = [e for e in script["events"] if e["kind"] != "consent"] + [
        {"id": f"00000000-0000-4000-8000-0000000002{i:02d}", "kind": "consent", "at_ms": 20000 + i,
         "payload": {"attendee_id": who, "given": who != "a4"}} for i, who in enumerate(("a1", "a2", "a3", "a4"))]
    meeting_id = minutes_scripted.load(server.app, email_address, prefix="c", script=script)
    sign_in(page, email_address)
    page.goto(f"/meetings/{meeting_id}/review")
    preview = page.locator("#minutes-preview")
    expect(preview).to_contain_text("Mr David Lee, Head teacher / principal, Oak Primary: present")
    expect(preview).to_contain_text("Recording was not agreed by everyone present.")
    expect(preview).to_contain_text("Ms Rachel Green (LA SEN officer / EHC co-ordinator) did not agree to the recording")
    expect(preview).not_to_contain_text("consent was not recorded")
    expect(preview).not_to_contain_text("expected")

    page.goto(f"/meetings/{meeting_id}/minutes/send")
    page.get_by_role("button", name="Send by email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before sending")
    before = len(server.outbox)
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".flash")).to_contain_text("Sent to")
    assert len(server.outbox) == before + 1
    text = email.message_from_bytes(server.outbox[-1]["data"], policy=policy.default) \
        .get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Mr David Lee, Head teacher / principal, Oak Primary: present" in text
    assert "Recording was not agreed by everyone present." in text
    assert "Item opened" not in text and "[E" not in text


def no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("() => document.documentElement.scrollWidth")


def test_agenda_emailed_before_the_meeting_and_the_log_reads_plainly(page, sign_in, check_a11y, server):
    """From "Send your agenda": Email it to the school, send, and the log says what went in plain words."""
    email_address = server.add_user("agenda@example.org")
    meeting_id = minutes_scripted.load(server.app, email_address, prefix="g")
    sign_in(page, email_address)
    page.goto(f"/meetings/{meeting_id}/print")
    page.get_by_role("link", name="Email it to the school").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email the agenda to the school")
    expect(page.locator("#agenda-email-text")).to_contain_text("1. Daily 1:1 reading support")
    no_sideways_scroll(page)
    check_a11y(page)
    before = len(server.outbox)
    page.get_by_role("button", name="Send the agenda by email").click()
    expect(page.locator(".flash")).to_contain_text("Agenda sent to senco@oak.example")
    assert len(server.outbox) == before + 1
    message = email.message_from_bytes(server.outbox[-1]["data"], policy=policy.default)
    assert message["Subject"] == "Agenda for Sam J.'s EHCP annual review, Tuesday 1 December 2026"
    # the log: who, when, what in the line; the fingerprint and Message-ID only behind "Details"
    entry = page.locator("#sent-log li").first
    expect(entry).to_contain_text("Emailed the agenda")
    expect(entry.get_by_text("SHA-256")).to_be_hidden()
    entry.get_by_text("Details").click()
    expect(entry.get_by_text("SHA-256")).to_be_visible()
    no_sideways_scroll(page)
    check_a11y(page)


def test_player_learns_a_webm_duration_before_seeking(page, server):
    """A browser-made WebM reports duration Infinity: the player seeks far past the end once to learn it."""
    page.goto("/login")
    got = page.evaluate("""async () => {
      const { knownDuration } = await import('/static/js/review/player.js');
      const audio = document.createElement('audio');
      let duration = Infinity;
      const seeks = [];
      Object.defineProperty(audio, 'duration', { get: () => duration });
      Object.defineProperty(audio, 'currentTime', {
        get: () => 0,
        set: (value) => {
          seeks.push(value);
          setTimeout(() => { duration = 321.5; audio.dispatchEvent(new Event('durationchange')); }, 10);
        },
      });
      const learnt = await knownDuration(audio);
      // a file whose duration is known is not touched
      const known = document.createElement('audio');
      Object.defineProperty(known, 'duration', { get: () => 12 });
      return { learnt, seeks, known: await knownDuration(known) };
    }""")
    assert got == {"learnt": 321.5, "seeks": [1e101], "known": 12}
