"""Minutes: review, draft, edit, send in writing, follow-up letters and the calendar.

One blueprint with no url_prefix: the JSON API routes (under /api/v1, the
same login rule as api.py: 401 in the one error shape) and the pages (review,
send, print, letters, emailing the agenda; signed-in parents only). Sending
itself (recipients, the message, SMTP or hand-off, the sent log) is
server/minutes/sending.py: the views read the request and answer it.
"""
import re
from pathlib import Path

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import g
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from .. import attribution
from .. import audio_store
from .. import openapi
from .. import prep
from .. import timeline
from .. import transcripts
from ..auth import login_required
from ..db import db
from ..errors import APIError
from ..minutes import calendar
from ..minutes import drafting
from ..minutes import letters
from ..minutes import mail
from ..minutes import pdf
from ..minutes import render
from ..minutes import sending
from ..minutes import suggestions
from ..models import Event
from .api import body

bp = Blueprint("minutes", __name__)
API = "/api/v1/meetings/<meeting_id>"
HANDOFF_CHANNELS = sending.HANDOFF_CHANNELS
MAILTO_MAX = sending.MAILTO_MAX
mailto_url = sending.mailto_url
# the confirmation page: how much of the email it shows, and how long its "Send now" stays good
PREVIEW_LINES = 12
CONFIRM_MAX_AGE = 60 * 60
KIND_LABELS = {
    "note": "Said", "agreed": "Agreed", "refused": "Refused", "action": "Action", "question": "Question",
    "quote": "Quote", "bookmark": "Bookmark", "target": "Target reviewed", "consent": "Consent",
    "agenda": "Agenda item", "speaker": "Speaking", "attendee": "Person joined",
}


@bp.before_request
def require_login():
    """API calls answer 401 in the one error shape; pages send people to the login page."""
    if g.user is not None:
        return None
    if request.path.startswith("/api/"):
        raise APIError(401, "unauthorized", "Sign in, or send an API token as 'Authorization: Bearer …'.")
    return login_required(lambda: None)()


def _meeting(meeting_id, owner_only=False):
    try:
        return prep.get_meeting(meeting_id, owner_only=owner_only)
    except NotFound:
        if request.path.startswith("/api/"):
            raise APIError(404, "not_found", "No such meeting.") from None
        raise


# --- shared helpers ---


def version_dict(row):
    return {
        "version": row.version, "source": row.source, "created_at": prep.iso(row.created_at),
    }


def minutes_dict(row, meeting):
    return {
        **version_dict(row),
        "markdown": row.markdown,
        "html": str(render.to_html(row.markdown)),
        "text": render.to_text(row.markdown),
        "versions": [version_dict(v) for v in reversed(meeting.minutes)],
    }


def current_minutes(meeting, version=None):
    """Return the asked-for version, or the latest; draft one first if there is none."""
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            raise APIError(422, "invalid", "'version' is a version number.", {"version": "a whole number"})
        row = drafting.get_version(meeting, version) if 0 < version < 2**31 else None
        if row is None:
            raise APIError(404, "not_found", "No such version of the minutes.")
        return row
    row = drafting.latest(meeting)
    if row is None:
        row = drafting.save(meeting, drafting.draft(meeting), "draft", g.user.id)
        db.session.commit()
    return row


def unchecked_count(meeting):
    """How many points in the minutes come from the recording and the parent has not checked yet."""
    # the review rework adds suggestions.open_count; until then, the suggestions still open
    count = getattr(suggestions, "open_count", None)
    return count(meeting) if count is not None else len(suggestions.find(meeting))


def _file_response(data, mime, name):
    response = make_response(data)
    response.headers["Content-Type"] = mime
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- API: suggestions ---


@bp.get(API + "/suggestions")
def list_suggestions(meeting_id):
    """Likely refusals, commitments, dates and amounts in the transcript that have no marker yet."""
    meeting = _meeting(meeting_id)
    return {"suggestions": suggestions.find(meeting)}


@bp.post(API + "/suggestions/<suggestion_id>/<decision>")
def decide_suggestion(meeting_id, suggestion_id, decision):
    """Accept a point from the recording (a marker on the timeline) or dismiss it.

    Accepting takes the parent's fixes, each optional: text (the words for
    the minutes), who (an attendee id, "" for nobody) and due (an ISO date,
    "" for no date); what is left out stays as the recording had it.
    """
    meeting = _meeting(meeting_id)
    if decision not in ("accept", "dismiss"):
        raise APIError(404, "not_found", "Accept or dismiss.")
    data = body() if request.content_length else {}
    text, who, due = data.get("text"), data.get("who"), data.get("due")
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise APIError(422, "invalid", "'text' must be text.", {"text": "Write what was said."})
    if who is not None and not isinstance(who, str):
        raise APIError(422, "invalid", "'who' is an attendee id, or \"\" for nobody.",
                       {"who": "Choose someone at the meeting."})
    if due is not None and not isinstance(due, str):
        raise APIError(422, "invalid", "'due' is a date like 2026-12-01, or \"\" for none.",
                       {"due": "Give a date like 2026-12-01."})
    event = suggestions.decide(meeting, suggestion_id, decision == "accept", text, who=who, due=due)
    db.session.commit()
    return {"event": event}


# --- API: minutes ---


@bp.get(API + "/minutes")
def get_minutes(meeting_id):
    """The minutes (latest version, or ?version=N): Markdown, sanitised HTML and plain text."""
    meeting = _meeting(meeting_id)
    version = request.args.get("version", type=int)
    return minutes_dict(current_minutes(meeting, version), meeting)


