"""Points from the recording: what :mod:`.findings` found in the words, and the parent's decisions on them.

A finding is "from the recording: check" until the parent decides. Accepting
one adds a normal marker event to the timeline, made by the server with an
id derived from the meeting, the utterance and the finding (so accepting
twice is one event), carrying what the words said (the sentence, the owner,
the due date) or the parent's fix of them; dismissing it stores the same
event id as a deleted event, so it does not come back and the timeline keeps
the decision. A marker the parent tapped on the same words confirms the
finding there and then.
"""
import datetime
import uuid
from zoneinfo import ZoneInfo

from .. import timeline
from ..db import db
from ..errors import APIError
from ..models import Event
from . import findings as finder
from .drafting import MARKER_KINDS
from .drafting import Capture
from .drafting import Clock

NAMESPACE = uuid.UUID("6f1d2a4e-3b7c-4d0e-9a51-2c8e5f7b9d10")
# the marker kinds a tapped marker on the same words confirms a finding of this kind with
CONFIRMS = {
    "refusal": {"refused"}, "commitment": {"action"}, "agreement": {"agreed"},
    "offer": {"note", "agreed", "quote"}, "request": {"note", "question", "quote"}, "question": {"question", "note"},
    "date": {"note", "quote", "action", "agreed"}, "amount": {"note", "quote", "agreed", "refused", "action"},
}
CONFIRM_MS = 30_000
SUGGESTED = ("refusal", "commitment", "offer", "agreement", "request", "date", "amount")


def event_id(meeting_id, start_ms, kind, n=0):
    """The accepted or dismissed finding's event id: one per utterance (by its start), kind and place."""
    key = f"{meeting_id}:{start_ms}:{kind}" + (f":{n}" if n else "")
    return str(uuid.uuid5(NAMESPACE, key))


def meeting_date(meeting):
    zone = ZoneInfo(meeting.timezone)
    return (meeting.started_at or meeting.starts_at).astimezone(zone).date()


def decided_events(meeting):
    """Every event a finding may be decided by, live or deleted, by id."""
    return {e.id: e for e in db.session.execute(db.select(Event).where(Event.meeting_id == meeting.id)).scalars()}


def assess(meeting, cap=None):
    """Return [(finding, state, event)] for the meeting; state is open, accepted, dismissed or marked.

    marked: the parent tapped a marker on those words (the event is that marker).
    """
    cap = cap or Capture(meeting)
    found = finder.find(cap.segments, cap.attendees, cap.jurisdiction, meeting_date(meeting), meeting.child.name)
    events = decided_events(meeting)
    tapped = []
    for e in cap.events:
        if e.kind in MARKER_KINDS and e.device_id != "server:suggestions":
            seg = cap.marked(e)
            tapped.append((seg.start_ms if seg is not None else e.at_ms, e))
    # a marker the parent tapped on these words (or within CONFIRM_MS of them) confirms the finding:
    # each marker confirms one finding, the nearest first
    pairs = sorted(
        (abs(at - f.start_ms), i, e.id)
        for i, f in enumerate(found) for at, e in tapped
        if e.kind in CONFIRMS.get(f.kind, ())
        # a marker the parent pinned to some words confirms only a finding in those words
        and (at == f.start_ms if "utterance_ms" in (e.payload or {}) else
             f.start_ms - CONFIRM_MS <= at <= f.segment.end_ms + CONFIRM_MS)
    )
    by_id = {e.id: e for _, e in tapped}
    confirmed, used = {}, set()
    for _, i, marker_id in pairs:
        if i not in confirmed and marker_id not in used:
            confirmed[i] = by_id[marker_id]
            used.add(marker_id)
    out = []
    for i, f in enumerate(found):
        eid = event_id(meeting.id, f.start_ms, f.kind, f.n)
        event = events.get(eid)
        if event is not None:
            out.append((f, "dismissed" if event.deleted else "accepted", event))
        elif i in confirmed:
            out.append((f, "marked", confirmed[i]))
        else:
            out.append((f, "open", None))
    return out


