"""The JSON API under /api/v1 (the contract in DESIGN.md; described by /api/v1/openapi.json)."""
from flask import Blueprint
from flask import g
from flask import request

from .. import checker
from .. import deadlines
from .. import openapi
from .. import prep
from .. import rules
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


def body():
    """Return the request's JSON object, or raise a 400/415 in the one error shape."""
    if not request.is_json:
        raise APIError(415, "unsupported_media_type", "Send JSON with 'Content-Type: application/json'.")
    data = request.get_json(silent=True)
    if data is None:
        raise APIError(400, "malformed_json", "The request body is not valid JSON.")
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
    """Delete a child and everything recorded about them."""
    prep.delete(prep.get_child(child_id))
    db.session.commit()
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
    return prep.bundle(prep.get_meeting(meeting_id))


@bp.patch("/meetings/<meeting_id>")
def update_meeting(meeting_id):
    """Change a meeting's details."""
    meeting = prep.update_meeting(prep.get_meeting(meeting_id, owner_only=True), body(), partial=True)
    db.session.commit()
    return prep.meeting_dict(meeting)


@bp.delete("/meetings/<meeting_id>")
def delete_meeting(meeting_id):
    """Delete a meeting and everything captured in it."""
    prep.delete(prep.get_meeting(meeting_id, owner_only=True))
    db.session.commit()
    return "", 204


@bp.get("/meetings/<meeting_id>/timeline")
def meeting_timeline(meeting_id):
    """Return the statutory steps that follow from the meeting's type and date."""
    meeting = prep.get_meeting(meeting_id)
    steps = deadlines.timeline(meeting.kind, meeting.child.jurisdiction, prep.local_start(meeting).date())
    return {"steps": [s.to_dict() for s in steps]}


# --- attendees ---


@bp.post("/meetings/<meeting_id>/attendees")
def add_attendee(meeting_id):
    """Add a person expected at the meeting: {"name", "role"[, "organisation", "email"]}."""
    attendee = prep.add_attendee(prep.get_meeting(meeting_id, owner_only=True), body())
    return created(prep.attendee_dict(attendee))


@bp.patch("/meetings/<meeting_id>/attendees/<attendee_id>")
def update_attendee(meeting_id, attendee_id):
    """Change an attendee."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    attendee = prep.update_attendee(prep.get_attendee(meeting, attendee_id), body(), partial=True)
    db.session.commit()
    return prep.attendee_dict(attendee)


@bp.delete("/meetings/<meeting_id>/attendees/<attendee_id>")
def delete_attendee(meeting_id, attendee_id):
    """Remove an attendee."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.delete(prep.get_attendee(meeting, attendee_id))
    db.session.commit()
    return "", 204


# --- agenda ---


@bp.post("/meetings/<meeting_id>/agenda")
def add_agenda_item(meeting_id):
    """Add an ask to the end of the agenda: {"title", "detail"[, "outcome_sought", "parked"]}."""
    item = prep.add_agenda_item(prep.get_meeting(meeting_id, owner_only=True), body())
    return created(prep.agenda_dict(item))


@bp.patch("/meetings/<meeting_id>/agenda/<item_id>")
def update_agenda_item(meeting_id, item_id):
    """Change an agenda item."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    item = prep.update_agenda_item(prep.get_agenda_item(meeting, item_id), body(), partial=True)
    db.session.commit()
    return prep.agenda_dict(item)


@bp.delete("/meetings/<meeting_id>/agenda/<item_id>")
def delete_agenda_item(meeting_id, item_id):
    """Remove an agenda item."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.delete(prep.get_agenda_item(meeting, item_id))
    db.session.commit()
    return "", 204


@bp.put("/meetings/<meeting_id>/agenda/order")
def order_agenda(meeting_id):
    """Set the agenda's priority order: {"ids": [every item id, top priority first]}."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.reorder(meeting.agenda, body().get("ids"))
    db.session.commit()
    db.session.refresh(meeting)
    return {"agenda": [prep.agenda_dict(i) for i in sorted(meeting.agenda, key=lambda i: i.position)]}


# --- the child's plan, reached through a meeting ---


@bp.post("/meetings/<meeting_id>/targets")
def add_target(meeting_id):
    """Add a SMART target to the child's plan: {"text", "status"[, "evidence"]}."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    target = prep.add_target(meeting.child, body())
    return created(prep.target_dict(target))


@bp.patch("/meetings/<meeting_id>/targets/<target_id>")
def update_target(meeting_id, target_id):
    """Change a target (its status and evidence, usually)."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    target = prep.update_target(prep.get_target(meeting.child, target_id), body(), partial=True)
    db.session.commit()
    return prep.target_dict(target)


@bp.delete("/meetings/<meeting_id>/targets/<target_id>")
def delete_target(meeting_id, target_id):
    """Remove a target."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.delete(prep.get_target(meeting.child, target_id))
    db.session.commit()
    return "", 204


@bp.post("/meetings/<meeting_id>/provision")
def add_provision(meeting_id):
    """Add a provision line to the child's plan: {"text"[, "what", "who", "how_much", "how_often", "starts"]}."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    row = prep.add_provision(meeting.child, body())
    return created(prep.provision_dict(row))


@bp.patch("/meetings/<meeting_id>/provision/<provision_id>")
def update_provision(meeting_id, provision_id):
    """Change a provision line."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    row = prep.update_provision(prep.get_provision(meeting.child, provision_id), body(), partial=True)
    db.session.commit()
    return prep.provision_dict(row)


@bp.delete("/meetings/<meeting_id>/provision/<provision_id>")
def delete_provision(meeting_id, provision_id):
    """Remove a provision line."""
    meeting = prep.get_meeting(meeting_id, owner_only=True)
    prep.delete(prep.get_provision(meeting.child, provision_id))
    db.session.commit()
    return "", 204