@bp.post(API + "/minutes")
def redraft(meeting_id):
    """Draft the minutes again from what was captured, keeping the parent's edits to other sections."""
    meeting = _meeting(meeting_id)
    data = body() if request.content_length else {}
    replace = data.get("replace") or []
    if not isinstance(replace, list) or len(replace) > 100 or not all(isinstance(k, str) for k in replace):
        raise APIError(422, "invalid", "'replace' lists section headings.", {"replace": "A list of headings."})
    dry_run = data.get("dry_run")
    if dry_run is None:
        dry_run = False
    elif not isinstance(dry_run, bool):
        raise APIError(422, "invalid", "'dry_run' is true or false.", {"dry_run": "true or false"})
    row, markdown, conflicts, replaced = drafting.regenerate(meeting, g.user.id, replace, dry_run)
    if dry_run:
        return {"markdown": markdown, "html": str(render.to_html(markdown)), "version": None,
                "conflicts": conflicts, "replaced": replaced}
    db.session.commit()
    return {**minutes_dict(row, meeting), "conflicts": conflicts, "replaced": replaced}


@bp.put(API + "/minutes")
def edit_minutes(meeting_id):
    """Save the parent's edit as a new version."""
    meeting = _meeting(meeting_id)
    data = body()
    markdown = data.get("markdown")
    if not isinstance(markdown, str) or not markdown.strip():
        raise APIError(422, "invalid", "Send the minutes as Markdown.", {"markdown": "This is needed."})
    if len(markdown) > 200_000:
        raise APIError(413, "too_large", "The minutes are too long.")
    current = drafting.latest(meeting)
    base = data.get("base_version")
    if base is not None and current is not None and base != current.version:
        raise APIError(409, "conflict", f"The minutes changed since version {base} (now {current.version}); "
                                        "reload them before saving.")
    if current is not None and current.markdown == markdown:
        return minutes_dict(current, meeting)
    row = drafting.save(meeting, markdown.replace("\r\n", "\n"), "edit", g.user.id)
    db.session.commit()
    return minutes_dict(row, meeting), 201


@bp.post(API + "/minutes/preview")
def preview(meeting_id):
    """Render Markdown to sanitised HTML (the live preview)."""
    _meeting(meeting_id)
    markdown = body().get("markdown")
    if not isinstance(markdown, str) or len(markdown) > 200_000:
        raise APIError(422, "invalid", "Send Markdown text.", {"markdown": "Send Markdown text."})
    return {"html": str(render.to_html(markdown))}


@bp.get(API + "/minutes.eml")
def minutes_eml(meeting_id):
    """The minutes as an email file (text + HTML + DOCX) to send from any mail program; logged."""
    meeting = _meeting(meeting_id)
    row = current_minutes(meeting, request.args.get("version", type=int))
    data = sending.minutes_eml(meeting, g.user, row)
    db.session.commit()
    return _file_response(data, "message/rfc822", sending.filename(meeting, "minutes", "eml"))


@bp.get(API + "/minutes.docx")
def minutes_docx(meeting_id):
    """The minutes as a Word document."""
    meeting = _meeting(meeting_id)
    row = current_minutes(meeting, request.args.get("version", type=int))
    data = render.to_docx(row.markdown, title=sending.subject_of(row.markdown, meeting))
    return _file_response(data, "/".join(mail.DOCX_MIME), sending.filename(meeting, "minutes", "docx"))


def _pdf_response(meeting, markdown, title, name):
    """The Markdown as a PDF download, or 503 in the one error shape where this server cannot make PDFs."""
    why = pdf.unavailable()
    if why:
        raise APIError(503, "pdf_unavailable", f"This server cannot make PDFs: {why} Use Print or save as PDF.")
    data = pdf.to_pdf(markdown, title, meeting.child.jurisdiction, author=g.user.display_name)
    return _file_response(data, pdf.MIME, sending.filename(meeting, name, "pdf"))


@bp.get(API + "/minutes.pdf")
def minutes_pdf(meeting_id):
    """The minutes as a print-quality PDF."""
    meeting = _meeting(meeting_id)
    row = current_minutes(meeting, request.args.get("version", type=int))
    return _pdf_response(meeting, row.markdown, sending.subject_of(row.markdown, meeting), "minutes")


@bp.post(API + "/minutes/send")
def send_minutes(meeting_id):
    """Email the minutes in the parent's covering note (text + HTML, the DOCX attached), Cc the parent; logged."""
    meeting = _meeting(meeting_id)
    data = body()
    row = current_minutes(meeting, data.get("version"))
    to, cc = sending.addresses(data.get("to"), "to"), sending.addresses(data.get("cc"), "cc")
    record = sending.send_email(
        meeting, g.user, sending.subject_of(row.markdown, meeting), row.markdown, to, cc, "minutes", row,
        body=sending.minutes_body(meeting, row.markdown, to, g.user), copy_me=sending.copy_me_flag(data.get("copy_me")))
    db.session.commit()
    return {"sent": sending.sent_dict(record)}, 201


@bp.get(API + "/sent")
def list_sent(meeting_id):
    """Everything sent or handed off for this meeting, newest first."""
    meeting = _meeting(meeting_id)
    return {"sent": [sending.sent_dict(r) for r in sending.sent_log(meeting)]}


@bp.post(API + "/sent")
def log_handoff(meeting_id):
    """Log a hand-off made on the device (mailto, share, copy, print) with the hash of the text handed off."""
    meeting = _meeting(meeting_id)
    data = body()
    channel = data.get("channel")
    if not isinstance(channel, str) or channel not in HANDOFF_CHANNELS:  # before the minutes may be drafted
        raise APIError(422, "invalid", "Unknown channel.", {"channel": "mailto, share, copy or print"})
    row = current_minutes(meeting, data.get("version"))
    record = sending.log_handoff(meeting, g.user, channel, row, data.get("recipients"))
    db.session.commit()
    return {"sent": sending.sent_dict(record)}, 201


# --- API: letters ---


@bp.get(API + "/letters")
def list_letters(meeting_id):
    """The follow-up letters for this meeting's jurisdiction, and whether each has something to say."""
    meeting = _meeting(meeting_id)
    return {"letters": [
        {"id": o["id"], "title": o["title"], "when": o["when"], "ready": o["ready"], "source": o["source"]}
        for o in letters.available(meeting)
    ]}