def suggestion_dict(meeting, cap, clock, f, state, event):
    return {
        "id": f.id,
        "kind": f.kind,
        "marker": finder.marker_kind(f.kind, cap.jurisdiction),
        "label": finder.kind_label(f.kind, cap.jurisdiction),
        "text": f.quote,
        "utterance": f.segment.text,
        "start_ms": f.start_ms,
        "end_ms": f.segment.end_ms,
        "time": clock(f.start_ms),
        "speaker": f.segment.speaker,
        "attendee_id": f.who,
        "who": cap.name(f.who) or f.who_label,
        "owner_name": f.who_label,
        "due": f.due.iso() if f.due else None,
        "due_phrase": f.due.phrase if f.due else None,
        "due_approx": bool(f.due and f.due.approx),
        "reason": f.reason["label"] if f.reason else None,
        "check": list(f.unsure),
        "agenda_item_id": f.segment.agenda_item_id if f.segment.agenda_item_id in cap.items else None,
        "segment_id": f.segment.id,
        "title": f.rule.get("title", ""),
        "matches": [{"rule_id": rid, "kind": f.kind, "text": text} for rid, text in f.matched],
        "state": state,
        "event_id": event_id(meeting.id, f.start_ms, f.kind, f.n),
    }


def find(meeting, include_decided=False):
    """Return the open points from the recording (with the decided ones too if asked), in time order."""
    cap = Capture(meeting)
    clock = Clock(meeting)
    return [
        suggestion_dict(meeting, cap, clock, f, state, event)
        for f, state, event in assess(meeting, cap)
        if f.kind in SUGGESTED and (state == "open" or (include_decided and state != "marked"))
    ]


def open_count(meeting):
    """How many points in the draft come from the recording and are not yet checked by the parent."""
    return sum(1 for f, state, _ in assess(meeting) if state == "open" and f.kind in finder.IN_DRAFT)


def decide(meeting, suggestion_id, accept, text=None, who=None, due=None):
    """Accept (a marker on the timeline, with the parent's fixes) or dismiss one finding; return the event.

    who: an attendee id (the person who refused, owns the action, offered); due: an ISO date or "" for none.
    """
    current = {s["id"]: s for s in find(meeting, include_decided=True)}
    s = current.get(suggestion_id)
    if s is None:
        raise APIError(404, "not_found", "No such suggestion (the transcript may have changed).")
    cap = Capture(meeting)
    if who is not None and who != "" and who not in cap.attendees:
        raise APIError(422, "invalid", "That person is not on this meeting's list.", {"who": "Choose someone at the meeting."})
    if due:
        try:
            datetime.date.fromisoformat(due)
        except (TypeError, ValueError):
            raise APIError(422, "invalid", "The date does not look right.", {"due": "Give a date like 2026-12-01."}) \
                from None
    existing = db.session.get(Event, s["event_id"])
    kind = s["marker"]
    # the marker points at the utterance itself, so the speaker stays whoever the transcript says spoke
    # those words, now and after any correction; what the parent fixes here is stored in the marker
    payload = {"text": (text or s["text"])[:4000], "utterance_ms": s["start_ms"], "finding": s["kind"]}
    if s["agenda_item_id"]:
        payload["agenda_item_id"] = s["agenda_item_id"]
    if kind == "action":
        owner = who if who is not None else s["attendee_id"]
        if owner:
            payload["owner"] = owner
        elif s["owner_name"] and who is None:
            payload["owner_name"] = s["owner_name"]
        chosen_due = s["due"] if due is None else due
        if chosen_due:
            payload["due"] = chosen_due
    elif kind == "refused":
        if who:
            payload["by"] = who
        if s["reason"]:
            payload["reason"] = s["reason"]
    elif who:
        payload["attendee_id"] = who
    event = {
        "id": s["event_id"],
        "kind": kind,
        "at_ms": s["end_ms"],
        "device_id": "server:suggestions",
        "payload": payload,
        "version": (existing.version + 1) if existing is not None else 1,
        "deleted": not accept,
    }
    timeline.apply_batch(meeting, {"events": [event]})
    db.session.flush()
    return timeline.event_dict(db.session.get(Event, s["event_id"]))


def match(text, jurisdiction):
    """Return (rule, matched text) for every rule that fires on a sentence of text (no context rules)."""
    rs = finder.ruleset(jurisdiction)
    out = []
    for a, b in finder.sentences(text or ""):
        for found in finder.match_kinds(finder.normalise(text[a:b]), rs, set()).values():
            out.extend((rule, m.group(0)) for rule, m in found)
    return out
