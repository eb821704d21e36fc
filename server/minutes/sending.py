"""Sending to the school: recipients and their checks, the message, SMTP or a hand-off, and the sent log.

The minutes, the follow-up letters and the agenda all go through here, so
they are built, sent and logged the same way:

- recipients: ``addresses`` checks what the parent chose, ``default_recipients``
  suggests the school side, ``with_copy`` adds the parent's own copy (Cc);
- the message: ``build_message`` (text + HTML from one Markdown body, a Word
  document attached) on top of :mod:`server.minutes.mail`;
- the ways it goes: ``send_email`` (SMTP, raises APIError), ``eml`` (an email
  file to send from the parent's own mail app, marked as a draft), ``mailto_url``
  and ``log_handoff`` (mail link, share, copy, print made on the device);
- the log: every send or hand-off is a SentRecord with the SHA-256 of exactly
  the bytes that went (``log``).

The views only read the request and answer it.
"""
import re
from urllib.parse import quote

from flask import current_app
from flask import render_template

from .. import prep
from ..db import db
from ..errors import APIError
from ..models import MinutesVersion
from ..models import SentRecord
from . import letters
from . import mail
from . import render

HANDOFF_CHANNELS = {"mailto", "share", "copy", "print"}
MAILTO_MAX = 6000
MAX_RECIPIENTS = 20
# the sent log in plain words: "Emailed the minutes", "Printed the minutes"
CHANNEL_PHRASES = {
    "smtp": "Emailed {what}", "eml": "Downloaded {what} as an email file", "mailto": "Opened {what} in your mail app",
    "share": "Shared {what}", "copy": "Copied {what} as text", "print": "Printed {what}",
}
KIND_LABELS = {"minutes": "the minutes", "letter": "a letter", "agenda": "the agenda"}
# the agenda's covering words: greeting and sign-off are the jurisdiction's (letters.json "cover")
AGENDA_INTRO = "Ahead of {child}'s {meeting} on {date}, here is what I would like us to cover."


# --- recipients ---


def addresses(values, field):
    """Return the addresses in values (a list, or one string split on commas, semicolons or spaces), checked.

    Raises APIError (422) naming field when there are more than MAX_RECIPIENTS or one does not look right.
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[,;\s]+", values) if v]
    if not isinstance(values, list) or len(values) > MAX_RECIPIENTS:
        raise APIError(422, "invalid", f"Give at most {MAX_RECIPIENTS} email addresses.",
                       {field: "Give a list of addresses."})
    out = []
    for v in values:
        if not isinstance(v, str) or not prep.valid_email(v.strip()):
            raise APIError(422, "invalid", "One of the addresses does not look right.", {field: "Check the addresses."})
        if v.strip() not in out:
            out.append(v.strip())
    return out


def default_recipients(meeting):
    """To: the school side who attended; Cc: the school side who did not."""
    school = letters.school_recipients(meeting)
    to = [a.email for a in school if a.attendance in ("present", "remote", "expected")]
    cc = [a.email for a in school if a.email not in to]
    return to, cc


def can_copy(user):
    """Whether a copy can go to the user's own address (a partner's guest account has none)."""
    return not user.guest and not user.email.endswith(".invalid")


def with_copy(to, cc, user, copy_me):
    """Return cc with the parent's own address added (once) when they asked for a copy.

    Cc rather than Bcc: the parent is the sender anyway, so nothing is hidden
    from the school, and the parent's copy shows exactly who it went to.
    """
    if copy_me and can_copy(user) and user.email not in to and user.email not in cc:
        return [*cc, user.email]
    return list(cc)


def copy_me_flag(value):
    """The API's copy_me: true when left out."""
    if value is None:
        return True
    if not isinstance(value, bool):
        raise APIError(422, "invalid", "'copy_me' is true or false.", {"copy_me": "true or false"})
    return value


# --- what goes ---


def filename(meeting, stem, ext):
    child = re.sub(r"[^A-Za-z0-9]+", "-", meeting.child.name).strip("-") or "child"
    day = prep.local_start(meeting).date().isoformat()
    return f"{stem}-{child}-{day}.{ext}"


def subject_of(markdown, meeting):
    """The minutes' subject: their first heading."""
    for kind, _, inline in render.blocks(markdown):
        if kind == "heading":
            return render.plain(inline)
    return f"Notes of {meeting.child.name}'s meeting (parent's record)"


def minutes_body(meeting, markdown, to, user):
    """The minutes as every message carries them: in the parent's covering note, greeting the To recipients."""
    return letters.covering_letter(meeting, markdown, to, user)


