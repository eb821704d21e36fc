"""Suggestions: likely refusals, commitments, dates and amounts in the transcript that the parent did not mark.

The phrase rules are data (``server/data/<jurisdiction>/suggestions.json``).
Accepting a suggestion adds a normal marker event to the timeline, made by
the server with an id derived from the meeting, segment and kind (so
accepting twice is one event); dismissing it stores the same event id as a
deleted event, so it does not come back and the timeline keeps the decision.
"""
import functools
import re
import uuid

from .. import rules
from .. import timeline
from ..db import db
from ..errors import APIError
from ..models import Event
from .drafting import MARKER_KINDS
from .drafting import Capture
from .drafting import Clock

# a marker tapped while, or up to this long after, the words were said means the parent caught them
CAUGHT_AFTER_MS = 30_000
NAMESPACE = uuid.UUID("6f1d2a4e-3b7c-4d0e-9a51-2c8e5f7b9d10")


def rules_file(jurisdiction):
    """Return the whole suggestions file for a jurisdiction."""
    return rules.load(f"{rules._check(jurisdiction)}/suggestions.json")


@functools.cache
def _compiled(jurisdiction):
    data = rules_file(jurisdiction)
    order = {kind: i for i, kind in enumerate(data["order"])}
    return [(r, re.compile(r["pattern"], re.IGNORECASE)) for r in sorted(data["rules"], key=lambda r: order[r["kind"]])]


def match(text, jurisdiction):
    """Return (rule, matched text) for every rule that matches, strongest kind first."""
    found = []
    for rule, pattern in _compiled(jurisdiction):
        m = pattern.search(text or "")
        if m:
            found.append((rule, m.group(0)))
    return found


def event_id(meeting_id, start_ms, kind):
    """The accepted or dismissed suggestion's event id: one per utterance (by its start) and kind."""
    return str(uuid.uuid5(NAMESPACE, f"{meeting_id}:{start_ms}:{kind}"))


def find(meeting, include_decided=False):
    """Return the suggestions for a meeting, in time order."""
    cap = Capture(meeting)
    clock = Clock(meeting)
    decided = {e.id: e for e in cap.events}
    decided.update({
        e.id: e for e in db.session.execute(
            db.select(Event).where(Event.meeting_id == meeting.id, Event.deleted.is_(True))
        ).scalars()
    })
    markers = [e.at_ms for e in cap.events if e.kind in MARKER_KINDS]
    out = []
    for seg in cap.segments:
        found = match(seg.text, cap.jurisdiction)
        if not found:
            continue
        rule = found[0][0]
        eid = event_id(meeting.id, seg.start_ms, rule["kind"])
        state = "open"
        if eid in decided:
            state = "dismissed" if decided[eid].deleted else "accepted"
        elif any(seg.start_ms <= at <= seg.end_ms + CAUGHT_AFTER_MS for at in markers):
            continue
        if state != "open" and not include_decided:
            continue
        out.append({
            "id": f"{seg.start_ms}:{rule['kind']}",
            "kind": rule["kind"],
            "marker": rule["marker"],
            "text": seg.text,
            "start_ms": seg.start_ms,
            "end_ms": seg.end_ms,
            "time": clock(seg.start_ms),
            "speaker": seg.speaker,
            "attendee_id": seg.speaker_id,
            "agenda_item_id": seg.agenda_item_id if seg.agenda_item_id in cap.items else None,
            "segment_id": seg.id,
            "title": rule["title"],
            "matches": [{"rule_id": r["id"], "kind": r["kind"], "text": t} for r, t in found],
            "state": state,
            "event_id": eid,
        })
    return out


def decide(meeting, suggestion_id, accept, text=None):
    """Accept (a marker on the timeline) or dismiss one suggestion; return the event as stored."""
    current = {s["id"]: s for s in find(meeting, include_decided=True)}
    s = current.get(suggestion_id)
    if s is None:
        raise APIError(404, "not_found", "No such suggestion (the transcript may have changed).")
    existing = db.session.get(Event, s["event_id"])
    # the marker points at the utterance itself, so its person is whoever the transcript
    # says spoke those words, now and after any correction
    payload = {"text": (text or s["text"])[:4000], "utterance_ms": s["start_ms"]}
    if s["agenda_item_id"]:
        payload["agenda_item_id"] = s["agenda_item_id"]
    event = {
        "id": s["event_id"],
        "kind": s["marker"],
        "at_ms": s["end_ms"],
        "device_id": "server:suggestions",
        "payload": payload,
        "version": (existing.version + 1) if existing is not None else 1,
        "deleted": not accept,
    }
    timeline.apply_batch(meeting, {"events": [event]})
    db.session.flush()
    return timeline.event_dict(db.session.get(Event, s["event_id"]))