def _letter(meeting, letter_id, version=None):
    """(subject, markdown, saved version or None): the latest saved version of the letter, else a fresh draft."""
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise APIError(422, "invalid", "'version' is a version number.", {"version": "a whole number"})
    if letters.outline(meeting.child.jurisdiction, letter_id) is None:
        raise APIError(404, "not_found", "No such letter.")
    try:
        return letters.current(meeting, letter_id, g.user, version if version is None or 0 < version < 2**31 else -1)
    except LookupError:
        raise APIError(404, "not_found", "No such version of the letter.") from None


def letter_dict(meeting, letter_id, subject, markdown, row):
    to, cc = sending.default_recipients(meeting)
    return {"subject": subject, "markdown": markdown, "html": str(render.to_html(markdown)), "to": to, "cc": cc,
            "version": row.version if row else None,
            "versions": [version_dict(v) for v in letters.history(meeting, letter_id)]}


@bp.get(API + "/letters/<letter_id>")
def get_letter(meeting_id, letter_id):
    """A letter: the latest saved version (or ?version=N), else drafted from the refusals and proposals."""
    meeting = _meeting(meeting_id)
    return letter_dict(meeting, letter_id, *_letter(meeting, letter_id, request.args.get("version", type=int)))


@bp.put(API + "/letters/<letter_id>")
def save_letter(meeting_id, letter_id):
    """Save the parent's edit of a letter as a new version (201); the same words again are the current one (200)."""
    meeting = _meeting(meeting_id)
    data = body()
    subject, markdown, base = data.get("subject"), data.get("markdown"), data.get("base_version")
    if not isinstance(subject, str) or not subject.strip() or not isinstance(markdown, str) or not markdown.strip():
        raise APIError(422, "invalid", "Send the subject and the letter.", {"markdown": "This is needed."})
    if len(subject) > 300 or len(markdown) > 200_000:
        raise APIError(413, "too_large", "The letter is too long.")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
        raise APIError(422, "invalid", "'base_version' is a version number.", {"base_version": "a whole number"})
    _, _, current = _letter(meeting, letter_id)
    if current is not None and base is not None and base != current.version:
        raise APIError(409, "conflict", f"The letter changed since version {base} (now {current.version}); "
                                        "reload it before saving.")
    row, new = letters.save(meeting, letter_id, render.clean_text(subject), markdown, "edit", g.user.id)
    db.session.commit()
    return letter_dict(meeting, letter_id, row.subject, row.markdown, row), 201 if new else 200


@bp.get(API + "/letters/<letter_id>.pdf")
def letter_pdf(meeting_id, letter_id):
    """A letter as drafted, as a print-quality PDF (the letter page makes one of the parent's edited text)."""
    meeting = _meeting(meeting_id)
    subject, markdown, _ = _letter(meeting, letter_id, request.args.get("version", type=int))
    return _pdf_response(meeting, markdown, subject, letter_id.replace("_", "-"))


@bp.post(API + "/letters/<letter_id>/send")
def send_letter(meeting_id, letter_id):
    """Email a letter as the parent edited it (text + HTML + DOCX); logged."""
    meeting = _meeting(meeting_id)
    data = body()
    subject, markdown = data.get("subject"), data.get("markdown")
    if not isinstance(subject, str) or not subject.strip() or not isinstance(markdown, str) or not markdown.strip():
        raise APIError(422, "invalid", "Send the subject and the letter.", {"markdown": "This is needed."})
    to, cc = sending.addresses(data.get("to"), "to"), sending.addresses(data.get("cc"), "cc")
    _letter(meeting, letter_id)  # after the cheap checks: drafting it reads the whole meeting
    record = sending.send_email(meeting, g.user, subject, markdown, to, cc, "letter",
                                attach_name=letter_id.replace("_", "-"), copy_me=sending.copy_me_flag(data.get("copy_me")))
    letters.save(meeting, letter_id, render.clean_text(subject), markdown, "sent", g.user.id)  # what was sent is kept
    db.session.commit()
    return {"sent": sending.sent_dict(record)}, 201


# --- API: the agenda, before the meeting ---


@bp.post(API + "/agenda/send")
def send_agenda(meeting_id):
    """Email the agenda to the school (text + HTML, the agenda as a Word document), Cc the parent; logged."""
    meeting = _meeting(meeting_id, owner_only=True)
    data = body()
    to, cc = sending.addresses(data.get("to"), "to"), sending.addresses(data.get("cc"), "cc")
    record = sending.send_agenda(meeting, g.user, to, cc, copy_me=sending.copy_me_flag(data.get("copy_me")))
    db.session.commit()
    return {"sent": sending.sent_dict(record)}, 201


@bp.get(API + "/agenda.eml")
def agenda_eml(meeting_id):
    """The agenda as an email file to the school side, to send from the parent's own mail app; logged."""
    meeting = _meeting(meeting_id, owner_only=True)
    data = sending.agenda_eml(meeting, g.user)
    db.session.commit()
    return _file_response(data, "message/rfc822", sending.filename(meeting, "agenda", "eml"))


# --- API: calendar and audio ---


@bp.get(API + "/calendar.ics")
def calendar_ics(meeting_id):
    """The next review, the actions' due dates and the statutory deadlines as an iCalendar file."""
    meeting = _meeting(meeting_id)
    return _file_response(calendar.build(meeting), "text/calendar; charset=utf-8",
                          sending.filename(meeting, "dates", "ics"))


@bp.get(API + "/recordings/<recording_id>/audio")
def recording_audio(meeting_id, recording_id):
    """The recording's stored chunks joined in order as one file (range requests work, for seeking)."""
    meeting = _meeting(meeting_id)
    recording = audio_store.get_recording(meeting, recording_id)
    paths = audio_store.chunk_paths(recording)
    if not paths:
        raise APIError(404, "not_found", "No audio has arrived for this recording yet.")
    cache = Path(current_app.config["DATA_DIR"]) / "cache" / "audio" / meeting.id
    cache.mkdir(parents=True, exist_ok=True)
    joined = cache / f"{recording.id}-{len(paths)}-{paths[-1].stem}"
    if not joined.exists():
        audio_store.join_into(paths, joined)
    return send_file(joined, mimetype=audio_store.base_mime(recording.mime), conditional=True, max_age=0)


