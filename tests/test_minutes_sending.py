"""Sending as one piece (server/minutes/sending.py): the agenda before the meeting, the .eml as a draft, the .ics
reminders, the sent log in plain words and the "email isn't set up" note."""
import datetime
import email
import html as html_lib
import re
from email import policy

import pytest
from icalendar import Calendar

import minutes_scripted
from conftest import Parent
from server.db import db
from server.minutes import mail
from server.minutes import render
from server.minutes import sending
from server.models import Attendee
from server.models import Meeting
from server.models import SentRecord
from test_minutes_mail import smtp_app  # noqa: F401 (fixtures: the app sending to a real local SMTP server)
from test_minutes_mail import smtp_server  # noqa: F401

AGENDA_SUBJECT = "Agenda for Sam J.'s EHCP annual review, Tuesday 1 December 2026"


def confirmation(page):
    return html_lib.unescape(re.search(r'name="confirmation" value="([^"]*)"', page).group(1))


def test_agenda_emailed_to_a_real_smtp_server(smtp_app, smtp_server):  # noqa: F811
    _, inbox = smtp_server
    parent = Parent(smtp_app, smtp_app.test_client()).create()
    meeting_id = minutes_scripted.load(smtp_app, parent.email)
    response = parent.api("POST", f"/meetings/{meeting_id}/agenda/send", {"to": ["senco@oak.example"]})
    assert response.status_code == 201, response.json
    sent = response.json["sent"]
    # test that one message went to the school and the parent's own copy
    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert sorted(received["to"]) == sorted(["senco@oak.example", parent.email])
    message = email.message_from_bytes(received["data"], policy=policy.default)
    assert message["Subject"] == AGENDA_SUBJECT
    assert message["Cc"] == parent.email
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    # test that it greets the To recipient, says what it is, and carries the priorities in order and the AOB
    assert text.startswith("Dear Ms Priya Khan,\n\nAhead of Sam J.'s EHCP annual review on Tuesday 1 December 2026")
    assert text.index("1. Daily 1:1 reading support") < text.index("2. Speech and language therapy") < \
        text.index("3. Transport to school")
    assert "Any other business:" in text and "After-school club" in text
    assert text.rstrip().endswith("Kind regards,")
    assert "<p>Dear Ms Priya Khan,</p>" in html and "Transport to school" in html
    # test that the agenda alone is attached as a Word document
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "agenda-Sam-J-2026-12-01.docx"
    lines = render.docx_lines(attachment.get_payload(decode=True))
    assert lines[0].startswith("Agenda: ") and not any(line.startswith("Dear") for line in lines)
    # test that the send is in the one sent log, as the agenda, with the hash of the bytes the server got
    assert sent["sha256"] == mail.sha256(received["data"])
    log = parent.api("GET", f"/meetings/{meeting_id}/sent").json["sent"]
    assert [(s["kind"], s["channel"]) for s in log] == [("agenda", "smtp")]
    assert log[0]["subject"] == AGENDA_SUBJECT


def test_agenda_page_sends_once_and_logs_it(app, parent):
    app.config["MAIL_BACKEND"] = "memory"
    meeting_id = minutes_scripted.load(app, parent.email)
    path = f"/meetings/{meeting_id}/agenda/send"
    page = parent.client.get(path)
    assert page.status_code == 200
    text = page.text
    # test that the page shows the email as it will go, the school side ticked, and nothing logged yet
    assert "Dear Ms Priya Khan, Mr David Lee and Ms Rachel Green," in text
    assert 'value="senco@oak.example" checked' in text
    assert "Nothing sent yet." in text
    form = {"to": ["senco@oak.example", "head@oak.example"], "copy_me": "1", "confirmation": confirmation(text)}
    first = parent.post(path, form, token_from=path)
    assert first.status_code == 302
    # test that a second press of the same page is the same email: sent once
    second = parent.post(path, form, token_from=path)
    assert second.status_code == 302
    outbox = app.extensions["minuted_mail_outbox"]
    assert len(outbox) == 1
    message = email.message_from_bytes(outbox[0]["data"], policy=policy.default)
    assert message["To"] == "senco@oak.example, head@oak.example" and message["Cc"] == parent.email
    after = parent.client.get(path).text
    assert "Emailed the agenda" in after and "already sent" in after


def test_agenda_page_refuses_a_forged_confirmation(app, parent):
    app.config["MAIL_BACKEND"] = "memory"
    meeting_id = minutes_scripted.load(app, parent.email)
    path = f"/meetings/{meeting_id}/agenda/send"
    response = parent.post(path, {"to": ["senco@oak.example"], "confirmation": "forged"}, token_from=path)
    assert response.status_code == 200 and "open too long" in response.text
    assert app.extensions.get("minuted_mail_outbox", []) == []


