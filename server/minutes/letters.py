"""Follow-up letters drafted from the refusals and proposals, from outlines in a data file.

``server/data/<jurisdiction>/letters.json`` holds each letter's outline (what
it must contain, its source) and its wording as small Jinja2 templates in the
parent's voice. The draft is Markdown that the parent edits before sending;
it is sent like the minutes (email, .eml, mailto, copy, print).

The same file holds the covering note that goes around the minutes whenever
they are sent as a message (``cover``): see ``covering_letter``.
"""
import datetime
from zoneinfo import ZoneInfo

from .. import deadlines
from .. import rules
from ..db import db
from ..models import LetterVersion
from .drafting import Capture
from .drafting import Clock
from .drafting import context as minutes_context
from .drafting import environment
from .drafting import tidy
from .render import clean_text
from .render import md_lines
from .render import md_unescape

REPLY_WORKING_DAYS = 10
# "Dear A, B, C and D" at most; more than that reads better as "Dear all"
MAX_GREETED = 4
DATE_FORMATS = {"england": "%A %-d %B %Y", "us": "%A, %B %-d, %Y"}


def letters_file(jurisdiction):
    return rules.load(f"{rules._check(jurisdiction)}/letters.json")


def outlines(jurisdiction):
    return letters_file(jurisdiction)["letters"]


def outline(jurisdiction, letter_id):
    return next((o for o in outlines(jurisdiction) if o["id"] == letter_id), None)


def school_recipients(meeting):
    """Attendees with an email address who are not the family's side (the roles file's "Family" group: parents,
    the young person, supporters, advocates, solicitors, interpreters, the parent's own professionals)."""
    return [a for a in meeting.attendees if a.email and not rules.on_family_side(meeting.child.jurisdiction, a.role)]


def long_date(day, jurisdiction):
    """Return a date as a letter writes it: "Tuesday 1 December 2026" (England), "Tuesday, December 1, 2026" (US)."""
    return day.strftime(DATE_FORMATS.get(jurisdiction, DATE_FORMATS["england"]))


def signature(user):
    """Return how the parent signs off (plain text, maybe several lines): their signature, else their name, else ""."""
    if user is None:
        return ""
    return (user.signature or "").strip() or clean_text(user.display_name or "")


def greeting_names(meeting, to):
    """Return the names to greet: each To address as the meeting's people list names it.

    Empty (so the note says "Dear all") when an address has no name there, or
    when there are more than MAX_GREETED people.
    """
    names = {}
    for a in meeting.attendees:
        if a.email and clean_text(a.name or ""):
            names.setdefault(a.email.strip().lower(), clean_text(a.name))
    out = []
    for address in to:
        name = names.get(address.strip().lower())
        if name is None:
            return []
        if name not in out:
            out.append(name)
    return out if len(out) <= MAX_GREETED else []


def _and(names):
    """"A", "A and B", "A, B and C"."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _in_sentence(label):
    # "Interim or early review" → "interim or early review"; "EHCP annual review", "IEP …" keep their capitals
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


in_sentence = _in_sentence
join_names = _and


def meeting_label(meeting):
    """The meeting's type as the data names it ("EHCP annual review")."""
    return (rules.meeting_type(meeting.kind) or {}).get("label", meeting.kind)