# --- pages ---


def review_data(meeting):
    """The review page's transcript lines and markers, from the one attribution."""
    cap = drafting.Capture(meeting)
    clock = drafting.Clock(meeting)
    items = {i.id: i.title for i in meeting.agenda}
    recordings = {r.id: r for r in meeting.recordings}

    def offset(recording_id, ms):
        if recording_id in recordings:
            return max(0, ms - (recordings[recording_id].at_ms or 0)) / 1000
        return None

    rows = {r["id"]: r for r in cap.rows}
    unsure = {i: {u["index"] for u in r["unsure"]} for i, r in rows.items()}
    segments = [
        {
            "id": s.id, "time": clock(s.start_ms), "start_ms": s.start_ms, "text": s.text,
            # as the transcript page names it, so the parent knows which voice to name
            "speaker": s.speaker or transcripts.shown_name(rows[s.id]),
            "how": s.how, "item": items.get(s.agenda_item_id),
            "recording_id": s.recording_id, "offset_s": offset(s.recording_id, s.start_ms),
            "words": [(w["text"], i in unsure.get(s.id, ())) for i, w in enumerate(s.words)],
        }
        for s in cap.segments
    ]
    markers = []
    for e in cap.events:
        if e.kind in ("speaker",):
            continue
        p = e.payload
        if e.kind == "action":
            who = cap.name(p.get("owner"))
        elif e.kind in drafting.MARKER_KINDS:
            who = cap.name(cap.event_speaker(e))
        else:
            who = cap.name(p.get("attendee_id"))
        detail = p.get("text") or ""
        if e.kind == "agenda":
            detail = items.get(p.get("agenda_item_id"), "")
        elif e.kind == "target":
            detail = f"{(cap.targets.get(p.get('target_id')).text if cap.targets.get(p.get('target_id')) else '')}: " \
                     f"{drafting.TARGET_STATUS.get(p.get('status'), p.get('status'))}"
        elif e.kind == "refused" and p.get("reason"):
            detail = f"{detail}. Reason given: {p['reason']}"
        marked = cap.marked(e) if e.kind in drafting.MARKER_KINDS else None
        markers.append({
            "id": e.id, "kind": e.kind, "label": KIND_LABELS.get(e.kind, e.kind), "time": clock(e.at_ms), "who": who,
            "detail": detail, "at_ms": e.at_ms, "from_suggestion": e.device_id == "server:suggestions",
            # the words it marks, and the controls to move it to the line before or after
            "quote": attribution.quote(marked, e.at_ms) if marked else None,
            "quote_time": clock(marked.start_ms) if marked else None,
            "movable": marked is not None,
            "person_field": "by" if e.kind == "refused" else None if e.kind == "action" else "attendee_id",
            "person_id": (p.get("by") if e.kind == "refused" else p.get("attendee_id")) or
                         (marked.speaker_id if marked else None),
            "recording_id": (marked.recording_id if marked else None) or (next(iter(recordings)) if recordings else None),
            "offset_s": offset(marked.recording_id, marked.start_ms) if marked else max(0, e.at_ms - 5000) / 1000,
        })
    return segments, markers


@bp.post("/meetings/<meeting_id>/review/markers/<event_id>")
def fix_marker(meeting_id, event_id):
    """Move a marker to the line before or after the one it marks, or say whose words they were."""
    meeting = _meeting(meeting_id)
    event = db.session.get(Event, event_id)
    if event is None or event.meeting_id != meeting.id or event.deleted or event.kind not in drafting.MARKER_KINDS:
        raise NotFound()
    cap = drafting.Capture(meeting)
    payload = dict(event.payload or {})
    action = request.form.get("action")
    if action in ("earlier", "later"):
        marked = cap.marked(event)
        index = cap.segments.index(marked) if marked in cap.segments else None
        step = -1 if action == "earlier" else 1
        if index is None or not 0 <= index + step < len(cap.segments):
            flash("There is no line " + ("before" if step < 0 else "after") + " that one.", "error")
            return redirect(url_for("minutes.review", meeting_id=meeting.id) + f"#marker-{event.id}")
        payload["utterance_ms"] = cap.segments[index + step].start_ms
    elif action == "person" and event.kind != "action":
        field = "by" if event.kind == "refused" else "attendee_id"
        chosen = request.form.get("attendee_id") or None
        if chosen is not None and chosen not in cap.attendees:
            flash("That person is not on this meeting's list.", "error")
            return redirect(url_for("minutes.review", meeting_id=meeting.id) + f"#marker-{event.id}")
        if chosen:
            payload[field] = chosen
        else:
            payload.pop(field, None)  # back to whoever said the words
    else:
        flash("Nothing to change.", "error")
        return redirect(url_for("minutes.review", meeting_id=meeting.id) + f"#marker-{event.id}")
    timeline.apply_batch(meeting, {"events": [{
        "id": event.id, "kind": event.kind, "at_ms": event.at_ms, "device_id": event.device_id,
        "wall_time": event.wall_time.isoformat() if event.wall_time else None, "payload": payload, "version": event.version + 1, "deleted": False,
    }]})
    db.session.commit()
    flash("Marker updated.", "info")
    return redirect(url_for("minutes.review", meeting_id=meeting.id) + f"#marker-{event.id}")


# the parts of an agenda item's section, by how the draft's lines start (templates/minutes/_point.md.j2)
CARD_GROUPS = (
    ("refused", "Refused", re.compile(r"^Refused\b")),
    ("agreed", "Agreed", re.compile(r"^Agreed\b")),
    ("actions", "Actions", re.compile(r"^Actions?\b")),
    ("differ", "Differences of opinion", re.compile(r"^Views differed\b")),
    ("said", "Said", re.compile(r"")),
)
_ITEM_START = re.compile(r"^(?:[-*] |\d+\. )")
_GROUP_WORD = re.compile(r"^(?:Refused|Agreed), ")
_EVIDENCE = re.compile(r"(\[\+?\d\d:\d\d:\d\d[^\]<]*\]|\(from the recording: check\))")


