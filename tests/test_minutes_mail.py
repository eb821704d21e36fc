"""Sending: a real SMTP server (aiosmtpd) receives the minutes; .eml, DOCX and .ics parse back."""
import email
import io
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

import minutes_scripted
from conftest import Parent
from conftest import make_app
from server.db import db
from server.minutes import mail
from server.minutes import render
from server.models import SentRecord


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "data": envelope.content})
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def smtp_app(tmp_path, migrated_db, smtp_server):
    import shutil

    controller, _ = smtp_server
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, SMTP_URL=f"smtp://{controller.hostname}:{controller.port}")
    yield app
    with app.app_context():
        db.engine.dispose()


def parts(message):
    """Return (text, html, docx bytes) from a parsed message."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "/".join(mail.DOCX_MIME)
    return text, html, attachments[0].get_payload(decode=True)


def test_minutes_sent_to_a_real_smtp_server(smtp_app, smtp_server):
    _, inbox = smtp_server
    parent = Parent(smtp_app, smtp_app.test_client()).create()
    meeting_id = minutes_scripted.load(smtp_app, parent.email)
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    response = parent.api("POST", f"/meetings/{meeting_id}/minutes/send",
                          {"to": ["senco@oak.example", "head@oak.example"], "cc": ["rachel.green@northshire.example"]})
    assert response.status_code == 201, response.json
    sent = response.json["sent"]
    # test that the server received one message for all three recipients
    # test that the server received one message for the three recipients and the parent's own copy
    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert sorted(received["to"]) == ["head@oak.example", parent.email, "rachel.green@northshire.example",
                                      "senco@oak.example"]
    assert received["from"] == parent.email
    message = email.message_from_bytes(received["data"], policy=policy.default)
    assert message["Subject"] == "Notes of Sam J.'s EHCP annual review, Tuesday 1 December 2026 (parent's record)"
    assert message["To"] == "senco@oak.example, head@oak.example"
    assert message["Cc"] == f"rachel.green@northshire.example, {parent.email}"
    assert message["Message-ID"] == sent["message_id"]
    assert message.is_multipart()
    # test that the text and HTML parts are the same minutes in the same covering note
    text, html, docx = parts(message)
    text = text.replace("\r\n", "\n")
    assert text.startswith("Dear Ms Priya Khan and Mr David Lee,\n\nPlease find below my notes of Sam J.'s EHCP "
                           "annual review on Tuesday 1 December 2026, also attached as a Word document.")
    assert "\n\n" + render.to_text(minutes["markdown"]) + "\nKind regards,\n" in text
    assert str(render.to_html(minutes["markdown"])) in html.replace("\r\n", "\n")
    assert "<p>Dear Ms Priya Khan and Mr David Lee,</p>" in html
    assert "<h2>4. Items (the parent's priorities first)</h2>" in html.replace("&#x27;", "'").replace("&#39;", "'")
    # test that the DOCX opens with python-docx and holds the same content
    assert render.docx_lines(docx) == render.plain_lines(minutes["markdown"])
    # test that the send is logged with the hash of exactly the bytes sent
    with smtp_app.app_context():
        record = db.session.execute(db.select(SentRecord)).scalar_one()
        assert record.channel == "smtp" and record.kind == "minutes"
        assert record.sha256 == sent["sha256"]
    # test that the hash is of exactly the bytes the server received
    assert mail.sha256(received["data"]) == sent["sha256"]
    log = parent.api("GET", f"/meetings/{meeting_id}/sent").json["sent"]
    assert [s["channel"] for s in log] == ["smtp"]
    assert log[0]["recipients"] == ["senco@oak.example", "head@oak.example", "rachel.green@northshire.example",
                                    parent.email]


def test_exact_bytes_hash(app):
    with app.app_context():
        msg = mail.build("Subject", "p@example.org", ["a@example.org"], [], "text\n", "<p>html</p>")
        data = mail.as_bytes(msg)
        backend = mail.MemoryBackend(app)
        backend.send("p@example.org", ["a@example.org"], data)
        # test that what the backend got is exactly what is hashed
        assert mail.sha256(app.extensions["minuted_mail_outbox"][0]["data"]) == mail.sha256(data)


def test_send_without_smtp_is_refused_clearly(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    response = parent.api("POST", f"/meetings/{meeting_id}/minutes/send", {"to": ["senco@oak.example"]})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "mail_failed"
    # test that the reason is in plain words, with no setting name
    assert response.json["error"]["message"] == "Email isn't set up on this server."


@pytest.mark.parametrize(
    "to, status",
    [([], 422), (["not-an-address"], 422), (["a@b.example"] * 21, 422), ("senco@oak.example", 201)],
)
def test_recipients_are_checked(tmp_path, migrated_db, to, status):
    import shutil

    data = tmp_path / "d"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, MAIL_BACKEND="memory")
    parent = Parent(app, app.test_client()).create()
    meeting_id = minutes_scripted.load(app, parent.email)
    response = parent.api("POST", f"/meetings/{meeting_id}/minutes/send", {"to": to})
    assert response.status_code == status, response.json
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "url, scheme, host, port, user, password",
    [
        ("smtp://mail.example:2525", "smtp", "mail.example", 2525, None, None),
        ("smtps://u%40x:p%3Aw@mail.example", "smtps", "mail.example", 465, "u@x", "p:w"),
        ("smtp+starttls://u:p@mail.example", "smtp+starttls", "mail.example", 587, "u", "p"),
    ],
)
def test_smtp_url(url, scheme, host, port, user, password):
    backend = mail.SMTPBackend(url)
    assert (backend.scheme, backend.host, backend.port, backend.user, backend.password) == (
        scheme, host, port, user, password)


def test_smtp_url_must_be_smtp():
    with pytest.raises(mail.MailError):
        mail.SMTPBackend("http://mail.example")


def test_eml_parses_back_and_is_logged(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    response = parent.api("GET", f"/meetings/{meeting_id}/minutes.eml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "message/rfc822"
    assert response.headers["Content-Disposition"] == 'attachment; filename="minutes-Sam-J-2026-12-01.eml"'
    message = email.message_from_bytes(response.data, policy=policy.default)
    # test that To is the school side who attended and Cc the school side who did not
    assert message["To"] == "senco@oak.example, head@oak.example, rachel.green@northshire.example"
    assert message["Cc"] == "tom.patel@northshire.example"
    text, html, docx = parts(message)
    text = text.replace("\r\n", "\n")
    # test that it greets the To recipients by name, and the Word document is the minutes alone
    assert text.startswith("Dear Ms Priya Khan, Mr David Lee and Ms Rachel Green,\n")
    assert render.to_text(minutes["markdown"]) in text
    assert render.docx_lines(docx) == render.plain_lines(minutes["markdown"])
    log = parent.api("GET", f"/meetings/{meeting_id}/sent").json["sent"]
    assert log[0]["channel"] == "eml" and log[0]["sha256"] == mail.sha256(response.data)
    assert log[0]["message_id"] == message["Message-ID"]


def test_docx_download_opens_with_the_same_content(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    minutes = parent.api("GET", f"/meetings/{meeting_id}/minutes").json
    response = parent.api("GET", f"/meetings/{meeting_id}/minutes.docx")
    assert response.status_code == 200
    lines = render.docx_lines(response.data)
    assert lines == render.plain_lines(minutes["markdown"])
    assert lines[0] == "Notes of Sam J.'s EHCP annual review, Tuesday 1 December 2026 (parent's record)"
    from docx import Document

    doc = Document(io.BytesIO(response.data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "4.1 Daily 1:1 reading support" in headings


def test_calendar_parses_back(app, parent):
    meeting_id = minutes_scripted.load(app, parent.email)
    response = parent.api("GET", f"/meetings/{meeting_id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.data)
    events = {str(e["SUMMARY"]): e.decoded("DTSTART").isoformat() for e in cal.walk("VEVENT")}
    # test that the next review, each action's due date and the statutory steps are there
    assert events["Sam J.: next review"] == "2027-11-30"
    assert events["Sam J.: Request a SALT assessment (Ms Rachel Green (LA SEN officer / EHC co-ordinator))"] == \
        "2026-12-18"
    assert events["Sam J.: Send the updated provision map (Ms Priya Khan (SENCO / SENDCo))"] == "2026-12-11"
    report = [s for s in events if "Written review report" in s]
    assert report and events[report[0]] == "2026-12-15"
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(uids) == len(set(uids))


def self_signed(tmp_path):
    """A certificate for 127.0.0.1/localhost and its key, written as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_tls_and_login(tmp_path, scheme):
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"parent" and auth_data.password == b"s3cret")

    inbox = Inbox()
    port = free_port()
    # aiosmtpd does not see implicit TLS as TLS for its AUTH rule, so that rule is for STARTTLS only
    options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True} \
        if scheme == "smtp+starttls" else {"ssl_context": context, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, server_hostname="localhost", **options)
    controller.start()
    try:
        backend = mail.SMTPBackend(f"{scheme}://parent:s3cret@127.0.0.1:{port}", cafile=str(cert))
        msg = mail.build("Subject", "p@example.org", ["a@example.org"], [], "text\n", "<p>html</p>")
        backend.send("p@example.org", ["a@example.org"], mail.as_bytes(msg))
        assert len(inbox.messages) == 1 and logins == [(b"parent", b"s3cret")]
        # test that an unverified certificate is refused, and the reason carries no content
        with pytest.raises(mail.MailError) as caught:
            mail.SMTPBackend(f"{scheme}://parent:s3cret@127.0.0.1:{port}").send(
                "p@example.org", ["a@example.org"], mail.as_bytes(msg))
        assert "Subject" not in str(caught.value)
    finally:
        controller.stop()