def test_agenda_is_the_parents_to_send(app, parent, other_parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    assert other_parent.api("POST", f"/meetings/{meeting_id}/agenda/send", {"to": ["a@b.example"]}).status_code == 404
    assert other_parent.api("GET", f"/meetings/{meeting_id}/agenda.eml").status_code == 404


def test_agenda_eml_is_a_draft_and_logged(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    response = parent.api("GET", f"/meetings/{meeting_id}/agenda.eml")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="agenda-Sam-J-2026-12-01.eml"'
    message = email.message_from_bytes(response.data, policy=policy.default)
    assert message["X-Unsent"] == "1" and message["Subject"] == AGENDA_SUBJECT
    log = parent.api("GET", f"/meetings/{meeting_id}/sent").json["sent"]
    assert (log[0]["kind"], log[0]["channel"], log[0]["sha256"]) == ("agenda", "eml", mail.sha256(response.data))


def test_minutes_and_letter_eml_open_as_drafts(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    data = parent.api("GET", f"/meetings/{meeting_id}/minutes.eml").data
    assert b"\r\nX-Unsent: 1\r\n" in data.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    letter = parent.api("GET", f"/meetings/{meeting_id}/letters").json["letters"][0]["id"]
    path = f"/meetings/{meeting_id}/letters/{letter}"
    response = parent.post(path, {"subject": "S", "markdown": "Text", "to": ["senco@oak.example"], "action": "eml"},
                           token_from=path)
    assert response.status_code == 200
    assert email.message_from_bytes(response.data, policy=policy.default)["X-Unsent"] == "1"


def test_calendar_reminds_two_days_before_each_date(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    cal = Calendar.from_ical(parent.api("GET", f"/meetings/{meeting_id}/calendar.ics").data)
    events = list(cal.walk("VEVENT"))
    assert events
    for event in events:
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        # test that it goes off at 09:00 two days before the (all-day) date
        start = datetime.datetime.combine(event.decoded("DTSTART"), datetime.time())
        fires = start + alarm.decoded("TRIGGER")
        assert fires == start - datetime.timedelta(days=2) + datetime.timedelta(hours=9)
        assert str(alarm["DESCRIPTION"]).startswith("In two days: ")


def test_sent_log_reads_plainly_with_details_behind_a_disclosure(app, parent):
    app.config["MAIL_BACKEND"] = "memory"
    meeting_id = minutes_scripted.load(app, parent.email)
    parent.api("POST", f"/meetings/{meeting_id}/minutes/send", {"to": ["senco@oak.example"]})
    page = parent.client.get(f"/meetings/{meeting_id}/minutes/send").text
    log = page[page.index('id="sent-log"'):]
    assert "Emailed the minutes: “Notes of Sam J." in log
    # test that the fingerprint and Message-ID sit inside <details>, not in the line people read
    title = re.search(r'<span class="row-title">(.*?)</span>', log, re.S).group(1)
    assert "SHA-256" not in title and "Message-ID" not in title
    details = re.search(r"<details class=\"sent-details\">(.*?)</details>", log, re.S).group(1)
    assert "SHA-256" in details and "Message-ID" in details


@pytest.mark.parametrize("path", ["/meetings/{id}/minutes/send", "/meetings/{id}/agenda/send"])
def test_no_setting_names_on_pages_when_email_is_not_set_up(app, parent, path):
    meeting_id = minutes_scripted.load(app, parent.email)
    page = parent.client.get(path.format(id=meeting_id)).text
    assert "MINUTED_" not in page and "SMTP" not in page
    assert "Email isn't set up on this server" in page and 'href="/help/email"' in page
    # test that the help page links to the README's own words on it
    help_page = parent.client.get("/help/email").text
    assert "Configuration" in help_page and "smtp" in help_page.lower()


def test_letter_page_subject_is_a_styled_text_field_and_says_email_is_not_set_up(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    letter = parent.api("GET", f"/meetings/{meeting_id}/letters").json["letters"][0]["id"]
    page = parent.client.get(f"/meetings/{meeting_id}/letters/{letter}").text
    assert re.search(r'<input id="letter-subject" class="subject-input" type="text"', page)
    assert "Email isn't set up on this server" in page and "MINUTED_" not in page


def test_describe_every_channel_and_kind(app):
    for channel in ("smtp", "eml", "mailto", "share", "copy", "print"):
        for kind in ("minutes", "letter", "agenda"):
            text = sending.describe(SentRecord(channel=channel, kind=kind))
            assert text[0].isupper() and kind in text or (kind == "letter" and "a letter" in text)


def test_addresses_are_checked_once_for_every_sender(app):
    with app.test_request_context():
        assert sending.addresses("a@b.example, c@d.example;a@b.example", "to") == ["a@b.example", "c@d.example"]
        with pytest.raises(Exception) as caught:
            sending.addresses(["not an address"], "cc")
        assert caught.value.fields == {"cc": "Check the addresses."}


def test_meeting_has_agenda_in_sent_relationship(app, parent):
    app.config["MAIL_BACKEND"] = "memory"
    meeting_id = minutes_scripted.load(app, parent.email)
    parent.api("POST", f"/meetings/{meeting_id}/agenda/send", {"to": ["senco@oak.example"], "copy_me": False})
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert [(r.kind, r.recipients) for r in meeting.sent] == [("agenda", ["senco@oak.example"])]


def test_the_parents_own_adviser_is_not_addressed_as_the_school(app, parent):
    # test that an adviser on the family's side (a SENDIASS adviser with an email) is not put in the minutes' To
    # line beside the school's staff: the roles file's "Family" group decides, not a list kept in the code
    meeting_id = minutes_scripted.load(app, parent.email)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        db.session.add(Attendee(meeting_id=meeting_id, position=99, name="Jo Adviser", role="sendiass_adviser",
                                attendance="present", email="jo@sendiass.example"))
        db.session.commit()
        meeting = db.session.get(Meeting, meeting_id)
        to, _ = sending.default_recipients(meeting)
    message = email.message_from_bytes(parent.api("GET", f"/meetings/{meeting_id}/minutes.eml").data,
                                       policy=policy.default)
    assert to and "jo@sendiass.example" not in " ".join(to)
    assert "jo@sendiass.example" not in str(message["To"]) + str(message["Cc"] or "")
