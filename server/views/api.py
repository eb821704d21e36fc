"""The JSON API under /api/v1 (the contract in DESIGN.md; described by /api/v1/openapi.json)."""
from flask import Blueprint
from flask import g
from flask import current_app
from flask import request

from .. import audio_store
from .. import auth
from .. import checker
from .. import deadlines
from .. import jobs
from .. import jsonbody
from .. import openapi
from .. import partners
from .. import prep
from .. import rules
from .. import timeline
from ..db import db
from ..errors import APIError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC = {"api.openapi_json"}


@bp.before_request
def require_login():
    """Every API call needs a session or a bearer token (except the OpenAPI document)."""
    if request.endpoint in PUBLIC:
        return
    if g.user is None:
        raise APIError(401, "unauthorized", "Sign in, or send an API token as 'Authorization: Bearer …'.")


def body(check_text=True):
    """Return the request's JSON object, or raise a 400/413/415/422 in the one error shape.

    The body was capped by size before it was read (server/__init__.py: limit_body); jsonbody.loads
    bounds its nesting, values, numbers and text (check_text=False: the caller checks NUL and surrogates).
    """
    if not request.is_json:
        raise APIError(415, "unsupported_media_type", "Send JSON with 'Content-Type: application/json'.")
    raw, limit = request.get_data(cache=True), request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # sent in chunks: werkzeug stops at the limit without a word, so a body that reached it went past it
        raise APIError(413, "too_large", f"The request body is too big: at most {limit} bytes.")
    data = jsonbody.loads(raw, check_text=check_text)
    if not isinstance(data, dict):
        raise APIError(400, "malformed_json", "Send a JSON object.")
    return data


def created(payload):
    db.session.commit()
    return payload, 201


@bp.get("/openapi.json")
def openapi_json():
    """Describe this API."""
    return openapi.document()


@bp.get("/rules/<jurisdiction>")
def jurisdiction_rules(jurisdiction):
    """Return the role list, meeting types and wording rules for a jurisdiction."""
    if jurisdiction not in rules.JURISDICTIONS:
        raise APIError(404, "not_found", "No such jurisdiction.")
    return {
        "jurisdiction": jurisdiction,
        "roles": rules.roles(jurisdiction),
        "meeting_types": rules.meeting_types(),
        "wording": rules.wording_rules(jurisdiction),
    }


@bp.post("/check")
def check_wording():
    """Check provision or target wording; advisory flags, never a refusal."""
    data = body()
    spec = {
        "text": prep.Field(required=True, max_len=4000),
        "kind": prep.Field(required=True, choices={"provision", "target"}),
        "jurisdiction": prep.Field(choices=set(rules.JURISDICTIONS)),
        "child_name": prep.Field(max_len=120),
    }
    values = prep.clean(data, spec)
    flags = checker.check(
        values["text"], values["kind"], values.get("jurisdiction") or "england", child_name=values.get("child_name")
    )
    return {"flags": [f.to_dict() for f in flags]}


# --- children ---


@bp.get("/children")
def list_children():
    """List the account's children."""
    return {"children": [prep.child_dict(c) for c in prep.children()]}


@bp.post("/children")
def create_child():
    """Add a child."""
    child = prep.create_child(body())
    return created(prep.child_dict(child))


@bp.get("/children/<child_id>")
def get_child(child_id):
    """Return a child with their plan (provision and targets)."""
    child = prep.get_child(child_id)
    out = prep.child_dict(child)
    out["provision"] = [prep.provision_dict(p) for p in child.provision]
    out["targets"] = [prep.target_dict(t) for t in child.targets]
    out["meetings"] = [prep.meeting_dict(m) for m in child.meetings]
    return out


@bp.patch("/children/<child_id>")
def update_child(child_id):
    """Change a child's details."""
    child = prep.update_child(prep.get_child(child_id), body(), partial=True)
    db.session.commit()
    return prep.child_dict(child)


@bp.delete("/children/<child_id>")
def delete_child(child_id):
    """Delete a child and everything recorded about them (audio files too)."""
    child = prep.get_child(child_id)
    meeting_ids = [m.id for m in child.meetings]
    prep.delete(child)
    db.session.commit()
    audio_store.purge(meeting_ids)
    return "", 204