def build_message(meeting, user, subject, markdown, to, cc, attach_name, body=None, message_id=None):
    """Build the email: body (Markdown, default markdown) as its text and HTML, markdown as the Word document."""
    body = markdown if body is None else body
    docx = render.to_docx(markdown, title=subject)
    return mail.build(
        subject=subject, sender=user.email, sender_name=user.display_name, to=to, cc=cc,
        text=render.to_text(body), html=str(render.to_html(body)),
        attachments=[(filename(meeting, attach_name, "docx"), docx, mail.DOCX_MIME)], message_id=message_id,
    )


# --- the log ---


def log(meeting, channel, data, kind="minutes", version=None, recipients=(), subject=None, message_id=None):
    """Record one send or hand-off with the SHA-256 of data (the exact bytes); flushed, not committed."""
    row = SentRecord(
        meeting_id=meeting.id, minutes_version_id=version.id if version is not None else None, kind=kind,
        channel=channel, recipients=list(recipients), subject=(render.clean_text(subject)[:300] if subject else None),
        message_id=message_id, sha256=mail.sha256(data),
    )
    db.session.add(row)
    db.session.flush()
    return row


def sent_log(meeting):
    """Everything sent or handed off for the meeting, newest first."""
    return sorted(meeting.sent, key=lambda r: (r.sent_at, r.id), reverse=True)


def already_sent(meeting, message_id):
    """Whether a message with this Message-ID was already sent for the meeting (a second press of Send)."""
    return db.session.execute(db.select(SentRecord.id).where(
        SentRecord.meeting_id == meeting.id, SentRecord.message_id == message_id)).first() is not None


def version_number(row):
    if not row.minutes_version_id:
        return None
    v = db.session.get(MinutesVersion, row.minutes_version_id)
    return v.version if v else None


def sent_dict(row):
    return {
        "id": row.id, "kind": row.kind, "channel": row.channel, "recipients": row.recipients,
        "subject": row.subject, "message_id": row.message_id, "sha256": row.sha256,
        "sent_at": prep.iso(row.sent_at), "version": row.minutes_version_id and version_number(row),
    }


def describe(row):
    """The log line in plain words: what happened to what ("Emailed the minutes")."""
    what = KIND_LABELS.get(row.kind, row.kind)
    return CHANNEL_PHRASES.get(row.channel, "Sent {what} ({channel})").format(what=what, channel=row.channel)


# --- the ways it goes ---


def send_email(meeting, user, subject, markdown, to, cc, kind, version=None, attach_name="minutes", body=None,
               copy_me=False, message_id=None):
    """Send by SMTP and log it; raises APIError when it cannot be sent.

    body: the message's Markdown when it is not markdown itself (the minutes in
    their covering note); copy_me: Cc the parent's own address.
    """
    if not to:
        raise APIError(422, "invalid", "Choose at least one recipient.", {"to": "Choose at least one recipient."})
    cc = with_copy(to, cc, user, copy_me)
    msg = build_message(meeting, user, subject, markdown, to, cc, attach_name, body, message_id)
    try:
        data, message_id = mail.send(msg, user.email)
    except mail.MailError as e:
        current_app.logger.warning("sending %s for meeting %s failed: %s", kind, meeting.id, e)
        raise APIError(503 if not mail.configured() else 502, "mail_failed", str(e)) from None
    return log(meeting, "smtp", data, kind, version, to + cc, subject, message_id)


def eml(meeting, msg, kind, version=None):
    """Return the bytes of an email file to send from the parent's own mail app, logged as a hand-off.

    It carries ``X-Unsent: 1``, so mail apps (Outlook, Apple Mail) open it as
    a draft ready to send rather than as a received message.
    """
    if msg["X-Unsent"] is None:
        msg["X-Unsent"] = "1"
    data = mail.as_bytes(msg)
    log(meeting, "eml", data, kind, version, mail.recipients(msg), msg["Subject"], msg["Message-ID"])
    return data


def minutes_eml(meeting, user, row):
    """The minutes (version row) as an email file in the parent's covering note, to the school side; logged."""
    to, cc = default_recipients(meeting)
    subject = subject_of(row.markdown, meeting)
    # sent from the parent's own mail program, which keeps their copy: no Cc to themselves
    msg = build_message(meeting, user, subject, row.markdown, to, cc, "minutes",
                        minutes_body(meeting, row.markdown, to, user))
    return eml(meeting, msg, "minutes", row)


