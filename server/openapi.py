"""The OpenAPI 3.1 document for /api/v1; a test checks it against the app's routes."""
import functools

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def _obj(required=(), **props):
    return {"type": "object", "required": list(required), "properties": props}


S = {"type": "string"}
NS = {"type": ["string", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}

SCHEMAS = {
    "Error": ERROR,
    "Child": _obj(
        ["id", "name", "jurisdiction"],
        id=S, name=S, school=NS, year_group=NS, plan_type={"enum": ["sen_support", "ehcp", "iep"]},
        jurisdiction={"enum": ["england", "us"]}, plan_date=DATE, date_of_birth=DATE,
    ),
    "ChildInput": _obj(
        ["name"], name=S, school=S, year_group=S, plan_type={"enum": ["sen_support", "ehcp", "iep"]},
        jurisdiction={"enum": ["england", "us"]}, plan_date={"type": "string", "format": "date"},
        date_of_birth={"type": "string", "format": "date"},
    ),
    "Meeting": _obj(
        ["id", "child_id", "kind", "starts_at"],
        id=S, child_id=S, kind=S, title=NS, starts_at=DATETIME, timezone=S, venue=NS, online=BOOL,
        plan_date=DATE, convener=NS, chair=NS, status={"enum": ["planned", "live", "ended"]},
    ),
    "MeetingInput": _obj(
        ["child_id", "kind", "starts_at"],
        child_id=S, kind={"type": "string", "description": "a meeting type id, e.g. ehcp_annual_review"},
        starts_at={"type": "string", "description": "ISO 8601; a naive time is read in `timezone`"},
        timezone={"type": "string", "default": "Europe/London"}, title=S, venue=S, online=BOOL,
        plan_date={"type": "string", "format": "date"}, convener=S, chair=S,
    ),
    "Attendee": _obj(
        ["id", "name", "role"],
        id=S, name=S, role={"type": "string", "description": "a role id from /rules/{jurisdiction}"},
        role_label=S, organisation=NS, email=NS, attendance=S, position=INT,
    ),
    "AttendeeInput": _obj(["name", "role"], name=S, role=S, organisation=S, email=S, attendance=S),
    "AgendaItem": _obj(
        ["id", "title", "position"],
        id=S, title=S, detail=NS, outcome_sought=NS, parked=BOOL, position=INT,
        provision_id=NS, target_id=NS, outcome=NS,
    ),
    "AgendaItemInput": _obj(
        ["title"], title=S, detail=S, outcome_sought=S, parked=BOOL, provision_id=S, target_id=S
    ),
    "Provision": _obj(
        ["id", "text"], id=S, section=NS, text=S, what=NS, who=NS, how_much=NS, how_often=NS, starts=NS,
        delivered=NS, position=INT,
    ),
    "ProvisionInput": _obj(["text"], text=S, section=S, what=S, who=S, how_much=S, how_often=S, starts=S),
    "Target": _obj(
        ["id", "text", "status"],
        id=S, text=S, status={"enum": ["current", "working_towards", "achieved", "obsolete"]},
        evidence=NS, baseline=NS, measured_by=NS, position=INT,
    ),
    "TargetInput": _obj(["text"], text=S, status=S, evidence=S, baseline=S, measured_by=S),
    "Event": _obj(
        ["id", "kind", "at_ms"],
        id={"type": "string", "format": "uuid", "description": "made on the device; the server upserts by it"},
        kind={"enum": ["note", "speaker", "agenda", "agreed", "refused", "action", "question", "quote", "bookmark",
                       "attendee", "consent", "target"]},
        at_ms={"type": "integer", "minimum": 0, "description": "ms since the meeting started (server-aligned clock)"},
        wall_time={"type": ["string", "null"], "format": "date-time"}, device_id=NS, author=NS,
        payload={"type": "object"}, version={"type": "integer", "minimum": 1}, deleted=BOOL,
    ),
    "Recording": _obj(
        ["id", "mime", "at_ms", "status", "chunks"],
        id=S, mime=S, at_ms=INT, device_id=NS, status={"enum": ["recording", "finished"]},
        chunks={"type": "array", "items": INT, "description": "the chunk numbers the server holds"},
    ),
    "JoinCode": _obj(
        ["id", "expires_at", "revoked"],
        id=INT, expires_at=DATETIME, revoked=BOOL,
        code={"type": "string", "description": "only in the answer that made it"}, url=S, qr_svg_data_url=S,
    ),
    "Flag": _obj(
        ["rule_id", "severity", "title", "explanation"],
        rule_id=S, severity=S, title=S, explanation=S, suggestion=NS, source=NS, verified=S,
        start={"type": ["integer", "null"]}, end={"type": ["integer", "null"]}, match=NS,
    ),
}


# other view modules add their own paths and schemas here (openapi.extend), at import time
_EXTRA_PATHS = {}


def extend(paths=None, schemas=None):
    """Add a view module's paths (relative to /api/v1) and component schemas to the document."""
    _EXTRA_PATHS.update(paths or {})
    SCHEMAS.update(schemas or {})
    document.cache_clear()


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def op(summary, *, body=None, ok=None, status="200", errors=("401", "404")):
    """Describe one operation: its request body schema, success schema and error statuses."""
    responses = {}
    if status == "204":
        responses["204"] = {"description": "Done"}
    else:
        responses[status] = {"description": "OK", **(_json(ok) if ok else {})}
    for code in errors:
        responses[code] = {"description": "Error", **_json(ref("Error"))}
    operation = {"summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


def _list(key, name):
    return _obj([key], **{key: {"type": "array", "items": ref(name)}})


WRITE_ERRORS = ("400", "401", "404", "415", "422")


def paths():
    """Return the paths object: every route of the API blueprint."""
    bundle = {
        "allOf": [
            ref("Meeting"),
            _obj(
                ["attendees", "agenda", "targets", "provision"],
                child=ref("Child"),
                attendees={"type": "array", "items": ref("Attendee")},
                agenda={"type": "array", "items": ref("AgendaItem")},
                targets={"type": "array", "items": ref("Target")},
                provision={"type": "array", "items": ref("Provision")},
            ),
        ]
    }
    m = "/meetings/{meeting_id}"
    return {
        "/openapi.json": {"get": op("This document", ok={"type": "object"}, errors=())},
        "/rules/{jurisdiction}": {
            "get": op("Roles, meeting types and wording rules for a jurisdiction", ok={"type": "object"})
        },
        "/check": {
            "post": op(
                "Check provision or target wording (advisory)",
                body=_obj(["text", "kind"], text=S, kind={"enum": ["provision", "target"]},
                          jurisdiction={"enum": ["england", "us"]}, child_name=S),
                ok=_list("flags", "Flag"), errors=("400", "401", "415", "422"),
            )
        },
        "/children": {
            "get": op("List the account's children", ok=_list("children", "Child"), errors=("401",)),
            "post": op("Add a child", body=ref("ChildInput"), ok=ref("Child"), status="201", errors=WRITE_ERRORS),
        },
        "/children/{child_id}": {
            "get": op("A child with their plan", ok=ref("Child")),
            "patch": op("Change a child", body=ref("ChildInput"), ok=ref("Child"), errors=WRITE_ERRORS),
            "delete": op("Delete a child and all their data", status="204"),
        },
        "/meetings": {
            "get": op("List the account's meetings", ok=_list("meetings", "Meeting"), errors=("401",)),
            "post": op("Create a meeting", body=ref("MeetingInput"), ok=ref("Meeting"), status="201",
                       errors=WRITE_ERRORS),
        },
        m: {
            "get": op("A meeting and its bundle for offline use", ok=bundle),
            "patch": op("Change a meeting", body=ref("MeetingInput"), ok=ref("Meeting"), errors=WRITE_ERRORS),
            "delete": op("Delete a meeting", status="204"),
        },
        m + "/timeline": {
            "get": op("Statutory steps that follow from the meeting's type and date", ok={"type": "object"})
        },
        m + "/attendees": {
            "post": op("Add an expected attendee", body=ref("AttendeeInput"), ok=ref("Attendee"), status="201",
                       errors=WRITE_ERRORS)
        },
        m + "/attendees/{row_id}": {
            "patch": op("Change an attendee", body=ref("AttendeeInput"), ok=ref("Attendee"), errors=WRITE_ERRORS),
            "delete": op("Remove an attendee", status="204"),
        },
        m + "/agenda": {
            "post": op("Add an ask (order = priority)", body=ref("AgendaItemInput"), ok=ref("AgendaItem"),
                       status="201", errors=WRITE_ERRORS)
        },
        m + "/agenda/order": {
            "put": op("Set the agenda's priority order",
                      body=_obj(["ids"], ids={"type": "array", "items": S}),
                      ok=_list("agenda", "AgendaItem"), errors=WRITE_ERRORS)
        },
        m + "/agenda/{row_id}": {
            "patch": op("Change an agenda item", body=ref("AgendaItemInput"), ok=ref("AgendaItem"),
                        errors=WRITE_ERRORS),
            "delete": op("Remove an agenda item", status="204"),
        },
        m + "/targets": {
            "post": op("Add a SMART target to the child's plan", body=ref("TargetInput"), ok=ref("Target"),
                       status="201", errors=WRITE_ERRORS)
        },
        m + "/targets/{row_id}": {
            "patch": op("Change a target", body=ref("TargetInput"), ok=ref("Target"), errors=WRITE_ERRORS),
            "delete": op("Remove a target", status="204"),
        },
        m + "/provision": {
            "post": op("Add a provision line to the child's plan", body=ref("ProvisionInput"),
                       ok=ref("Provision"), status="201", errors=WRITE_ERRORS)
        },
        m + "/provision/{row_id}": {
            "patch": op("Change a provision line", body=ref("ProvisionInput"), ok=ref("Provision"),
                        errors=WRITE_ERRORS),
            "delete": op("Remove a provision line", status="204"),
        },
        m + "/start": {
            "post": op("Start the meeting (the first start sets the shared clock origin)",
                       body=_obj([], started_at=DATETIME), ok=_obj(["started_at", "server_time"],
                                                                   started_at=DATETIME, server_time=DATETIME),
                       errors=WRITE_ERRORS)
        },
        m + "/end": {
            "post": op("End the meeting", body=_obj([], ended_at=DATETIME),
                       ok=_obj(["ended_at", "server_time"], ended_at=DATETIME, server_time=DATETIME),
                       errors=WRITE_ERRORS)
        },
        m + "/events": {
            "get": op("The timeline", ok=_obj(["events", "server_time"], events={"type": "array", "items": ref("Event")},
                                              server_time=DATETIME)),
            "post": op(
                "Upsert a batch of events (idempotent by id; all or nothing; 422 names each bad event in fields)",
                body=_obj(["events"], device_id=S, events={"type": "array", "items": ref("Event"), "maxItems": 500}),
                ok=_obj(["accepted", "server_time"], server_time=DATETIME,
                        accepted={"type": "array", "items": _obj(["id", "version"], id=S, version=INT)}),
                errors=("400", "401", "404", "409", "413", "415", "422"),
            ),
        },
        m + "/recordings/{recording_id}": {
            "get": op("A recording and the chunks the server holds", ok=ref("Recording")),
            "put": op("Declare a recording made on a device (idempotent)",
                      body=_obj(["mime"], mime=S, at_ms=INT, device_id=S), ok=ref("Recording"),
                      errors=("400", "401", "404", "409", "415", "422")),
        },
        m + "/recordings/{recording_id}/chunks/{seq}": {
            "put": {
                **op("Store one audio chunk (raw body; idempotent by recording and seq)",
                     ok=_obj(["seq", "size", "sha256"], seq=INT, size=INT, sha256=S),
                     errors=("400", "401", "404", "409", "413", "415")),
                "requestBody": {"required": True, "content": {"audio/*": {"schema": {"type": "string",
                                                                                       "format": "binary"}}}},
                "parameters": [{"name": "X-Content-SHA256", "in": "header", "required": False,
                                "schema": {"type": "string"}}],
            }
        },
        m + "/recordings/{recording_id}/finish": {
            "post": op("No more chunks: answer which are missing", body=_obj([], chunks=INT),
                       ok=_obj(["status", "missing"], status=S, missing={"type": "array", "items": INT}),
                       errors=WRITE_ERRORS)
        },
        m + "/join-codes": {
            "get": op("The meeting's join codes", ok=_list("join_codes", "JoinCode")),
            "post": op("Make a one-meeting join code for a partner's phone", body=_obj([], minutes=INT),
                       ok=ref("JoinCode"), status="201", errors=WRITE_ERRORS),
        },
        m + "/join-codes/{code_id}": {"delete": op("Revoke a join code and the access it gave", status="204")},
        "/join": {
            "post": op("Join a meeting with a code (signed-in account)", body=_obj(["code"], code=S),
                       ok=_obj(["meeting_id"], meeting_id=S), errors=("400", "401", "403", "415"))
        },
    }


@functools.cache
def document():
    """Return the OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Minuted API",
            "version": "1",
            "description": "Prepare, capture and minute SEN school meetings. Errors always have the shape "
            '{"error": {"code", "message"}}.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {**paths(), **_EXTRA_PATHS},
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "from `minuted token EMAIL`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "minuted_session"},
            },
        },
    }
