"""A partner's phone: one-meeting join codes (QR), the memberships they grant, and what a partner may do.

A partner (an account, or a guest made from a code) takes notes in one meeting:
the endpoints in NOTE_TAKER, default deny. `check` is the one rule, called
where a meeting is loaded (prep.get_meeting). A membership ends at the first of
its expires_at (set to the code's expiry on joining; the parent can change it),
the code being revoked, the parent removing it, or the meeting ending; after the
end the partner's phone may still send what it captured for SYNC_GRACE, and any
grants (GRANTS) last until expires_at. A guest with no membership left is
signed out.
"""
import base64
import hashlib
import io
import secrets
import uuid
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import qrcode
import qrcode.image.svg
from flask import abort
from flask import g
from flask import has_request_context
from flask import request
from flask import session
from flask import url_for

from .db import db
from .db import now_utc
from .errors import APIError
from .errors import ValidationError
from .models import Event
from .models import JoinCode
from .models import MeetingMember
from .models import Recording
from .models import User

# readable aloud and typeable on a phone: no 0/O, 1/I/L
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_MINUTES = 24 * 60


def _hash(code):
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def normalise(code):
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def qr_data_url(text):
    """Return an SVG QR code for text as a data: URL (no third party draws it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def create_code(meeting, minutes=240):
    """Make a join code for meeting; return (row, the code in clear, shown once)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= MAX_MINUTES:
        raise APIError(422, "invalid", "A code lasts from 5 minutes to a day.", {"minutes": "5 to 1440"})
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    row = JoinCode(
        meeting_id=meeting.id, code_hash=_hash(code), created_by=g.user.id,
        expires_at=now_utc() + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    return row, code


def code_dict(row, code=None):
    out = {
        "id": row.id,
        "expires_at": row.expires_at.isoformat().replace("+00:00", "Z"),
        "revoked": row.revoked_at is not None,
    }
    if code is not None:
        url = url_for("account.join", code=code, _external=True)
        out.update({"code": f"{code[:5]}-{code[5:]}", "url": url, "qr_svg_data_url": qr_data_url(url)})
    return out


def revoke(meeting, code_id):
    """Revoke a code: nobody can join with it, and whoever joined with it loses access."""
    row = db.session.get(JoinCode, code_id)
    if row is None or row.meeting_id != meeting.id:
        raise APIError(404, "not_found", "No such join code.")
    row.revoked_at = row.revoked_at or now_utc()
    for member in db.session.execute(db.select(MeetingMember).where(MeetingMember.join_code_id == row.id)).scalars():
        db.session.delete(member)


def find_code(code):
    """Return the usable JoinCode for code, or raise a 403 that says why not."""
    row = db.session.execute(db.select(JoinCode).where(JoinCode.code_hash == _hash(code))).scalar_one_or_none()
    if row is None:
        raise APIError(403, "invalid_code", "That code isn't right. Check it with the person who shared it.")
    if row.revoked_at is not None:
        raise APIError(403, "code_revoked", "That code has been turned off by the person who shared it.")
    if row.expires_at <= now_utc():
        raise APIError(403, "code_expired", "That code has expired. Ask for a new one.")
    return row


def join(row, user=None):
    """Let user (or a new guest account) into the code's meeting until the code expires; return the user."""
    if meeting_ended(row.meeting):
        raise APIError(403, "meeting_ended", "That meeting has ended. Ask the person who shared it.")
    if user is None:
        user = User(
            email=f"guest-{secrets.token_hex(8)}@join.minuted.invalid",
            password_hash="!",  # no password can match: a guest signs in only with the code
            display_name="Partner",
            guest=True,
        )
        db.session.add(user)
        db.session.flush()
    if row.meeting.child.user_id == user.id:
        return user
    member = db.session.execute(
        db.select(MeetingMember).where(MeetingMember.meeting_id == row.meeting_id, MeetingMember.user_id == user.id)
    ).scalar_one_or_none()
    if member is None:
        db.session.add(MeetingMember(
            meeting_id=row.meeting_id, user_id=user.id, join_code_id=row.id, expires_at=row.expires_at,
        ))
    else:  # joining again with a newer code: its lifetime, and revoking it removes them
        member.join_code_id = row.id
        if member.expires_at is not None:
            member.expires_at = max(member.expires_at, row.expires_at)
    return user


# --- what a partner may do: one rule, default deny ---

# more the parent can grant one partner for one meeting (MeetingMember.grants, comma-separated)
GRANTS = {
    "minutes": "Read and edit the minutes",
    "end": "Start and end the meeting",
}
# a note-taker: what the live meeting screen and the (read-only) preparation pages use
NOTE_TAKER = frozenset({
    "api.get_meeting", "api.meeting_timeline", "api.get_events", "api.post_events",
    "api.declare_recording", "api.get_recording", "api.put_chunk", "api.finish_recording",
    "pages.meeting", "pages.live", "pages.people", "pages.agenda", "pages.plan",
})
BY_GRANT = {
    "minutes": frozenset({
        "minutes.get_minutes", "minutes.redraft", "minutes.edit_minutes", "minutes.preview", "minutes.print_minutes",
    }),
    "end": frozenset({"api.start_meeting", "api.end_meeting"}),
}
# once the meeting has started, "start" changes nothing and answers the shared clock origin,
# which a partner's phone that pressed Start first needs to place its notes
ONCE_STARTED = frozenset({"api.start_meeting"})
# after the meeting ends a partner's phone may still send what it captured for a while (no reading)
SYNC = frozenset({"api.post_events", "api.declare_recording", "api.put_chunk", "api.finish_recording"})
SYNC_GRACE = timedelta(hours=2)
# a partner reaches only the recordings its own phone declared, marked with this and its user id
RECORDINGS = frozenset({"api.declare_recording", "api.get_recording", "api.put_chunk", "api.finish_recording"})
RECORDED_BY = "partner:"


def meeting_ended(meeting):
    return meeting.status == "ended" or meeting.ended_at is not None


def grants_of(member):
    return [name for name in (member.grants or "").split(",") if name in GRANTS]


def allowed(member, now=None):
    """Return the endpoints member may use in its meeting now; empty once its access has ended."""
    now = now or now_utc()
    if member.expires_at is not None and member.expires_at <= now:
        return frozenset()
    code = db.session.get(JoinCode, member.join_code_id) if member.join_code_id is not None else None
    if code is not None and code.revoked_at is not None:
        return frozenset()
    meeting = member.meeting
    may = set().union(*(BY_GRANT[name] for name in grants_of(member)))
    if not meeting_ended(meeting):
        may |= NOTE_TAKER
    elif now < (meeting.ended_at or meeting.updated_at) + SYNC_GRACE:
        may |= SYNC
    if meeting.started_at is not None and may & (NOTE_TAKER | SYNC):
        may |= ONCE_STARTED
    return frozenset(may)


def _membership(meeting_id, user_id):
    return db.session.execute(
        db.select(MeetingMember).where(MeetingMember.meeting_id == meeting_id, MeetingMember.user_id == user_id)
    ).scalar_one_or_none()


def sign_out_ended_guest():
    """Sign out a guest (an account made from a code) whose every membership has ended."""
    user = g.get("user")
    if user is None or not user.guest:
        return
    members = db.session.execute(db.select(MeetingMember).where(MeetingMember.user_id == user.id)).scalars()
    if any(allowed(m) for m in members):
        return
    session.clear()
    g.user = None


def check(meeting, owner_only=False):
    """Let the signed-in partner use this request's endpoint of meeting, or abort.

    404: not theirs (never joined, or their access ended); 401: a guest whose
    access has all ended (signed out); 403: something only the parent may do,
    or (code meeting_ended, with its ended_at) the meeting has ended.
    """
    member = _membership(meeting.id, g.user.id)
    may = allowed(member) if member is not None else frozenset()
    if not may:
        sign_out_ended_guest()
        if g.user is None:
            abort(401, "Your access to that meeting has ended. Ask for a new code to join again.")
        abort(404, "No such meeting.")
    endpoint = request.endpoint if has_request_context() else None
    if owner_only or endpoint not in may:
        if not owner_only and endpoint in NOTE_TAKER and meeting_ended(meeting):
            # the partner's phone reads this as "the meeting has ended": notes close there, at the host's end time
            raise APIError(
                403, "meeting_ended", "The meeting has ended, so notes are closed. Thank you for taking them.",
                {"ended_at": _iso(meeting.ended_at or meeting.updated_at)},
            )
        abort(403, "Only the parent who shared this meeting can do that. You can take notes while it is on.")
    if endpoint in RECORDINGS:
        _check_own_recording()
    if endpoint == "api.post_events":
        _check_own_events()
    return member


def _check_own_recording():
    try:
        recording_id = str(uuid.UUID(str(request.view_args.get("recording_id"))))
    except ValueError:
        return  # not a recording id: the view answers 404
    recording = db.session.get(Recording, recording_id)
    if recording is not None and recording.device_id != RECORDED_BY + g.user.id:
        abort(403, "That recording was made on another phone.")


def _check_own_events():
    """A partner adds events and changes its own; the parent's (and anyone else's) are not theirs to change."""
    data = request.get_json(silent=True)
    events = data.get("events") if isinstance(data, dict) else None
    ids = set()
    for event in events if isinstance(events, list) else ():
        try:
            ids.add(str(uuid.UUID(str(event.get("id")))))
        except (AttributeError, ValueError):
            continue  # the batch is refused with the reason when it is validated
    if ids and db.session.execute(
        db.select(Event.id).where(Event.id.in_(ids), (Event.author_id != g.user.id) | Event.author_id.is_(None))
    ).first():
        abort(403, "You can change only the notes you took.")


def mark_recording(meeting, recording):
    """Mark a recording a partner declared as theirs (the only recordings they can reach)."""
    if meeting.owner_id != g.user.id:
        recording.device_id = RECORDED_BY + g.user.id


def limit_bundle(meeting, out):
    """Cut a meeting's bundle down to what a partner's meeting screen needs.

    The child's name (and jurisdiction and plan type, which name the roles and the
    plan's sections), the attendees, agenda, provision and targets the meeting
    reviews; not the child's date of birth, school, year group, plan date or the
    attendees' email addresses.
    """
    if meeting.owner_id == g.user.id:
        return out
    child = meeting.child
    out["child"] = {
        "id": child.id, "name": child.name, "jurisdiction": child.jurisdiction, "plan_type": child.plan_type,
        "school": None, "year_group": None, "plan_date": None, "date_of_birth": None,
    }
    for attendee in out["attendees"]:
        attendee["email"] = None  # for addressing the minutes, which are the parent's to send
    member = _membership(meeting.id, g.user.id)
    out["grants"] = grants_of(member) if member is not None else []
    return out


# --- the parent's view: who joined, when their access ends, and removing them ---


def get_member(meeting, member_id):
    member = db.session.get(MeetingMember, member_id)
    if member is None or member.meeting_id != meeting.id:
        raise APIError(404, "not_found", "No such partner in this meeting.")
    return member


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def member_dict(member):
    user = db.session.get(User, member.user_id)
    return {
        "id": member.id,
        "name": user.display_name or ("Partner" if user.guest else user.email),
        "email": None if user.guest else user.email,
        "guest": user.guest,
        "joined_at": _iso(member.created_at),
        "expires_at": _iso(member.expires_at),
        "grants": grants_of(member),
        "active": bool(allowed(member)),
        "join_code_id": member.join_code_id,
    }


def _time(value):
    if not isinstance(value, str):
        raise ValueError(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def update_member(member, data):
    """Set a partner's grants and when their access ends: {"grants": [...], "expires_at": ISO 8601 or null}."""
    fields, values = {}, {}
    if "grants" in data:
        grants = data["grants"]
        if isinstance(grants, list) and all(isinstance(name, str) and name in GRANTS for name in grants):
            values["grants"] = ",".join(sorted(set(grants))) or None
        else:
            fields["grants"] = "A list of: " + ", ".join(sorted(GRANTS)) + "."
    if "expires_at" in data:
        try:
            values["expires_at"] = None if data["expires_at"] is None else _time(data["expires_at"])
        except (ValueError, OverflowError):
            fields["expires_at"] = "An ISO 8601 time, or null: until the meeting ends."
    if fields:
        raise ValidationError(fields)
    for key, value in values.items():
        setattr(member, key, value)
    return member


def remove(member):
    """Remove a partner from the meeting: their access ends at once (a guest is signed out)."""
    db.session.delete(member)