def _readable(markdown):
    """The sanitised HTML of some minutes text, with the evidence (times, "check") marked to be shown small."""
    return Markup(_EVIDENCE.sub(r'<span class="evidence">\1</span>', str(render.to_html(markdown))))


def minutes_cards(markdown):
    """The minutes as cards, one per section (drafting.sections, the parts a redraft merges by).

    Each card keeps its section's exact text (the page puts one edited section back among the others and
    saves the whole through the minutes API). An agenda item's points are grouped as Refused, Agreed,
    Actions, Said and Differences of opinion.
    """
    cards = []
    for number, (key, block) in enumerate(drafting.sections(markdown), start=1):
        first, _, rest = block.partition("\n")
        heading, body = (first, rest) if key else ("", block)
        groups = []
        # an agenda item with points (each carries its time); "Not recorded as discussed." needs no groups
        if first.startswith("### ") and _EVIDENCE.search(body):
            items = []
            for line in body.strip().splitlines():
                if _ITEM_START.match(line) or not items:
                    items.append(line)
                elif line.strip():
                    items[-1] += "\n" + line
            found = {}
            for item in items:
                start = _ITEM_START.match(item)
                text = item[start.end():] if start else item
                name = next(g for g, _, rule in CARD_GROUPS if rule.match(text))
                # under "Refused" a point need not say "Refused, " again (the text to edit still does)
                shown = _GROUP_WORD.sub("", text, count=1) if name in ("refused", "agreed") else text
                found.setdefault(name, []).append((start.group(0) if start else "") + shown)
            groups = [{"id": g, "label": label, "html": _readable("\n".join(found[g]))}
                      for g, label, _ in CARD_GROUPS if g in found]
        cards.append({
            "n": number, "title": key or "Introduction", "block": block, "heading": heading, "text": body.strip(),
            "groups": groups, "html": None if groups or not body.strip() else _readable(body),
        })
    return cards


def review_step(open_points, meeting):
    """Where the parent is after the meeting: 3 once the minutes went out, else 1 while points wait, else 2."""
    if any(r.kind == "minutes" for r in meeting.sent):
        return 3
    return 1 if open_points else 2


def _play_at(points, segments):
    """Give each point the recording and the moment to play it from (its transcript line's)."""
    lines = {s["id"]: s for s in segments}
    for p in points:
        line = lines.get(p.get("segment_id"))
        p["recording_id"] = line["recording_id"] if line else None
        p["offset_s"] = line["offset_s"] if line else None
    return points


@bp.get("/meetings/<meeting_id>/review")
def review(meeting_id):
    """After the meeting, one page in steps: 1 check what was captured (the points found, the transcript,
    the markers), 2 check the minutes (cards per section, edited in place; the whole text as an advanced
    option); step 3 is the send page. ?part=cards answers the minutes' cards alone (the page refreshes them
    after each save)."""
    meeting = _meeting(meeting_id)
    row = current_minutes(meeting)
    if request.args.get("part") == "cards":
        return render_template("minutes/review_cards.html", meeting=meeting, minutes=row,
                               cards=minutes_cards(row.markdown))
    segments, markers = review_data(meeting)
    found = _play_at(suggestions.find(meeting), segments)
    return render_template(
        "minutes/review.html", meeting=meeting, segments=segments, markers=markers,
        suggestions=found, minutes=row, html=render.to_html(row.markdown), cards=minutes_cards(row.markdown),
        recordings=meeting.recordings, sent=sorted(meeting.sent, key=lambda r: r.sent_at, reverse=True),
        letters=letters.available(meeting), step=review_step(len(found), meeting),
    )


@bp.route("/meetings/<meeting_id>/minutes/send", methods=("GET", "POST"))
def send_page(meeting_id):
    """Send the minutes: email (shown on a confirmation page first), .eml, mail app, share, copy, print, the log.

    Works without JavaScript: the first POST ("Send by email") only renders the
    confirmation; the email goes on the second, a POST with confirm=1 and the
    signed confirmation that page carries.
    """
    meeting = _meeting(meeting_id)
    row = current_minutes(meeting)
    subject = sending.subject_of(row.markdown, meeting)
    if request.method == "POST":
        if request.form.get("confirm") == "1":
            confirmed = _confirmed(meeting, request.form.get("confirmation"))
            if confirmed is not None and confirmed.get("version") == row.version:
                return _send_confirmed(meeting, row, subject, confirmed)
            # expired, altered, or the minutes were edited since: show the confirmation again, as it is now
            flash("Check the email once more: the minutes or this page changed since you looked.", "error")
        chosen_to = request.form.getlist("to")
        chosen_cc = [a for a in request.form.getlist("cc") if a not in chosen_to]
        copy_me = request.form.get("copy_me") == "1"
        try:
            to, cc = sending.addresses(chosen_to, "to"), sending.addresses(chosen_cc, "cc")
            if not to:
                raise APIError(422, "invalid", "Choose at least one recipient (To).")
        except APIError as e:
            flash(e.message, "error")
            return redirect(url_for("minutes.send_page", meeting_id=meeting.id, change=1, to=chosen_to, cc=chosen_cc,
                                    copy_me=int(copy_me)))
        return _confirm_page(meeting, row, subject, to, cc, copy_me)
    to, cc = sending.default_recipients(meeting)
    copy_me = True
    if request.args.get("change"):
        # back from the confirmation (or an error) with the parent's own choices
        to, cc = request.args.getlist("to"), request.args.getlist("cc")
        copy_me = request.args.get("copy_me") == "1"
    # the text to copy or share and the mail link greet the school side who attended, as the .eml does
    text, mailto = sending.handoff_text(meeting, g.user, row)
    return render_template(
        "minutes/send.html", meeting=meeting, minutes=row, to=to, cc=cc, subject=subject, text=text,
        people=[a for a in meeting.attendees if a.email], smtp=mail.configured(), mailto=mailto, copy_me=copy_me,
        can_copy=sending.can_copy(g.user), sent=sending.sent_log(meeting),
    )