def mailto_url(to, cc, subject, text):
    if len(text) > MAILTO_MAX:
        # a mail link cannot carry an attachment, and very long links are cut by some mail apps
        text = text[:MAILTO_MAX].rsplit("\n", 1)[0] + (
            "\n\n[The minutes continue: paste the rest from 'Copy as text', or attach the Word document.]\n")
    query = f"subject={quote(subject)}&body={quote(text)}"
    if cc:
        query = f"cc={quote(','.join(cc))}&" + query
    return f"mailto:{quote(','.join(to), safe='@,')}?{query}"


def handoff_text(meeting, user, row):
    """The minutes as the send page hands them off: (text in the covering note, mail link)."""
    default_to, default_cc = default_recipients(meeting)
    subject = subject_of(row.markdown, meeting)
    text = render.to_text(minutes_body(meeting, row.markdown, default_to, user))
    return text, mailto_url(default_to, default_cc, subject, text)


def log_handoff(meeting, user, channel, row, recipients):
    """Log a hand-off of the minutes made on the device, with the hash of exactly what was handed off."""
    if not isinstance(channel, str) or channel not in HANDOFF_CHANNELS:
        raise APIError(422, "invalid", "Unknown channel.", {"channel": "mailto, share, copy or print"})
    to = addresses(recipients, "recipients")
    subject = subject_of(row.markdown, meeting)
    # the send page's text and mail link, exactly as it built them (the minutes in the covering note)
    text, link = handoff_text(meeting, user, row)
    if channel == "mailto":
        handed = link
        default_to, default_cc = default_recipients(meeting)
        to = to or default_to + default_cc
    elif channel == "print":
        handed = render.to_text(row.markdown)  # the print page is the minutes alone
    else:
        handed = text
    return log(meeting, channel, handed.encode(), "minutes", row, to, subject)


# --- the agenda, before the meeting ---


def agenda_subject(meeting):
    label = (meeting.title or "").strip() or letters.meeting_label(meeting)
    day = letters.long_date(prep.local_start(meeting).date(), meeting.child.jurisdiction)
    return render.clean_text(f"Agenda for {meeting.child.name}'s {letters.in_sentence(label)}, {day}")


def agenda_text(meeting):
    """The agenda as plain text (the prepare pages' own wording)."""
    return render_template("pages/agenda.txt", meeting=meeting)


def agenda_markdown(meeting):
    """The agenda alone as Markdown (the Word document attached): the prepare pages' text, line for line."""
    paragraphs = [p for p in re.split(r"\n\s*\n", agenda_text(meeting)) if p.strip()]
    return "\n\n".join(render.md_lines(p) for p in paragraphs) + "\n"


def agenda_body(meeting, agenda, to, user):
    """The agenda email as Markdown: the greeting, a line saying what it is, the agenda, the sign-off and signature."""
    wording = letters.letters_file(meeting.child.jurisdiction)["cover"]
    env = letters.environment()
    greeting = env.from_string(wording["greeting"]).render(
        names=letters.join_names(letters.greeting_names(meeting, to))).strip()
    intro = AGENDA_INTRO.format(
        child=render.clean_text(meeting.child.name),
        meeting=letters.in_sentence(letters.meeting_label(meeting)),
        date=letters.long_date(prep.local_start(meeting).date(), meeting.child.jurisdiction),
    )
    closing = env.from_string(wording["sign_off"]).render().strip()
    signed = render.md_lines(letters.signature(user))
    parts = [render.md_lines(greeting), render.md_lines(intro), agenda.strip(),
             f"{closing}  \n{signed}" if signed else closing]
    return "\n\n".join(p for p in parts if p) + "\n"


def agenda_message(meeting, user, to, cc, message_id=None):
    """The agenda email to the To recipients (the agenda attached as a Word document)."""
    agenda = agenda_markdown(meeting)
    return build_message(meeting, user, agenda_subject(meeting), agenda, to, cc, "agenda",
                         body=agenda_body(meeting, agenda, to, user), message_id=message_id)


def send_agenda(meeting, user, to, cc, copy_me=True, message_id=None):
    """Email the agenda (text + HTML, the agenda as a Word document attached); logged as kind "agenda"."""
    agenda = agenda_markdown(meeting)
    return send_email(meeting, user, agenda_subject(meeting), agenda, to, cc, "agenda", attach_name="agenda",
                      body=agenda_body(meeting, agenda, to, user), copy_me=copy_me, message_id=message_id)


def agenda_eml(meeting, user):
    """The agenda as an email file to the school side (a draft for the parent's mail app); logged."""
    to, cc = default_recipients(meeting)
    return eml(meeting, agenda_message(meeting, user, to, cc), "agenda")