def covering_letter(meeting, markdown, to=(), user=None):
    """Wrap the minutes in the parent's covering note; return Markdown.

    "Dear <the To recipients' names, or all>," then a line saying what this is
    and that it is attached as a Word document, then the minutes, then the
    sign-off ("Kind regards," / "Sincerely,") and the parent's signature (or
    display name, or nothing). The wording is the jurisdiction's
    ``letters.json`` ``cover``. Every channel that sends the minutes as a
    message (email, .eml, mail link, copy, share) uses this, so they all say
    the same; the Word document stays the minutes alone.

    Args:
        meeting: the Meeting.
        markdown: the minutes (Markdown), as they will be attached.
        to: the To addresses (the greeting names the people these belong to).
        user: the parent sending it (their signature); None for no signature.
    """
    j = meeting.child.jurisdiction
    wording = letters_file(j)["cover"]
    env = environment()
    day = (meeting.started_at or meeting.starts_at).astimezone(ZoneInfo(meeting.timezone)).date()
    label = (rules.meeting_type(meeting.kind) or {}).get("label", meeting.kind)
    ctx = {
        "names": _and(greeting_names(meeting, to)),
        "child": {"name": clean_text(meeting.child.name)},
        "meeting": {"type": _in_sentence(label), "date": long_date(day, j)},
    }
    signed = md_lines(signature(user))
    closing = env.from_string(wording["sign_off"]).render(**ctx).strip()
    parts = [
        env.from_string(wording["greeting"]).render(**ctx).strip(),
        env.from_string(wording["intro"]).render(**ctx).strip(),
        (markdown or "").strip(),
        # a hard line break: the signature sits right under the sign-off
        f"{closing}  \n{signed}" if signed else closing,
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _school_refused(cap, event):
    """Whether a refusal marker is the school's (or the council's, or a service's), not the family's own no."""
    return not cap.on_family_side(cap.event_speaker(event))


def context(meeting, user=None, today=None):
    base = minutes_context(meeting, today=today)
    cap = Capture(meeting)
    clock = Clock(meeting)
    refusals, proposals = [], []
    for event in cap.events:
        if event.kind == "refused":
            p = event.payload
            if not _school_refused(cap, event):
                continue  # the family's own no ("I'm not agreeing to a reduced timetable") is no refusal to explain
            refusals.append({
                "text": p.get("text") or "", "reason": p.get("reason") or "",
                "by": cap.name(p.get("by")) or cap.name(cap.event_speaker(event)),
                "time": clock(event.at_ms), "evidence": cap.evidence_for(event).tag(clock),
            })
        elif event.kind in ("agreed", "action"):
            proposals.append({
                "text": event.payload.get("text") or "", "who": cap.name(cap.event_speaker(event)),
                "evidence": cap.evidence_for(event).tag(clock),
            })
    zone = ZoneInfo(meeting.timezone)
    meeting_date = (meeting.started_at or meeting.starts_at).astimezone(zone).date()
    today = max(today or datetime.datetime.now(zone).date(), meeting_date)
    names = [a.name for a in school_recipients(meeting) if a.attendance in ("present", "remote", "expected")]
    j = meeting.child.jurisdiction
    parent_name = (user.display_name if user is not None else None) or f"Parent of {meeting.child.name}"
    return {
        **base,
        "refusals": refusals,
        "proposals": proposals,
        "to_names": ", ".join(names) if names else "Sir or Madam",
        "parent_name": parent_name,
        # the sign-off's lines, Markdown-escaped, kept as lines
        "signature": md_lines(signature(user) or parent_name),
        "reply_by": long_date(deadlines.add_working_days(today, REPLY_WORKING_DAYS, j), j),
        "is_annual_review": meeting.kind == "ehcp_annual_review",
    }


def available(meeting):
    """Return the outlines that fit this meeting, each with whether it has something to say."""
    cap = Capture(meeting)
    kinds = {e.kind for e in cap.events if e.kind != "refused" or _school_refused(cap, e)}
    out = []
    for o in outlines(meeting.child.jurisdiction):
        needs = o.get("needs")
        ready = (
            needs is None
            or (needs == "refusals" and "refused" in kinds)
            or (needs == "refusals_or_proposals" and kinds & {"refused", "agreed", "action"})
        )
        out.append({**o, "ready": bool(ready)})
    return out


def draft(meeting, letter_id, user=None, today=None):
    """Return (subject, markdown) for a letter, or raise KeyError for an unknown letter."""
    o = outline(meeting.child.jurisdiction, letter_id)
    if o is None:
        raise KeyError(letter_id)
    env = environment()
    ctx = context(meeting, user, today)
    subject = env.from_string(o["subject"]).render(**ctx)
    paragraphs = [env.from_string(p).render(**ctx).strip() for p in o["body"]]
    body = "\n\n".join(p for p in paragraphs if p)
    return md_unescape(subject), tidy(body)


# --- saved versions: the parent's edits survive a visit, and what was sent is kept ---


def saved(meeting, letter_id, number=None):
    """The latest saved version of a letter (or version ``number``), or None."""
    query = db.select(LetterVersion).where(LetterVersion.meeting_id == meeting.id,
                                           LetterVersion.letter_id == letter_id)
    if number is not None:
        query = query.where(LetterVersion.version == number)
    return db.session.execute(query.order_by(LetterVersion.version.desc()).limit(1)).scalar_one_or_none()


def history(meeting, letter_id):
    """Every saved version of a letter, newest first."""
    return db.session.execute(
        db.select(LetterVersion).where(LetterVersion.meeting_id == meeting.id, LetterVersion.letter_id == letter_id)
        .order_by(LetterVersion.version.desc())
    ).scalars().all()


def save(meeting, letter_id, subject, markdown, source, author_id=None):
    """Keep the letter as a new version unless it reads as the latest already; return (row, new?). The caller commits."""
    current = saved(meeting, letter_id)
    markdown = markdown.replace("\r\n", "\n")
    if current is not None and (current.subject, current.markdown) == (subject, markdown):
        return current, False
    row = LetterVersion(meeting_id=meeting.id, letter_id=letter_id, version=(current.version + 1) if current else 1,
                        source=source, subject=subject, markdown=markdown, author_id=author_id)
    db.session.add(row)
    db.session.flush()
    return row, True


def current(meeting, letter_id, user=None, number=None):
    """Return (subject, markdown, saved version or None): the latest saved version, else a fresh draft."""
    row = saved(meeting, letter_id, number)
    if row is not None:
        return row.subject, row.markdown, row
    if number is not None:
        raise LookupError(number)
    subject, markdown = draft(meeting, letter_id, user)
    return subject, markdown, None