def _confirmations():
    return URLSafeTimedSerializer(current_app.secret_key, salt="minuted.minutes-send-confirmation")


def _confirmed(meeting, token):
    """Return what the confirmation page showed (signed by this server), or None if it is not good any more."""
    if not token:
        return None
    try:
        data = _confirmations().loads(token, max_age=CONFIRM_MAX_AGE)
    except BadData:  # forged, altered or expired
        return None
    if not isinstance(data, dict) or data.get("meeting") != meeting.id or data.get("user") != g.user.id:
        return None
    return data


def _confirm_page(meeting, row, subject, to, cc, copy_me):
    """Show exactly what "Send now" will send: recipients, subject, the start of the email, unchecked points."""
    shown_cc = sending.with_copy(to, cc, g.user, copy_me)
    lines = render.to_text(sending.minutes_body(meeting, row.markdown, to, g.user)).splitlines()
    confirmation = _confirmations().dumps({
        "meeting": meeting.id, "user": g.user.id, "version": row.version, "to": to, "cc": cc, "copy_me": copy_me,
        # chosen now, so pressing "Send now" twice is recognised as the same email
        "message_id": mail.new_message_id(g.user.email),
    })
    named = {a.email: a.name for a in meeting.attendees if a.email}
    return render_template(
        "minutes/send_confirm.html", meeting=meeting, minutes=row, subject=subject, to=to, cc=cc, copy_me=copy_me,
        shown_to=[(named.get(a), a) for a in to], shown_cc=[(named.get(a), a) for a in shown_cc],
        own=g.user.email, opening=lines[:PREVIEW_LINES], more=max(0, len(lines) - PREVIEW_LINES),
        unchecked=unchecked_count(meeting), attachment=sending.filename(meeting, "minutes", "docx"),
        confirmation=confirmation,
    )


def _send_confirmed(meeting, row, subject, confirmed):
    """Send what the parent confirmed, once; back to the send page with what happened."""
    back = redirect(url_for("minutes.send_page", meeting_id=meeting.id))
    if sending.already_sent(meeting, confirmed["message_id"]):
        flash("That email was already sent: it is in the list below.")
        return back
    to, cc = confirmed["to"], confirmed["cc"]
    try:
        record = sending.send_email(meeting, g.user, subject, row.markdown, to, cc, "minutes", row,
                                    body=sending.minutes_body(meeting, row.markdown, to, g.user),
                                    copy_me=confirmed["copy_me"], message_id=confirmed["message_id"])
        db.session.commit()
        flash(f"Sent to {', '.join(record.recipients)}. A record of exactly what was sent is kept below.")
    except APIError as e:
        db.session.rollback()
        flash(e.message, "error")
    return back


@bp.route("/meetings/<meeting_id>/agenda/send", methods=("GET", "POST"))
def agenda_send_page(meeting_id):
    """Email the agenda to the school before the meeting: choose who gets it, see the email, send; the log.

    The page carries a signed Message-ID chosen when it was shown, so pressing
    Send twice sends one email.
    """
    meeting = _meeting(meeting_id, owner_only=True)
    to, cc = sending.default_recipients(meeting)
    copy_me = True
    if request.method == "POST":
        chosen_to = request.form.getlist("to")
        chosen_cc = [a for a in request.form.getlist("cc") if a not in chosen_to]
        copy_me = request.form.get("copy_me") == "1"
        confirmed = _confirmed(meeting, request.form.get("confirmation"))
        back = redirect(url_for("minutes.agenda_send_page", meeting_id=meeting.id))
        if confirmed is None or confirmed.get("kind") != "agenda":
            flash("This page was open too long: check the agenda and send it again.", "error")
        elif sending.already_sent(meeting, confirmed["message_id"]):
            flash("That email was already sent: it is in the list below.")
            return back
        else:
            try:
                to_checked, cc_checked = sending.addresses(chosen_to, "to"), sending.addresses(chosen_cc, "cc")
                if not to_checked:
                    raise APIError(422, "invalid", "Choose at least one recipient (To).")
                record = sending.send_agenda(meeting, g.user, to_checked, cc_checked, copy_me=copy_me,
                                             message_id=confirmed["message_id"])
                db.session.commit()
                flash(f"Agenda sent to {', '.join(record.recipients)}. A record of exactly what was sent is kept "
                      "below.")
                return back
            except APIError as e:
                db.session.rollback()
                flash(e.message, "error")
        to, cc = chosen_to, chosen_cc
    agenda = sending.agenda_markdown(meeting)
    text = render.to_text(sending.agenda_body(meeting, agenda, to, g.user))
    confirmation = _confirmations().dumps({"meeting": meeting.id, "user": g.user.id, "kind": "agenda",
                                           "message_id": mail.new_message_id(g.user.email)})
    return render_template(
        "minutes/agenda_send.html", meeting=meeting, to=to, cc=cc, copy_me=copy_me,
        can_copy=sending.can_copy(g.user), people=[a for a in meeting.attendees if a.email],
        subject=sending.agenda_subject(meeting), text=text, smtp=mail.configured(), confirmation=confirmation,
        attachment=sending.filename(meeting, "agenda", "docx"),
        sent=[r for r in sending.sent_log(meeting) if r.kind == "agenda"],
    )


@bp.get("/meetings/<meeting_id>/minutes/print")
def print_minutes(meeting_id):
    """The minutes as a printable page (print to paper or PDF from the browser)."""
    meeting = _meeting(meeting_id)
    row = current_minutes(meeting, request.args.get("version", type=int))
    return render_template("minutes/print.html", meeting=meeting, minutes=row, html=render.to_html(row.markdown))


