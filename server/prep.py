"""Meeting preparation: children, meetings, attendees, agenda, provision and targets.

Plain functions shared by the pages and the JSON API: each validates its input
with `clean`, adds or changes rows, and leaves the commit to the caller.
"""
import re
from datetime import date
from datetime import datetime
from datetime import timezone
from functools import cache
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError
from zoneinfo import available_timezones

from flask import abort
from flask import g
from werkzeug.datastructures import MultiDict

from . import jsonbody
from . import partners
from . import rules
from .db import db
from .errors import ValidationError
from .models import AgendaItem
from .models import Attendee
from .models import Child
from .models import Meeting
from .models import MeetingMember
from .models import Provision
from .models import Target

TARGET_STATUSES = {
    "current": "Current",
    "working_towards": "Being worked towards",
    "achieved": "Achieved",
    "obsolete": "Obsolete",
}
ATTENDANCE = {
    "expected": "Expected",
    "present": "Present",
    "remote": "Joining remotely",
    "apologies": "Sent apologies",
    "absent": "Absent",
    "excused_in_writing": "Excused in writing",
}
DELIVERED = {"": "Not sure", "yes": "Delivered as written", "partly": "Partly delivered", "no": "Not delivered"}
# the years a date or time may fall in: any meeting, plan, birthday or deadline Minuted deals in
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
MAX_INT = 2**63 - 1
# an RFC 5322 addr-spec as people write them (a dot-atom, @, dotted domain labels): no quotes, comments or names
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
# the most rows of each kind, so a list stays one people can work through (and a page can show)
MAX_ROWS = {"attendees": 100, "agenda": 100, "provision": 300, "targets": 300}


class Field:
    """How to read one input field: its type, whether it is required, its limits."""

    def __init__(self, kind="str", required=False, max_len=200, choices=None, label=None):
        self.kind = kind
        self.required = required
        self.max_len = max_len
        self.choices = choices
        self.label = label


