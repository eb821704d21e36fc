"""The meeting's dates as an iCalendar file: the next review, each action's due date, the statutory steps.

Each date carries a reminder (VALARM) two days before, at 9 in the morning,
so the parent has time to chase it before it is missed.
"""
import datetime
from zoneinfo import ZoneInfo

from icalendar import Alarm
from icalendar import Calendar
from icalendar import Event as VEvent

from .. import deadlines
from .. import rules
from .drafting import Capture
from .drafting import person
from .render import clean_text

# two days before an all-day date (which starts at midnight), at 09:00: 2 days less 9 hours = 39 hours
REMIND_BEFORE = datetime.timedelta(hours=39)


def _all_day(cal, uid, day, summary, description, stamp):
    event = VEvent()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("summary", clean_text(summary)[:250])
    if description:
        event.add("description", clean_text(description)[:2000])
    event.add("transp", "TRANSPARENT")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"In two days: {clean_text(summary)[:200]}")
    alarm.add("trigger", -REMIND_BEFORE)
    event.add_component(alarm)
    cal.add_component(event)


def build(meeting, now=None):
    """Return the .ics bytes for a meeting."""
    j = meeting.child.jurisdiction
    zone = ZoneInfo(meeting.timezone)
    meeting_date = (meeting.started_at or meeting.starts_at).astimezone(zone).date()
    stamp = now or datetime.datetime.now(datetime.timezone.utc)
    type_label = (rules.meeting_type(meeting.kind) or {}).get("label", meeting.kind)
    child = clean_text(meeting.child.name)
    cal = Calendar()
    cal.add("prodid", "-//Minuted//Minuted meeting dates//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{child}: {type_label} {meeting_date.isoformat()}")
    uid = f"{meeting.id}@minuted"
    if meeting.next_review:
        _all_day(cal, f"next-review-{uid}", meeting.next_review, f"{child}: next review",
                 f"Next review, as set at the {type_label} on {meeting_date.isoformat()}.", stamp)
    cap = Capture(meeting)
    for event in cap.events:
        if event.kind != "action" or not event.payload.get("due"):
            continue
        try:
            due = datetime.date.fromisoformat(event.payload["due"])
        except ValueError:
            continue
        owner = person(cap.attendees.get(event.payload.get("owner")), j) or "owner not named"
        text = event.payload.get("text") or "action"
        _all_day(cal, f"action-{event.id}-{uid}", due, f"{child}: {text} ({owner})",
                 f"Action from the {type_label} on {meeting_date.isoformat()}: {text}. Owner: {owner}.", stamp)
    for step in deadlines.timeline(meeting.kind, j, meeting_date):
        if step.relation == "after" or step.due <= meeting_date:
            continue
        _all_day(cal, f"step-{step.id}-{uid}", step.due, f"{child}: {step.label}",
                 f"{step.offset_text} the meeting; {step.who}; {deadlines.readable_source(step.source, j)}"
                 + (f"; {step.condition}" if step.condition else ""), stamp)
    return cal.to_ical()