@bp.route("/meetings/<meeting_id>/letters/<letter_id>", methods=("GET", "POST"))
def letter_page(meeting_id, letter_id):
    """Edit and send a follow-up letter."""
    meeting = _meeting(meeting_id)
    o = letters.outline(meeting.child.jurisdiction, letter_id)
    if o is None:
        raise NotFound("No such letter.")
    fresh = request.args.get("fresh") == "1"  # "start again from a fresh draft"
    if fresh:
        (subject, markdown), row = letters.draft(meeting, letter_id, g.user), None
    else:
        subject, markdown, row = letters.current(meeting, letter_id, g.user)
    to, cc = sending.default_recipients(meeting)
    copy_me = True
    if request.method == "POST":
        subject = request.form.get("subject", subject)
        markdown = request.form.get("markdown", markdown)
        chosen_to = request.form.getlist("to")
        chosen_cc = [a for a in request.form.getlist("cc") if a not in chosen_to]
        copy_me = request.form.get("copy_me") == "1"
        attach_name = letter_id.replace("_", "-")
        if request.form.get("action") == "save":  # no recipients needed to keep the words
            if not subject.strip() or not markdown.strip():
                flash("The letter needs a subject and some words before it can be saved.", "error")
            elif len(subject) > 300 or len(markdown) > 200_000:
                flash("The letter is too long to save.", "error")
            else:
                row, new = letters.save(meeting, letter_id, render.clean_text(subject), markdown, "edit", g.user.id)
                db.session.commit()
                flash(f"Saved as version {row.version}." if new else "No changes since the last saved version.")
                return redirect(url_for("minutes.letter_page", meeting_id=meeting.id, letter_id=letter_id))
        if request.form.get("action") == "pdf":  # the parent's own words on paper: no recipients needed
            try:
                return _pdf_response(meeting, markdown, subject, attach_name)
            except APIError as e:
                flash(e.message, "error")
                return redirect(url_for("minutes.letter_page", meeting_id=meeting.id, letter_id=letter_id))
        try:
            to_checked, cc_checked = sending.addresses(chosen_to, "to"), sending.addresses(chosen_cc, "cc")
            if request.form.get("action") == "eml":
                data = sending.eml(meeting, sending.build_message(
                    meeting, g.user, subject, markdown, to_checked, cc_checked, attach_name), "letter")
                db.session.commit()
                return _file_response(data, "message/rfc822", sending.filename(meeting, attach_name, "eml"))
            record = sending.send_email(meeting, g.user, subject, markdown, to_checked, cc_checked, "letter",
                                        attach_name=attach_name, copy_me=copy_me)
            letters.save(meeting, letter_id, render.clean_text(subject), markdown, "sent", g.user.id)
            db.session.commit()
            flash(f"Letter sent to {', '.join(record.recipients)}.")
            return redirect(url_for("minutes.send_page", meeting_id=meeting.id))
        except APIError as e:
            db.session.rollback()
            flash(e.message, "error")
        to, cc = chosen_to, chosen_cc
    return render_template(
        "minutes/letter.html", meeting=meeting, outline=o, subject=subject, markdown=markdown,
        html=render.to_html(markdown), to=to, cc=cc, people=[a for a in meeting.attendees if a.email],
        smtp=mail.configured(), copy_me=copy_me, can_copy=sending.can_copy(g.user), version=row, fresh=fresh,
        versions=letters.history(meeting, letter_id),
    )


@bp.app_context_processor
def minutes_helpers():
    from zoneinfo import ZoneInfo

    return {"tz": ZoneInfo, "describe_sent": sending.describe, "pdf_ok": pdf.unavailable() is None}


@bp.get("/help/email")
def email_help():
    """How to set up email on this server (for whoever runs Minuted; the README's Configuration says the same)."""
    return render_template("minutes/email_help.html")


# --- the OpenAPI description of the API routes above ---

S = {"type": "string"}
NS = {"type": ["string", "null"]}
INT = {"type": "integer"}
_obj = openapi._obj
ref = openapi.ref
op = openapi.op
WRITE = openapi.WRITE_ERRORS
M = "/meetings/{meeting_id}"
_binary = lambda mime: {"content": {mime: {"schema": {"type": "string", "format": "binary"}}}}  # noqa: E731


def _download(summary, mime, errors=("401", "404")):
    operation = op(summary, errors=errors)
    operation["responses"]["200"] = {"description": "OK", **_binary(mime)}
    return operation


def _pdf_download(summary):
    """A PDF download: 503 where this server has no Pango to make one with."""
    return _download(summary + "; 503 where this server cannot make PDFs", pdf.MIME, errors=("401", "404", "503"))


