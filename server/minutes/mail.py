"""Email: build the text+HTML message (with attachments) and send it through a backend seam.

Backends: ``smtp`` from ``SMTP_URL`` (``MINUTED_SMTP_URL``) –
``smtp://`` (plain), ``smtp+starttls://`` (STARTTLS) or ``smtps://`` (TLS from
the start), with ``user:password@host:port``; ``SMTP_CA_FILE`` trusts a private
CA – and ``memory``, which keeps the
messages in ``app.extensions["minuted_mail_outbox"]`` for tests. Message
content is never logged.
"""
import hashlib
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formataddr
from email.utils import formatdate
from email.utils import make_msgid
from urllib.parse import unquote
from urllib.parse import urlsplit

from flask import current_app

from .render import clean_text

DOCX_MIME = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


class MailError(Exception):
    """Sending failed; the message says why in plain words (no content)."""


def new_message_id(sender):
    """Return a fresh Message-ID in the sender's domain."""
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "minuted.invalid"
    return make_msgid(domain=domain)


def build(subject, sender, to, cc, text, html, attachments=(), sender_name=None, message_id=None):
    """Return an EmailMessage: multipart/alternative (text, HTML) plus attachments [(filename, bytes, mime)].

    message_id: one chosen before (the send page's confirmation carries it, so a
    second press of the button is seen as the same message); a fresh one if None.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = clean_text(subject)[:250]
    # clean_text keeps the name on one line: a CR/LF in it cannot start a header of its own
    name = clean_text(sender_name or "")
    msg["From"] = formataddr((name, sender)) if name else sender
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or new_message_id(sender)
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{_esc(subject)}</title></head>'
        f'<body style="font-family: Arial, sans-serif; line-height: 1.45;">{html}</body></html>',
        subtype="html", charset="utf-8",
    )
    for filename, data, mime in attachments:
        maintype, subtype = mime
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def _esc(text):
    from markupsafe import escape

    return str(escape(clean_text(text)))


def as_bytes(msg):
    """The exact bytes that are sent or downloaded (CRLF line ends)."""
    return msg.as_bytes(policy=policy.SMTP)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def recipients(msg):
    from email.utils import getaddresses

    return [addr for _, addr in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", [])) if addr]


class MemoryBackend:
    """Keeps sent messages (as bytes) in a list; for tests."""

    def __init__(self, app):
        self.outbox = app.extensions.setdefault("minuted_mail_outbox", [])

    def send(self, envelope_from, to, data):
        self.outbox.append({"from": envelope_from, "to": list(to), "data": data})


class SMTPBackend:
    """Sends through an SMTP server named by a URL."""

    def __init__(self, url, timeout=30, cafile=None):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise MailError("Email isn't set up correctly on this server (the mail server's address is not one it can use).")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.cafile = cafile

    def send(self, envelope_from, to, data):
        # certificates are always verified; SMTP_CA_FILE trusts a private CA (a self-hosted mail server)
        context = ssl.create_default_context(cafile=self.cafile)
        try:
            if self.scheme == "smtps":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.scheme == "smtp+starttls":
                    client.starttls(context=context)
                if self.user:
                    client.login(self.user, self.password or "")
                client.sendmail(envelope_from, list(to), data)
        except (smtplib.SMTPException, OSError) as e:
            # the reason, never the content
            raise MailError(f"The mail server did not accept the message ({type(e).__name__}).") from None


def backend():
    """Return the configured backend, or None when email cannot be sent from here."""
    app = current_app._get_current_object()
    name = app.config.get("MAIL_BACKEND")
    url = app.config.get("SMTP_URL")
    if name == "memory":
        return MemoryBackend(app)
    if url:
        return SMTPBackend(url, cafile=app.config.get("SMTP_CA_FILE"))
    return None


def configured():
    return backend() is not None


def send(msg, envelope_from):
    """Send a message; return (bytes sent, message id). Raises MailError."""
    chosen = backend()
    if chosen is None:
        raise MailError("Email isn't set up on this server.")
    data = as_bytes(msg)
    to = recipients(msg)
    if not to:
        raise MailError("Choose at least one recipient.")
    chosen.send(envelope_from, to, data)
    return data, msg["Message-ID"]