def _parse(name, field, raw, form=False):
    """Read one value: from a form, text; from JSON, the field's own type (true/false for a bool, text for text)."""
    if field.kind == "bool":
        if raw is None or isinstance(raw, bool):
            return bool(raw)
        if form:
            return str(raw).lower() in ("1", "true", "on", "yes")
        raise ValueError("Send true or false.")
    if raw is None:
        return None
    if field.kind == "int" and not form:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError("Enter a whole number.")
        value = raw
    elif not isinstance(raw, str):
        raise ValueError("Expected text here.")
    else:
        value = raw.strip()
        if value == "":
            return None
        if not jsonbody.is_clean_text(value):
            raise ValueError("Remove the invalid characters (NUL, or half of an emoji).")
    if field.kind == "str":
        if len(value) > field.max_len:
            raise ValueError(f"Keep this under {field.max_len} characters.")
        if field.choices is not None and value not in field.choices:
            raise ValueError("Choose one of the options.")
        return value
    if field.kind == "int":
        try:
            value = int(value)
        except ValueError:
            raise ValueError("Enter a whole number.") from None
        if not -MAX_INT <= value <= MAX_INT:
            raise ValueError("That number is too big.")
        return value
    if field.kind == "date":
        try:
            return in_range(date.fromisoformat(value))
        except ValueError as e:
            raise ValueError(str(e) if isinstance(e, OutOfRange) else "Enter a date like 2026-12-01.") from None
    if field.kind == "datetime":
        try:
            return in_range(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError as e:
            raise ValueError(str(e) if isinstance(e, OutOfRange) else "Enter a date and time like 2026-12-01T09:30.") \
                from None
    if field.kind == "timezone":
        if not valid_timezone(value):
            raise ValueError("Choose a time zone like Europe/London.")
        return value
    if field.kind == "email":
        if not valid_email(value):
            raise ValueError("Enter one email address, like name@school.org.")
        return value
    raise AssertionError(field.kind)


class OutOfRange(ValueError):
    """A date outside the years Minuted deals in."""


def in_range(value):
    """Return a date or datetime whose year is EARLIEST_YEAR to LATEST_YEAR, else raise OutOfRange.

    Far from the ends of what datetime holds, a time zone can move it a day and every page still shows it.
    """
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise OutOfRange(f"Give a date from {EARLIEST_YEAR} to {LATEST_YEAR}.")
    return value


def valid_timezone(name):
    """Whether name is an IANA time zone (Europe/London) this server knows."""
    return isinstance(name, str) and name in _zones()


@cache
def _zones():
    return frozenset(available_timezones()) - {"localtime"}  # localtime: whatever the server is set to


def valid_email(value):
    """Whether value is one address as an RFC 5322 addr-spec: no display name, no comma, no CR/LF, at most 254 long."""
    return (
        isinstance(value, str) and len(value) <= 254 and EMAIL_RE.fullmatch(value) is not None
        and len(value.rpartition("@")[0]) <= 64
    )


def clean(data, spec, partial=False):
    """Read data (a dict or a form) against spec; return the clean values or raise ValidationError.

    With partial=True only the fields present are read (PATCH).
    """
    if not hasattr(data, "get"):
        raise ValidationError({}, "Send a JSON object.")
    form = isinstance(data, MultiDict)  # a page's form: all text; otherwise JSON, typed
    out, errors = {}, {}
    for name, field in spec.items():
        present = name in data
        if partial and not present:
            continue
        try:
            value = _parse(name, field, data.get(name), form)
        except ValueError as e:
            errors[name] = str(e)
            continue
        if value is None and field.required:
            errors[name] = "This is needed."
            continue
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def _choices(items):
    return {item["id"] for item in items}


def child_spec():
    return {
        "name": Field(required=True, max_len=120),
        "school": Field(max_len=200),
        "year_group": Field(max_len=40),
        "plan_type": Field(choices=_choices(rules.plan_types())),
        "jurisdiction": Field(choices=set(rules.JURISDICTIONS)),
        "plan_date": Field("date"),
        "date_of_birth": Field("date"),
    }


def meeting_spec():
    return {
        "child_id": Field(required=True, max_len=32),
        "kind": Field(required=True, choices=_choices(rules.meeting_types())),
        "title": Field(max_len=200),
        "starts_at": Field("datetime", required=True),
        "timezone": Field("timezone"),
        "venue": Field(max_len=200),
        "online": Field("bool"),
        "plan_date": Field("date"),
        "convener": Field(max_len=200),
        "chair": Field(max_len=200),
    }


# when a meeting really started and ended, as the owner corrects them (PATCH only, each when sent)
TIMES_SPEC = {
    "started_at": Field("datetime", required=True),
    "ended_at": Field("datetime", required=True),
}


def attendee_spec(jurisdiction):
    return {
        "name": Field(required=True, max_len=120),
        "role": Field(required=True, choices=_choices(rules.roles(jurisdiction))),
        "organisation": Field(max_len=200),
        "email": Field("email"),
        "attendance": Field(choices=set(ATTENDANCE)),
    }


AGENDA_SPEC = {
    "title": Field(required=True, max_len=300),
    "detail": Field(max_len=4000),
    "outcome_sought": Field(max_len=4000),
    "parked": Field("bool"),
    "provision_id": Field(max_len=36),
    "target_id": Field(max_len=36),
}
PROVISION_SPEC = {
    "text": Field(required=True, max_len=4000),
    "section": Field(max_len=20),
    "what": Field(max_len=300),
    "who": Field(max_len=200),
    "how_much": Field(max_len=120),
    "how_often": Field(max_len=120),
    "starts": Field(max_len=120),
    "delivered": Field(choices=set(DELIVERED) - {""}),
}
TARGET_SPEC = {
    "text": Field(required=True, max_len=4000),
    "status": Field(choices=set(TARGET_STATUSES)),
    "evidence": Field(max_len=4000),
    "baseline": Field(max_len=4000),
    "measured_by": Field(max_len=300),
}


# --- access: each account sees only its own rows; anything else is "not found" ---


def get_child(child_id):
    """Return the signed-in user's child, or 404."""
    child = db.session.get(Child, child_id) if isinstance(child_id, str) else None
    if child is None or child.user_id != g.user.id:
        abort(404, "No such child.")
    return child


def get_meeting(meeting_id, owner_only=False):
    """Return a meeting the signed-in user owns, or one they joined as a partner, or abort.

    A partner gets through only to what a note-taker may do (partners.check: 403
    for the rest, 404 once their access has ended, 401 for a guest with none left).
    """
    meeting = db.session.get(Meeting, meeting_id) if isinstance(meeting_id, str) else None
    if meeting is None:
        abort(404, "No such meeting.")
    if meeting.child.user_id == g.user.id:
        return meeting
    partners.check(meeting, owner_only)
    return meeting


def _not_a_guest():
    """A guest (an account made from a join code) has no children or meetings of its own."""
    if g.user.guest:
        abort(403, "You joined a meeting with a code, so you can't add children or meetings of your own.")


def _get_in(model, row_id, meeting=None, child=None):
    row = db.session.get(model, row_id) if isinstance(row_id, str) else None
    if row is None or (meeting is not None and row.meeting_id != meeting.id) or (
        child is not None and row.child_id != child.id
    ):
        abort(404, f"No such {model.__tablename__.replace('_', ' ')}.")
    return row


def children():
    """Return the signed-in user's children."""
    return db.session.execute(
        db.select(Child).where(Child.user_id == g.user.id).order_by(Child.created_at)
    ).scalars().all()


def meetings():
    """Return the signed-in user's meetings and those they joined as a partner, soonest first."""
    from . import partners

    joined = db.select(MeetingMember.meeting_id).where(MeetingMember.user_id == g.user.id)
    found = db.session.execute(
        db.select(Meeting)
        .join(Child)
        .where((Child.user_id == g.user.id) | Meeting.id.in_(joined))
        .order_by(Meeting.starts_at)
    ).scalars().all()
    # a meeting joined as a partner is listed only while that access lasts
    return [m for m in found if m.child.user_id == g.user.id or partners.allowed(
        partners._membership(m.id, g.user.id))]


# --- children ---


def create_child(data):
    _not_a_guest()
    values = clean(data, child_spec())
    values.setdefault("plan_type", None)
    values["plan_type"] = values["plan_type"] or "sen_support"
    values["jurisdiction"] = values.get("jurisdiction") or "england"
    if values["plan_type"] == "iep" and values["jurisdiction"] == "england":
        values["plan_type"] = "iep"  # an English "IEP" is a school document; allowed
    child = Child(user_id=g.user.id, **values)
    db.session.add(child)
    db.session.flush()
    return child


def update_child(child, data, partial=False):
    values = clean(data, child_spec(), partial=partial)
    for key, value in values.items():
        if key in ("plan_type", "jurisdiction") and value is None:
            continue
        setattr(child, key, value)
    return child


# --- meetings ---


def _aware(value, tz_name):
    """Read a naive local time in the meeting's zone; keep an aware one; store UTC."""
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": "Unknown time zone."}) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc)


def create_meeting(data):
    _not_a_guest()
    values = clean(data, meeting_spec())
    child = get_child(values.pop("child_id"))
    values["timezone"] = values.get("timezone") or "Europe/London"
    values["starts_at"] = _aware(values["starts_at"], values["timezone"])
    values["online"] = bool(values.get("online"))
    if values.get("plan_date") is None and child.plan_date:
        values["plan_date"] = child.plan_date
    meeting = Meeting(child=child, **values)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update_meeting(meeting, data, partial=False):
    spec = meeting_spec()
    spec.pop("child_id")
    values = clean(data, spec, partial=partial)
    values.update(clean(data, TIMES_SPEC, partial=True))
    tz_name = values.get("timezone") or meeting.timezone
    for key in ("starts_at", *TIMES_SPEC):
        if key in values:
            values[key] = _aware(values[key], tz_name)
    _check_times(meeting, values)
    for key, value in values.items():
        if key in ("timezone",) and value is None:
            continue
        setattr(meeting, key, value)
    return meeting


def _check_times(meeting, values):
    """A correction of when the meeting started or ended: only of a time it has, and the end not before the start."""
    errors = {key: "The meeting has no such time yet: start or end it first." for key in TIMES_SPEC
              if key in values and getattr(meeting, key) is None}
    started, ended = values.get("started_at", meeting.started_at), values.get("ended_at", meeting.ended_at)
    if not errors and started and ended and ended < started:
        errors["ended_at" if "ended_at" in values else "started_at"] = "The end can't come before the start."
    if errors:
        raise ValidationError(errors)


def local_start(meeting):
    """Return the meeting's start in its own time zone."""
    return meeting.starts_at.astimezone(ZoneInfo(meeting.timezone))


# --- ordered lists (attendees, agenda, provision, targets) ---


def next_position(rows):
    return max((r.position for r in rows), default=-1) + 1


def _renumber(rows):
    for i, row in enumerate(rows):
        row.position = i


def move(rows, row, delta):
    """Move row up (delta=-1) or down (+1) within rows, renumbering positions."""
    rows = sorted(rows, key=lambda r: r.position)
    i = rows.index(row)
    j = max(0, min(len(rows) - 1, i + delta))
    rows.insert(j, rows.pop(i))
    _renumber(rows)


def reorder(rows, ids):
    """Put rows in the order of ids (every row exactly once) or raise ValidationError."""
    by_id = {r.id: r for r in rows}
    if (not isinstance(ids, list) or len(ids) != len(by_id) or not all(isinstance(i, str) for i in ids)
            or sorted(ids) != sorted(by_id)):
        raise ValidationError({"ids": "Send every item's id exactly once."})
    _renumber([by_id[i] for i in ids])


# --- attendees ---


def room_for(rows, kind, field):
    """Refuse another row once a list has MAX_ROWS[kind] (a 422 naming field)."""
    if len(rows) >= MAX_ROWS[kind]:
        raise ValidationError({field: f"This list is full: it holds at most {MAX_ROWS[kind]}."}, "That list is full.")


def add_attendee(meeting, data):
    room_for(meeting.attendees, "attendees", "name")
    values = clean(data, attendee_spec(meeting.child.jurisdiction))
    values["attendance"] = values.get("attendance") or "expected"
    attendee = Attendee(meeting=meeting, position=next_position(meeting.attendees), **values)
    db.session.add(attendee)
    db.session.flush()
    return attendee


def update_attendee(attendee, data, partial=False):
    values = clean(data, attendee_spec(attendee.meeting.child.jurisdiction), partial=partial)
    for key, value in values.items():
        if key == "attendance" and value is None:
            continue
        setattr(attendee, key, value)
    return attendee


def get_attendee(meeting, attendee_id):
    return _get_in(Attendee, attendee_id, meeting=meeting)


def missing_slots(meeting):
    """Return the required invitee slots (reg 20(2) / 34 CFR 300.321) no listed person fills.

    A slot applies to the meeting types its data lists; US slots with no list apply to IEP meetings.
    """
    j = meeting.child.jurisdiction
    filled = {(rules.role(j, a.role) or {}).get("slot") for a in meeting.attendees}
    missing = []
    for slot_id, slot in rules.slots(j).items():
        applies = slot.get("applies_to")
        if applies is None:
            applies_here = j == "us" and meeting.kind.startswith("iep")
        else:
            applies_here = meeting.kind in applies
        if slot.get("required") and applies_here and slot_id not in filled:
            missing.append({"id": slot_id, **slot})
    return missing


# --- agenda ---


def _check_links(meeting, values):
    child = meeting.child
    if values.get("provision_id"):
        _get_or_field(Provision, values["provision_id"], child, "provision_id")
    if values.get("target_id"):
        _get_or_field(Target, values["target_id"], child, "target_id")


def _get_or_field(model, row_id, child, field):
    row = db.session.get(model, row_id)
    if row is None or row.child_id != child.id:
        raise ValidationError({field: "That is not part of this child's plan."})
    return row


def add_agenda_item(meeting, data):
    room_for(meeting.agenda, "agenda", "title")
    values = clean(data, AGENDA_SPEC)
    _check_links(meeting, values)
    values["parked"] = bool(values.get("parked"))
    item = AgendaItem(meeting=meeting, position=next_position(meeting.agenda), **values)
    db.session.add(item)
    db.session.flush()
    return item


def update_agenda_item(item, data, partial=False):
    values = clean(data, AGENDA_SPEC, partial=partial)
    _check_links(item.meeting, values)
    for key, value in values.items():
        setattr(item, key, value)
    return item


def get_agenda_item(meeting, item_id):
    return _get_in(AgendaItem, item_id, meeting=meeting)


def priorities(meeting):
    """Return the agenda's asks in priority order (not parked)."""
    return [i for i in meeting.agenda if not i.parked]


def parked(meeting):
    return [i for i in meeting.agenda if i.parked]


# --- the child's plan: provision and targets ---


def add_provision(child, data):
    room_for(child.provision, "provision", "text")
    values = clean(data, PROVISION_SPEC)
    row = Provision(child=child, position=next_position(child.provision), **values)
    db.session.add(row)
    db.session.flush()
    return row


def update_provision(row, data, partial=False):
    for key, value in clean(data, PROVISION_SPEC, partial=partial).items():
        setattr(row, key, value)
    return row


def get_provision(child, row_id):
    return _get_in(Provision, row_id, child=child)


def add_target(child, data):
    room_for(child.targets, "targets", "text")
    values = clean(data, TARGET_SPEC)
    values["status"] = values.get("status") or "current"
    row = Target(child=child, position=next_position(child.targets), **values)
    db.session.add(row)
    db.session.flush()
    return row


def update_target(row, data, partial=False):
    for key, value in clean(data, TARGET_SPEC, partial=partial).items():
        if key == "status" and value is None:
            continue
        setattr(row, key, value)
    return row


def get_target(child, row_id):
    return _get_in(Target, row_id, child=child)


def delete(row):
    db.session.delete(row)


# --- JSON shapes ---


def child_dict(child):
    return {
        "id": child.id,
        "name": child.name,
        "school": child.school,
        "year_group": child.year_group,
        "plan_type": child.plan_type,
        "jurisdiction": child.jurisdiction,
        "plan_date": child.plan_date.isoformat() if child.plan_date else None,
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
    }


def attendee_dict(a):
    return {
        "id": a.id,
        "name": a.name,
        "role": a.role,
        "role_label": rules.role_label(a.meeting.child.jurisdiction, a.role),
        "organisation": a.organisation,
        "email": a.email,
        "attendance": a.attendance,
        "position": a.position,
    }


def agenda_dict(i):
    return {
        "id": i.id,
        "title": i.title,
        "detail": i.detail,
        "outcome_sought": i.outcome_sought,
        "parked": i.parked,
        "position": i.position,
        "provision_id": i.provision_id,
        "target_id": i.target_id,
        "outcome": i.outcome,
    }


def provision_dict(p):
    return {
        "id": p.id,
        "section": p.section,
        "text": p.text,
        "what": p.what,
        "who": p.who,
        "how_much": p.how_much,
        "how_often": p.how_often,
        "starts": p.starts,
        "delivered": p.delivered,
        "position": p.position,
    }


def target_dict(t):
    return {
        "id": t.id,
        "text": t.text,
        "status": t.status,
        "evidence": t.evidence,
        "baseline": t.baseline,
        "measured_by": t.measured_by,
        "position": t.position,
    }


def iso(value):
    """Format an aware datetime as ISO 8601 UTC with a Z (None stays None)."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def meeting_dict(m):
    return {
        "id": m.id,
        "child_id": m.child_id,
        "kind": m.kind,
        "title": m.title,
        "starts_at": m.starts_at.isoformat().replace("+00:00", "Z"),
        "timezone": m.timezone,
        "venue": m.venue,
        "online": m.online,
        "plan_date": m.plan_date.isoformat() if m.plan_date else None,
        "convener": m.convener,
        "chair": m.chair,
        "status": m.status,
        "started_at": iso(m.started_at),
        "ended_at": iso(m.ended_at),
    }


def bundle(meeting):
    """Return a meeting with everything the phone needs to run it offline."""
    out = meeting_dict(meeting)
    out["child"] = child_dict(meeting.child)
    out["attendees"] = [attendee_dict(a) for a in meeting.attendees]
    out["agenda"] = [agenda_dict(i) for i in meeting.agenda]
    out["provision"] = [provision_dict(p) for p in meeting.child.provision]
    out["targets"] = [target_dict(t) for t in meeting.child.targets]
    return out