openapi.extend(
    paths={
        M + "/suggestions": {"get": op("Likely refusals, commitments, dates and amounts the parent did not mark",
                                       ok=_obj(["suggestions"], suggestions={"type": "array",
                                                                             "items": ref("Suggestion")}))},
        M + "/suggestions/{suggestion_id}/{decision}": {
            "post": op("Accept a suggestion (it becomes a marker on the timeline) or dismiss it; decision is "
                       "accept or dismiss; accepting takes the parent's fixes: text, who (an attendee id, \"\" "
                       "for nobody) and due (an ISO date, \"\" for none)", body=_obj([], text=S, who=NS, due=NS),
                       ok=_obj(["event"], event=ref("Event")), errors=WRITE)},
        M + "/minutes": {
            "get": op("The minutes: latest version or ?version=N", ok=ref("Minutes")),
            "post": op("Draft again from what was captured; the parent's edits to other sections are kept and "
                       "sections both changed are listed in conflicts (named in replace to take the new draft)",
                       body=_obj([], replace={"type": "array", "items": S}, dry_run={"type": "boolean"}),
                       ok=ref("Minutes"), errors=WRITE),
            "put": op("Save the parent's edit as a new version (201); the same text again is the current one (200)",
                      body=_obj(["markdown"], markdown=S, base_version=INT),
                      ok=ref("Minutes"), status="201", also=("200",), errors=WRITE + ("409", "413")),
        },
        M + "/minutes/preview": {"post": op("Markdown to sanitised HTML", body=_obj(["markdown"], markdown=S),
                                            ok=_obj(["html"], html=S), errors=WRITE)},
        M + "/minutes.eml": {"get": _download("The minutes as an email file in the parent's covering note, to the "
                                              "school side who attended (logged as a hand-off)", "message/rfc822")},
        M + "/minutes.docx": {"get": _download("The minutes as a Word document", "/".join(mail.DOCX_MIME))},
        M + "/minutes.pdf": {"get": _pdf_download("The minutes as a print-quality PDF (A4 in England, US Letter in "
                                                  "the US)")},
        M + "/minutes/send": {"post": op("Email the minutes through the configured SMTP server (logged): the text "
                                         "and HTML parts are the minutes in the parent's covering note (greeting, "
                                         "sign-off, signature), the Word document the minutes alone; copy_me "
                                         "(default true) adds the parent's own address as Cc",
                                         body=_obj(["to"], to={"type": "array", "items": S},
                                                   cc={"type": "array", "items": S}, version=INT,
                                                   copy_me={"type": "boolean"}),
                                         ok=_obj(["sent"], sent=ref("Sent")), status="201",
                                         errors=WRITE + ("502", "503"))},
        M + "/sent": {
            "get": op("Everything sent or handed off", ok=_obj(["sent"], sent={"type": "array", "items": ref("Sent")})),
            "post": op("Log a hand-off made on the device", body=_obj(
                ["channel"], channel={"enum": sorted(HANDOFF_CHANNELS)}, version=INT,
                recipients={"type": "array", "items": S}), ok=_obj(["sent"], sent=ref("Sent")), status="201",
                errors=WRITE),
        },
        M + "/letters": {"get": op("Follow-up letters for this meeting", ok=_obj(["letters"], letters={
            "type": "array", "items": _obj(["id", "title", "ready"], id=S, title=S, when=S, source=S,
                                           ready={"type": "boolean"})}))},
        M + "/letters/{letter_id}": {
            "get": op("A letter: the latest saved version (?version=N for another), else drafted from the refusals "
                      "and proposals (version null)", ok=ref("Letter")),
            "put": op("Save the parent's edit of a letter as a new version (201); the same words again are the "
                      "current one (200); 409 when base_version is not the latest",
                      body=_obj(["subject", "markdown"], subject=S, markdown=S, base_version=INT),
                      ok=ref("Letter"), status="201", also=("200",), errors=WRITE + ("409", "413")),
        },
        M + "/letters/{letter_id}.pdf": {"get": _pdf_download("A letter as drafted, as a print-quality PDF")},
        M + "/letters/{letter_id}/send": {"post": op(
            "Email a letter as edited (logged); copy_me (default true) adds the parent's own address as Cc",
            body=_obj(["subject", "markdown", "to"], subject=S, markdown=S, to={"type": "array", "items": S},
                      cc={"type": "array", "items": S}, copy_me={"type": "boolean"}),
            ok=_obj(["sent"], sent=ref("Sent")), status="201", errors=WRITE + ("502", "503"))},
        M + "/agenda/send": {"post": op(
            "Email the agenda to the school before the meeting (logged, kind agenda): the parent's greeting, the "
            "agenda and sign-off as text and HTML, the agenda alone as a Word document; copy_me (default true) adds "
            "the parent's own address as Cc; the parent only",
            body=_obj(["to"], to={"type": "array", "items": S}, cc={"type": "array", "items": S},
                      copy_me={"type": "boolean"}),
            ok=_obj(["sent"], sent=ref("Sent")), status="201", errors=WRITE + ("502", "503"))},
        M + "/agenda.eml": {"get": _download("The agenda as an email file to the school side, marked as a draft "
                                             "(X-Unsent) for the parent's mail app (logged); the parent only",
                                             "message/rfc822")},
        M + "/calendar.ics": {"get": _download("Next review, actions due and statutory deadlines, each with a "
                                               "reminder two days before", "text/calendar")},
        M + "/recordings/{recording_id}/audio": {"get": _download("The recording's chunks joined as one file",
                                                                  "audio/*")},
    },
    schemas={
        "Suggestion": _obj(
            ["id", "kind", "text", "start_ms", "end_ms", "speaker"],
            id=S, kind={"enum": ["refusal", "commitment", "date", "amount"]}, text=S, start_ms=INT, end_ms=INT,
            time={"type": "string", "description": "time of day in the meeting's zone (or +HH:MM:SS)"}, speaker=NS, marker={"enum": ["refused", "action", "note"]}, attendee_id=NS, agenda_item_id=NS,
            segment_id=INT, title=S, state={"enum": ["open", "accepted", "dismissed"]}, event_id=S,
            matches={"type": "array", "items": {"type": "object"}},
        ),
        "Minutes": _obj(
            ["markdown", "html", "version"], markdown=S, html=S, text=S, version={"type": ["integer", "null"]},
            source=S, created_at=S, conflicts={"type": "array", "items": S}, replaced={"type": "array", "items": S},
            versions={"type": "array", "items": _obj(["version", "source"], version=INT, source=S, created_at=S)},
        ),
        "Letter": _obj(
            ["subject", "markdown", "html", "version", "versions"], subject=S, markdown=S, html=S,
            to={"type": "array", "items": S}, cc={"type": "array", "items": S}, version={"type": ["integer", "null"]},
            versions={"type": "array", "items": _obj(["version", "source"], version=INT,
                                                     source={"enum": ["edit", "sent"]}, created_at=S)},
        ),
        "Sent": _obj(
            ["id", "channel", "recipients", "sha256", "sent_at"], id=INT, kind=S,
            channel={"enum": ["smtp", "eml", "mailto", "share", "print", "copy"]},
            recipients={"type": "array", "items": S}, subject=NS, message_id=NS, sha256=S, sent_at=S,
            version={"type": ["integer", "null"]},
        ),
    },
)
