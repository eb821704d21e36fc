"""Follow-up letters drafted from the refusals and proposals, from outlines in a data file.

``server/data/<jurisdiction>/letters.json`` holds each letter's outline (what
it must contain, its source) and its wording as small Jinja2 templates in the
parent's voice. The draft is Markdown that the parent edits before sending;
it is sent like the minutes (email, .eml, mailto, copy, print).
"""
import datetime
from zoneinfo import ZoneInfo

from .. import deadlines
from .. import rules
from .drafting import Capture
from .drafting import Clock
from .drafting import context as minutes_context
from .drafting import environment
from .drafting import tidy
from .render import md_unescape

REPLY_WORKING_DAYS = 10


def letters_file(jurisdiction):
    return rules.load(f"{rules._check(jurisdiction)}/letters.json")


def outlines(jurisdiction):
    return letters_file(jurisdiction)["letters"]


def outline(jurisdiction, letter_id):
    return next((o for o in outlines(jurisdiction) if o["id"] == letter_id), None)


def school_recipients(meeting):
    """Attendees with an email address who are not the parent's side."""
    own_side = {"parent", "second_parent", "partner", "young_person", "student", "supporter_notetaker", "advocate"}
    return [a for a in meeting.attendees if a.email and a.role not in own_side]


def context(meeting, user=None, today=None):
    base = minutes_context(meeting, today=today)
    cap = Capture(meeting)
    clock = Clock(meeting)
    refusals, proposals = [], []
    for event in cap.events:
        if event.kind == "refused":
            p = event.payload
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
    fmt = "%A %-d %B %Y" if j == "england" else "%A, %B %-d, %Y"
    return {
        **base,
        "refusals": refusals,
        "proposals": proposals,
        "to_names": ", ".join(names) if names else "Sir or Madam",
        "parent_name": (user.display_name if user is not None and user.display_name else "") or "Parent of "
        + meeting.child.name,
        "reply_by": deadlines.add_working_days(today, REPLY_WORKING_DAYS).strftime(fmt),
        "is_annual_review": meeting.kind == "ehcp_annual_review",
    }


def available(meeting):
    """Return the outlines that fit this meeting, each with whether it has something to say."""
    cap = Capture(meeting)
    kinds = {e.kind for e in cap.events}
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