# --- meetings ---


@bp.get("/meetings")
def list_meetings():
    """List the account's meetings."""
    return {"meetings": [prep.meeting_dict(m) for m in prep.meetings()]}


@bp.post("/meetings")
def create_meeting():
    """Create a meeting for a child."""
    meeting = prep.create_meeting(body())
    return created(prep.meeting_dict(meeting))


@bp.get("/meetings/<meeting_id>")
def get_meeting(meeting_id):
    """Return a meeting's bundle (attendees, agenda, provision, targets) for offline use."""
    meeting = prep.get_meeting(meeting_id)
    out = partners.limit_bundle(meeting, prep.bundle(meeting))
    out["can_share"] = meeting.child.user_id == g.user.id
    out["me"] = {"user_id": g.user.id}
    out["server_time"] = timeline.server_time()
    return out


@bp.patch("/meetings/<meeting_id>")
def update_meeting(meeting_id):
    """Change a meeting's details."""
    meeting = prep.update_meeting(prep.get_meeting(meeting_id, owner_only=True), body(), partial=True)
    db.session.commit()
    return prep.meeting_dict(meeting)


@bp.delete("/meetings/<meeting_id>")
def delete_meeting(meeting_id):
    """Delete a meeting and everything captured in it (audio files too)."""
    prep.delete(prep.get_meeting(meeting_id, owner_only=True))
    db.session.commit()
    audio_store.purge([meeting_id])
    return "", 204


@bp.get("/meetings/<meeting_id>/timeline")
def meeting_timeline(meeting_id):
    """Return the statutory steps that follow from the meeting's type and date."""
    meeting = prep.get_meeting(meeting_id)
    steps = deadlines.timeline(meeting.kind, meeting.child.jurisdiction, prep.local_start(meeting).date())
    return {"steps": [s.to_dict() for s in steps]}


# --- the parts of a meeting: attendees and agenda, and the child's plan reached through it ---


class Part:
    """How the API adds, changes and removes one kind of row that hangs off a meeting."""

    def __init__(self, owner, add, get, update, to_dict):
        self.owner = owner  # the meeting → what the row belongs to (the meeting, or the child's plan)
        self.add = add
        self.get = get
        self.update = update
        self.to_dict = to_dict

    def create_view(self, meeting_id):
        meeting = prep.get_meeting(meeting_id, owner_only=True)
        return created(self.to_dict(self.add(self.owner(meeting), body())))

    def update_view(self, meeting_id, row_id):
        meeting = prep.get_meeting(meeting_id, owner_only=True)
        row = self.update(self.get(self.owner(meeting), row_id), body(), partial=True)
        db.session.commit()
        return self.to_dict(row)

    def delete_view(self, meeting_id, row_id):
        meeting = prep.get_meeting(meeting_id, owner_only=True)
        prep.delete(self.get(self.owner(meeting), row_id))
        db.session.commit()
        return "", 204


PARTS = {
    "attendees": Part(lambda m: m, prep.add_attendee, prep.get_attendee, prep.update_attendee, prep.attendee_dict),
    "agenda": Part(lambda m: m, prep.add_agenda_item, prep.get_agenda_item, prep.update_agenda_item,
                   prep.agenda_dict),
    "targets": Part(lambda m: m.child, prep.add_target, prep.get_target, prep.update_target, prep.target_dict),
    "provision": Part(lambda m: m.child, prep.add_provision, prep.get_provision, prep.update_provision,
                      prep.provision_dict),
}
for _name, _part in PARTS.items():
    # POST …/<part> adds (201); PATCH …/<part>/<id> changes; DELETE …/<part>/<id> removes (204)
    bp.add_url_rule(f"/meetings/<meeting_id>/{_name}", f"add_{_name}", _part.create_view, methods=["POST"])
    bp.add_url_rule(f"/meetings/<meeting_id>/{_name}/<row_id>", f"update_{_name}", _part.update_view,
                    methods=["PATCH"])
    bp.add_url_rule(f"/meetings/<meeting_id>/{_name}/<row_id>", f"delete_{_name}", _part.delete_view,
                    methods=["DELETE"])


