"""The meeting timeline: validate and upsert batches of events made on phones.

A batch is all-or-nothing: if any event is invalid nothing is stored and the
answer names each bad event, so the phone keeps them (marked rejected) and
resends the rest. An event is upserted by its client UUID: the same version
again is a no-op, a higher version replaces it and the old one is kept as an
EventRevision, a lower version is ignored (last writer wins per id).
"""
import re
import uuid
from datetime import date
from datetime import datetime
from datetime import timezone

from flask import current_app
from flask import g
from sqlalchemy.exc import IntegrityError

from . import jsonbody
from . import prep
from . import rules
from .db import db
from .db import savepoint
from .db import now_utc  # noqa: F401 (re-exported for the views)
from .errors import APIError
from .models import AgendaItem
from .models import Attendee
from .models import Event
from .models import EventRevision
from .models import Target

KINDS = {
    "note", "speaker", "agenda", "agreed", "refused", "action", "question", "quote", "bookmark",
    "attendee", "consent", "target",
}
TEXT_KINDS = {"note", "agreed", "question", "quote", "bookmark", "refused", "action"}
TARGET_STATUSES = {"current", "working_towards", "achieved", "obsolete"}
MAX_BATCH = 500
RACE_TRIES = 5  # how often a batch is applied again after racing requests stored some of its events
MAX_AT_MS = 24 * 60 * 60 * 1000  # a meeting lasts less than a day
MAX_PAYLOAD_KEYS = 12
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# payload fields that name something in this meeting, and what they must point at
REFERENCES = {
    "attendee_id": Attendee,
    "by": Attendee,
    "owner": Attendee,
    "speaking": Attendee,
    "agenda_item_id": AgendaItem,
    "target_id": Target,
}
ALLOWED = {
    "note": {"text"},
    "agreed": {"text"},
    "question": {"text"},
    "quote": {"text"},
    "bookmark": {"text"},
    "refused": {"text", "reason", "by"},
    "action": {"text", "owner", "owner_name", "due"},
    "speaker": {"attendee_id"},
    "agenda": {"agenda_item_id"},
    "target": {"target_id", "status", "text"},
    "consent": {"attendee_id", "given", "text"},
    "attendee": {"name", "role", "organisation"},
}
REQUIRED = {
    "speaker": {"attendee_id"},
    "agenda": {"agenda_item_id"},
    "target": {"target_id", "status"},
    "consent": {"given"},
    "attendee": {"name", "role"},
}
COMMON = {"attendee_id", "agenda_item_id"}
# a marker may say who was tapped as speaking when it was made (a hint: the words it marks decide
# its person) and, once the parent has pinned it on the review page, which utterance it marks
for _kind in ("note", "agreed", "question", "quote", "bookmark", "refused", "action"):
    ALLOWED[_kind] = ALLOWED[_kind] | {"speaking", "utterance_ms", "finding"}
# what a confirmed point from the recording was found as (a note can be an offer or the parent's request)
FINDINGS = {"refusal", "commitment", "offer", "agreement", "request", "question", "date", "amount"}


class EventError(ValueError):
    """One event is invalid; the message says why in plain words."""


def _text(value, field, limit):
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventError(f"'{field}' must be text.")
    if len(value) > limit:
        raise EventError(f"'{field}' is longer than {limit} characters.")
    if not jsonbody.is_clean_text(value):
        raise EventError(f"'{field}' holds a NUL character or half of an emoji.")
    return value


