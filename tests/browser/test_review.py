"""After the meeting, on a phone: review → accept a suggested refusal → redraft → edit → send by email → logged.

This module runs its own `minuted serve` with MINUTED_SMTP_URL pointing at an
aiosmtpd server started by the test, and loads the scripted meeting
(tests/data/minutes) straight into that server's database.
"""
import email
import re
import socket
import sys
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from server import create_app
from server.db import db

from .conftest import Server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import minutes_scripted  # noqa: E402


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


class MailServer(Server):
    """`minuted serve` that sends email through the test's SMTP server."""

    smtp_url = None

    def _env(self):
        return {**super()._env(), "MINUTED_SMTP_URL": self.smtp_url}


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp):
    controller, _ = smtp
    s = MailServer(tmp_path_factory.mktemp("minuted") / "data")
    s.smtp_url = f"smtp://{controller.hostname}:{controller.port}"
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def meeting(server):
    """An account with the scripted meeting (and ~17 minutes of audio) in the server's database."""
    email_address = server.add_user()
    app = create_app({"DATA_DIR": str(server.data)})
    meeting_id = minutes_scripted.load(app, email_address, audio_seconds=1010)
    with app.app_context():
        db.engine.dispose()
    return email_address, meeting_id


def test_review_accept_edit_send(page, sign_in, check_a11y, meeting, smtp):
    email_address, meeting_id = meeting
    _, inbox = smtp
    sign_in(page, email_address)
    page.goto(f"/meetings/{meeting_id}/review")
    expect(page.get_by_role("heading", name=re.compile(r"^Review: EHCP annual review"))).to_be_visible()
    check_a11y(page)

    # tap a transcript line (the transcript sits behind a disclosure): the player loads the joined recording
    # and seeks to that moment (2:20)
    page.locator("#transcript summary").click()
    page.locator("#segments button", has_text="That's not something we can offer").click()
    for _ in range(100):
        if page.evaluate("() => document.getElementById('player').currentTime") >= 139:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("() => document.getElementById('player').currentTime") >= 139
    expect(page.locator("#player-label")).to_have_text("Playing from 09:34:20")

    # confirm the refusal found in the recording: it becomes a marker
    suggestion = page.locator("[data-suggestion]", has_text="We can't offer speech therapy at home")
    suggestion.get_by_role("button", name="Confirm").click()
    expect(suggestion).to_have_count(0)
    expect(page.locator("#markers")).to_contain_text("We can't offer speech therapy at home")

    # redraft: the refusal is in the minutes, with its evidence
    page.get_by_role("button", name="Redraft from the meeting").click()
    expect(page.locator("#minutes-status")).to_contain_text("Redrafted as version")
    page.get_by_text("Advanced: edit the whole text").click()
    editor = page.get_by_label("The whole minutes as text")
    expect(editor).to_have_value(
        re.compile(r"- Refused, Mr David Lee \(Head teacher / principal\): “We can't offer speech therapy at home, "
                   r"I'm afraid that's not possible\.” \[09:45:20\]\n")
    )

    # edit: the preview follows, and the save is a new version
    text = editor.input_value().replace(
        "- Not recorded as discussed.\n\n### 4.4",
        "- Not reached: Mr Lee said he would write about transport.\n\n### 4.4",
    )
    editor.fill(text)
    expect(page.locator("#minutes-preview")).to_contain_text("Mr Lee said he would write about transport")
    page.get_by_role("button", name="Save edit").click()
    expect(page.locator("#minutes-status")).to_contain_text("Saved as version")
    check_a11y(page)

    # send it to the school by email
    page.get_by_role("link", name="Send the minutes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the minutes")
    check_a11y(page)
    page.get_by_role("button", name="Send by email").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before sending")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(".flash")).to_contain_text("Sent to senco@oak.example")
    expect(page.locator("#sent-log")).to_contain_text("Emailed")
    check_a11y(page)

    # the SMTP server got it: text and HTML with the edit and the accepted refusal, and the DOCX
    assert len(inbox.messages) == 1
    message = email.message_from_bytes(inbox.messages[0], policy=policy.default)
    plain = message.get_body(("plain",)).get_content()
    assert "Mr Lee said he would write about transport" in plain
    assert "We can't offer speech therapy at home" in plain
    assert "Mr Lee said he would write about transport" in message.get_body(("html",)).get_content()
    assert [a.get_filename() for a in message.iter_attachments()] == ["minutes-Sam-J-2026-12-01.docx"]