@bp.put("/meetings/<meeting_id>/agenda/order")
def order_agenda(meeting_id):
    """Set the agenda's priority order: {"ids": [every item id, top priority first]}."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.reorder(meeting.agenda, body().get("ids"))
    db.session.commit()
    db.session.refresh(meeting)
    return {"agenda": [prep.agenda_dict(i) for i in sorted(meeting.agenda, key=lambda i: i.position)]}


# --- meeting mode: start and end, the event timeline, audio, partners ---


def _time_field(data, field):
    try:
        return timeline._wall_time(data.get(field))
    except timeline.EventError:
        raise APIError(422, "invalid", f"'{field}' must be an ISO 8601 time from {prep.EARLIEST_YEAR} to "
                                       f"{prep.LATEST_YEAR}.", {field: "not a time"}) from None


@bp.post("/meetings/<meeting_id>/start")
def start_meeting(meeting_id):
    """Mark the meeting started; the first start wins, so every device shares one clock origin."""
    meeting = prep.get_meeting(meeting_id)
    started = _time_field(body(), "started_at") or timeline.now_utc()
    if meeting.started_at is None:
        meeting.started_at = started
        meeting.status = "live"
    db.session.commit()
    return {"started_at": prep.iso(meeting.started_at), "server_time": timeline.server_time()}


@bp.post("/meetings/<meeting_id>/end")
def end_meeting(meeting_id):
    """Mark the meeting ended."""
    meeting = prep.get_meeting(meeting_id)
    ended = _time_field(body(), "ended_at") or timeline.now_utc()
    meeting.ended_at = max(ended, meeting.ended_at) if meeting.ended_at else ended
    meeting.status = "ended"
    db.session.commit()
    return {"ended_at": prep.iso(meeting.ended_at), "server_time": timeline.server_time()}


@bp.post("/meetings/<meeting_id>/events")
def post_events(meeting_id):
    """Upsert a batch of events by their client ids (idempotent; all or nothing)."""
    meeting = prep.get_meeting(meeting_id)
    accepted = timeline.apply_batch(meeting, body(check_text=False))  # each event's text is checked by itself
    db.session.commit()
    return {"accepted": accepted, "server_time": timeline.server_time()}


@bp.get("/meetings/<meeting_id>/events")
def get_events(meeting_id):
    """Return the meeting's timeline."""
    meeting = prep.get_meeting(meeting_id)
    return {"events": [timeline.event_dict(e) for e in timeline.events(meeting)], "server_time": timeline.server_time()}


@bp.put("/meetings/<meeting_id>/recordings/<recording_id>")
def declare_recording(meeting_id, recording_id):
    """Declare a recording made on a device: {"mime", "at_ms"} (idempotent by id)."""
    meeting = prep.get_meeting(meeting_id)
    recording, created = audio_store.declare(meeting, recording_id, body())
    if created:
        partners.mark_recording(meeting, recording)
    db.session.commit()
    return audio_store.recording_dict(recording), 201 if created else 200


@bp.get("/meetings/<meeting_id>/recordings/<recording_id>")
def get_recording(meeting_id, recording_id):
    """Return a recording and the chunk numbers the server holds."""
    meeting = prep.get_meeting(meeting_id)
    return audio_store.recording_dict(audio_store.get_recording(meeting, recording_id))