def _wall_time(value):
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventError("'wall_time' must be an ISO 8601 time.")
    try:
        parsed = prep.in_range(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except prep.OutOfRange:
        raise EventError(f"'wall_time' must fall in {prep.EARLIEST_YEAR} to {prep.LATEST_YEAR}.") from None
    except ValueError:
        raise EventError("'wall_time' must be an ISO 8601 time.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _bool(value, field):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EventError(f"'{field}' must be true or false.")
    return value


def _choice(value, field, choices):
    if not isinstance(value, str) or value not in choices:
        raise EventError(f"'{field}' must be one of " + ", ".join(sorted(choices)) + ".")
    return value


def _int(value, field, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventError(f"'{field}' must be a whole number.")
    if not low <= value <= high:
        raise EventError(f"'{field}' is out of range.")
    return value


class Batch:
    """Validates events against one meeting, resolving the ids they mention."""

    def __init__(self, meeting):
        self.meeting = meeting
        self.limit = current_app.config["MAX_TEXT_CHARS"]
        self.jurisdiction = meeting.child.jurisdiction
        self.ids = {
            Attendee: {a.id for a in meeting.attendees},
            AgendaItem: {i.id for i in meeting.agenda},
            Target: {t.id for t in meeting.child.targets},
        }
        self.new_attendees = set()  # people this batch adds to the meeting's list

    def clean(self, raw, batch_attendees):
        """Return a clean event dict, or raise EventError."""
        if not isinstance(raw, dict):
            raise EventError("Each event must be a JSON object.")
        event_id = raw.get("id")
        try:
            event_id = str(uuid.UUID(str(event_id)))
        except ValueError:
            raise EventError("'id' must be a UUID made on the device.") from None
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise EventError(f"Unknown kind {str(kind)[:40]!r}.")
        deleted = _bool(raw.get("deleted"), "deleted")
        payload = raw.get("payload") or {}
        if not isinstance(payload, dict) or len(payload) > MAX_PAYLOAD_KEYS:
            raise EventError("'payload' must be a small JSON object.")
        unknown = set(payload) - ALLOWED[kind] - COMMON
        if unknown:
            raise EventError(f"'{kind}' events don't take {', '.join(sorted(unknown))}.")
        missing = REQUIRED.get(kind, set()) - {k for k, v in payload.items() if v not in (None, "")}
        if missing and not deleted:
            raise EventError(f"'{kind}' events need {', '.join(sorted(missing))}.")
        clean = {}
        for key, value in payload.items():
            if value is None:
                continue
            if key in REFERENCES:
                value = _text(value, key, 64)
                known = self.ids[REFERENCES[key]] | (batch_attendees if REFERENCES[key] is Attendee else set())
                if value not in known:
                    raise EventError(f"'{key}' is not part of this meeting.")
            elif key == "utterance_ms":
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_AT_MS:
                    raise EventError("'utterance_ms' must be milliseconds on the meeting's timeline.")
            elif key == "given":
                if not isinstance(value, bool):
                    raise EventError("'given' must be true or false.")
            elif key == "status":
                _choice(value, key, TARGET_STATUSES)
            elif key == "due":
                value = _text(value, key, 10)
                try:
                    if not DATE_RE.fullmatch(value):
                        raise ValueError(value)
                    prep.in_range(date.fromisoformat(value))
                except prep.OutOfRange:
                    raise EventError(f"'due' must fall in {prep.EARLIEST_YEAR} to {prep.LATEST_YEAR}.") from None
                except ValueError:
                    raise EventError("'due' must be a date like 2026-12-01.") from None
            elif key == "finding":
                _choice(value, key, FINDINGS)
            elif key == "owner_name":
                value = _text(value, key, 120)
            elif key == "role":
                if not isinstance(value, str) or rules.role(self.jurisdiction, value) is None:
                    raise EventError("'role' is not in the role list.")
            elif key in ("name", "organisation"):
                value = _text(value, key, 120 if key == "name" else 200)
            else:  # text, reason
                value = _text(value, key, self.limit)
            clean[key] = value
        if kind == "attendee" and not deleted and event_id not in self.ids[Attendee]:
            self.new_attendees.add(event_id)
            if len(self.ids[Attendee] | self.new_attendees) > prep.MAX_ROWS["attendees"]:
                raise EventError(f"A meeting lists at most {prep.MAX_ROWS['attendees']} people.")
        return {
            "id": event_id,
            "kind": kind,
            "at_ms": _int(raw.get("at_ms"), "at_ms", 0, MAX_AT_MS),
            "wall_time": _wall_time(raw.get("wall_time")),
            "device_id": _text(raw.get("device_id"), "device_id", 64),
            "payload": clean,
            "version": _int(raw.get("version", 1), "version", 1, 1_000_000),
            "deleted": deleted,
        }


def apply_batch(meeting, body):
    """Validate and upsert a batch of events; return what was accepted. Raises APIError (nothing stored)."""
    events = body.get("events")
    if not isinstance(events, list):
        raise APIError(400, "bad_request", "Send {\"events\": [...]}.")
    if len(events) > MAX_BATCH:
        raise APIError(413, "too_large", f"Send at most {MAX_BATCH} events at a time.")
    device_id = body.get("device_id")
    if device_id is not None and not (isinstance(device_id, str) and jsonbody.is_clean_text(device_id)):
        raise APIError(422, "invalid", "'device_id' must be text.", {"device_id": "Send the device's id as text."})
    batch = Batch(meeting)
    # attendees added in this batch may be named by later events of the same batch
    new_attendees = {
        str(e.get("id")) for e in events if isinstance(e, dict) and e.get("kind") == "attendee"
    }
    cleaned, errors = [], {}
    for index, raw in enumerate(events):
        try:
            event = batch.clean(raw, new_attendees)
            if event["device_id"] is None and isinstance(device_id, str):
                event["device_id"] = device_id[:64]
            cleaned.append(event)
        except EventError as e:
            key = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else f"#{index}"
            errors[key] = str(e)
    if errors:
        raise APIError(422, "invalid_events", f"{len(errors)} of {len(events)} events were not accepted.", errors)

    # one query for every id in the batch, not one per event
    ids = [e["id"] for e in cleaned]
    stored = _stored(ids)
    for attempt in range(RACE_TRIES):
        versions = {i: e.version for i, e in stored.items()}
        try:
            # a savepoint: the primary keys (event, attendee) and one revision per (event, version)
            # decide between a phone's racing resends; the loser reads what the winner stored and
            # applies its batch again, so a resend is a no-op and the highest version still wins
            with savepoint(), db.session.no_autoflush:
                return [_upsert(meeting, event, stored) for event in cleaned]
        except IntegrityError:
            stored = _stored(ids, fresh=True)
            if attempt + 1 == RACE_TRIES or {i: e.version for i, e in stored.items()} == versions:
                raise  # nothing changed under us (not a race), or a race that does not settle


def _stored(ids, fresh=False):
    """Return the stored events with these ids (fresh: reloaded, not what the session remembers)."""
    query = db.select(Event).where(Event.id.in_(ids)).execution_options(populate_existing=fresh)
    return {e.id: e for e in db.session.execute(query).scalars()}


def _upsert(meeting, event, stored):
    existing = stored.get(event["id"])
    if existing is not None and existing.meeting_id != meeting.id:
        raise APIError(409, "conflict", "That event id belongs to another meeting.")
    if existing is None:
        row = Event(meeting_id=meeting.id, author_id=g.user.id, **event)
        db.session.add(row)
        stored[row.id] = row  # the same id twice in one batch is one event
        if event["kind"] == "attendee" and not event["deleted"]:
            _add_attendee(meeting, event)
        return {"id": event["id"], "version": event["version"]}
    if event["version"] <= existing.version:
        # a resend (same version) or an older edit: the stored one stands
        return {"id": existing.id, "version": existing.version}
    db.session.add(
        EventRevision(
            event_id=existing.id, version=existing.version, kind=existing.kind, at_ms=existing.at_ms,
            payload=existing.payload, deleted=existing.deleted, device_id=existing.device_id,
            author_id=existing.author_id, received_at=existing.received_at,
        )
    )
    for key in ("kind", "at_ms", "wall_time", "device_id", "payload", "version", "deleted"):
        setattr(existing, key, event[key])
    existing.author_id = g.user.id
    if existing.kind == "attendee":
        attendee = db.session.get(Attendee, existing.id)
        if attendee is not None and not existing.deleted:
            attendee.name = event["payload"].get("name", attendee.name)
            attendee.role = event["payload"].get("role", attendee.role)
    return {"id": existing.id, "version": existing.version}


def _add_attendee(meeting, event):
    """A person added in the room becomes an attendee whose id is the event's id."""
    payload = event["payload"]
    position = max((a.position for a in meeting.attendees), default=-1) + 1
    db.session.add(
        Attendee(
            id=event["id"], meeting_id=meeting.id, name=payload["name"], role=payload["role"],
            organisation=payload.get("organisation"), attendance="present", position=position,
            arrived_ms=event["at_ms"],
        )
    )


def event_dict(event):
    return {
        "id": event.id,
        "kind": event.kind,
        "at_ms": event.at_ms,
        "wall_time": event.wall_time.isoformat().replace("+00:00", "Z") if event.wall_time else None,
        "device_id": event.device_id,
        "author": event.author_id,
        "payload": event.payload,
        "version": event.version,
        "deleted": event.deleted,
    }


def events(meeting):
    """Return the meeting's timeline in time order (deleted events included, flagged)."""
    return db.session.execute(
        db.select(Event).where(Event.meeting_id == meeting.id).order_by(Event.at_ms, Event.id)
    ).scalars().all()


def server_time():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