@bp.put("/meetings/<meeting_id>/recordings/<recording_id>/chunks/<int:seq>")
def put_chunk(meeting_id, recording_id, seq):
    """Store one audio chunk (raw body), idempotent by (recording, seq)."""
    meeting = prep.get_meeting(meeting_id)
    recording = audio_store.get_recording(meeting, recording_id)
    limit = current_app.config["MAX_CHUNK_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise APIError(413, "too_large", "That chunk is too big.")
    data = request.stream.read(limit + 1)
    chunk, created = audio_store.store_chunk(
        recording, seq, data, request.headers.get("Content-Type", ""), request.headers.get("X-Content-SHA256")
    )
    db.session.commit()
    if created:
        jobs.request_transcription(recording)
    return {"seq": chunk.seq, "size": chunk.size, "sha256": chunk.sha256}, 201 if created else 200


@bp.post("/meetings/<meeting_id>/recordings/<recording_id>/finish")
def finish_recording(meeting_id, recording_id):
    """Say no more chunks are coming; answer which are still missing."""
    meeting = prep.get_meeting(meeting_id)
    recording = audio_store.get_recording(meeting, recording_id)
    data = body() if request.content_length else {}
    missing, missing_count = audio_store.finish(recording, data.get("chunks"))
    db.session.commit()
    if recording.status == "finished" and recording.chunks:
        jobs.request_transcription(recording)  # the final pass
    return {"status": recording.status, "missing": missing, "missing_count": missing_count}


@bp.get("/meetings/<meeting_id>/join-codes")
def list_join_codes(meeting_id):
    """List the meeting's join codes (the codes themselves are shown only when made)."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    return {"join_codes": [partners.code_dict(c) for c in meeting.join_codes]}


@bp.post("/meetings/<meeting_id>/join-codes")
def create_join_code(meeting_id):
    """Make a one-meeting join code for a partner's phone: {"minutes": 240}."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    data = body() if request.content_length else {}
    row, code = partners.create_code(meeting, data.get("minutes", 240))
    return created(partners.code_dict(row, code))


@bp.delete("/meetings/<meeting_id>/join-codes/<int:code_id>")
def revoke_join_code(meeting_id, code_id):
    """Revoke a join code and the access it gave."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    partners.revoke(meeting, code_id)
    db.session.commit()
    return "", 204


@bp.post("/join")
def join_meeting():
    """Join a meeting with a code: {"code"} (for an account that is already signed in)."""
    auth.limit_tries("join")  # failed tries per address, in the database (server/auth.py)
    row = partners.find_code(body().get("code"))
    partners.join(row, g.user)
    db.session.commit()
    return {"meeting_id": row.meeting_id}


# --- who joined: the parent sees the partners let in, removes them or grants them more ---


@bp.get("/meetings/<meeting_id>/members")
def list_members(meeting_id):
    """List the partners who joined the meeting: when their access ends, any grants, and whether it is on now."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    return {"members": [partners.member_dict(m) for m in meeting.members], "grants": partners.GRANTS}


@bp.patch("/meetings/<meeting_id>/members/<int:member_id>")
def update_member(meeting_id, member_id):
    """Change a partner's access: {"grants": ["minutes", "end"], "expires_at": ISO 8601, or null: the meeting's end}."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    member = partners.update_member(partners.get_member(meeting, member_id), body())
    db.session.commit()
    return partners.member_dict(member)


@bp.delete("/meetings/<meeting_id>/members/<int:member_id>")
def remove_member(meeting_id, member_id):
    """Remove a partner from the meeting: their access ends at once."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    partners.remove(partners.get_member(meeting, member_id))
    db.session.commit()
    return "", 204


_MEMBER = openapi._obj(
    ["id", "name", "guest", "grants", "active"],
    id=openapi.INT, name=openapi.S, email=openapi.NS, guest=openapi.BOOL,
    joined_at=openapi.DATETIME, expires_at={"type": ["string", "null"], "format": "date-time"},
    grants={"type": "array", "items": {"enum": sorted(partners.GRANTS)}},
    active={"type": "boolean", "description": "whether their access is on now"},
    join_code_id={"type": ["integer", "null"]},
)
openapi.extend(
    paths={
        "/meetings/{meeting_id}/members": {
            "get": openapi.op("The partners who joined the meeting (the parent only)", ok=openapi._obj(
                ["members"], members={"type": "array", "items": openapi.ref("Member")},
                grants={"type": "object", "additionalProperties": openapi.S}), errors=("401", "403", "404")),
        },
        "/meetings/{meeting_id}/members/{member_id}": {
            "patch": openapi.op(
                "Set a partner's grants (minutes: read and edit the minutes; end: start and end the meeting) and "
                "when their access ends (null: when the meeting ends)",
                body=openapi._obj([], grants={"type": "array", "items": {"enum": sorted(partners.GRANTS)}},
                                  expires_at={"type": ["string", "null"], "format": "date-time"}),
                ok=openapi.ref("Member"), errors=openapi.WRITE_ERRORS + ("403",)),
            "delete": openapi.op("Remove a partner: their access ends at once", status="204",
                                 errors=("401", "403", "404")),
        },
    },
    schemas={"Member": _MEMBER},
)
