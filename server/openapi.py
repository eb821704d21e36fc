"""The OpenAPI 3.1 document for /api/v1, generated from the app's routes.

Every route under /api/v1 appears, with its path parameters typed by its
converters; view modules describe bodies and answers with op() (here in
paths(), or in their own module through extend()). A route nobody described
still appears, with its parameters and a plain success answer.
"""
import copy
import re

from flask import current_app

from . import audio_store
from . import rules

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
_generation = 0  # bumped by extend(): a document built before is stale


def extend(paths=None, schemas=None):
    """Add a view module's paths (relative to /api/v1) and component schemas to the document."""
    global _generation
    for path, operations in (paths or {}).items():
        _EXTRA_PATHS.setdefault(path, {}).update(operations)  # per method: a path may be shared between modules
    SCHEMAS.update(schemas or {})
    _generation += 1


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def op(summary, *, body=None, ok=None, status="200", errors=("401", "404"), also=(), body_required=True):
    """Describe one operation: its request body schema, success schema and error statuses.

    also: other success statuses answering the same schema (an idempotent PUT: 201 made, 200 already there);
    body_required=False: a request with no body at all is read as {}.
    """
    responses = {}
    if status == "204":
        responses["204"] = {"description": "Done"}
    else:
        for code in (status, *also):
            responses[code] = {"description": "Created" if code == "201" else "OK", **(_json(ok) if ok else {})}
    for code in errors:
        responses[code] = {"description": "Error", **_json(ref("Error"))}
    operation = {"summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": body_required, **_json(body)}
    return operation


def partial(name):
    """The input schema `name` for a PATCH: the same fields, none of them required."""
    return {**SCHEMAS[name], "required": []}


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
        "/openapi.json": {"get": {**op("This document (public: it holds no data)", ok={"type": "object"}, errors=()),
                                  "security": []}},
        "/rules/{jurisdiction}": {
            "get": {**op("Roles, meeting types and wording rules for a jurisdiction", ok={"type": "object"}),
                    "parameters": [{"name": "jurisdiction", "in": "path", "required": True,
                                    "schema": {"type": "string", "enum": list(rules.JURISDICTIONS)}}]}
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
            "post": op("Add a child (not for a guest account made from a join code: 403)", body=ref("ChildInput"),
                       ok=ref("Child"), status="201", errors=WRITE_ERRORS + ("403",)),
        },
        "/children/{child_id}": {
            "get": op("A child with their plan", ok=ref("Child")),
            "patch": op("Change a child", body=partial("ChildInput"), ok=ref("Child"), errors=WRITE_ERRORS),
            "delete": op("Delete a child and all their data", status="204"),
        },
        "/meetings": {
            "get": op("List the account's meetings", ok=_list("meetings", "Meeting"), errors=("401",)),
            "post": op("Create a meeting (not for a guest account made from a join code: 403)",
                       body=ref("MeetingInput"), ok=ref("Meeting"), status="201", errors=WRITE_ERRORS + ("403",)),
        },
        m: {
            "get": op("A meeting and its bundle for offline use", ok=bundle),
            "patch": op("Change a meeting", body=partial("MeetingInput"), ok=ref("Meeting"), errors=WRITE_ERRORS),
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
            "patch": op("Change an attendee", body=partial("AttendeeInput"), ok=ref("Attendee"), errors=WRITE_ERRORS),
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
            "patch": op("Change an agenda item", body=partial("AgendaItemInput"), ok=ref("AgendaItem"),
                        errors=WRITE_ERRORS),
            "delete": op("Remove an agenda item", status="204"),
        },
        m + "/targets": {
            "post": op("Add a SMART target to the child's plan", body=ref("TargetInput"), ok=ref("Target"),
                       status="201", errors=WRITE_ERRORS)
        },
        m + "/targets/{row_id}": {
            "patch": op("Change a target", body=partial("TargetInput"), ok=ref("Target"), errors=WRITE_ERRORS),
            "delete": op("Remove a target", status="204"),
        },
        m + "/provision": {
            "post": op("Add a provision line to the child's plan", body=ref("ProvisionInput"),
                       ok=ref("Provision"), status="201", errors=WRITE_ERRORS)
        },
        m + "/provision/{row_id}": {
            "patch": op("Change a provision line", body=partial("ProvisionInput"), ok=ref("Provision"),
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
            "delete": op("Delete one recording: its audio, chunks, transcript and what was drawn from it "
                         "(the parent only; 409 while it is being transcribed)", status="204",
                         errors=("401", "403", "404", "409")),
            "put": {
                **op("Declare a recording made on a device (idempotent by id: 201 made, 200 already there)",
                     body=_obj(["mime"], mime={"type": "string", "enum": sorted(audio_store.MIME_TYPES),
                                               "description": "parameters (;codecs=…) are allowed"},
                               at_ms={"type": "integer", "minimum": 0}, device_id=S),
                     ok=ref("Recording"), also=("201",), errors=("400", "401", "404", "409", "415", "422")),
                "parameters": [{"name": "recording_id", "in": "path", "required": True,
                                "description": "a UUID made on the device (another id is a 404)",
                                "schema": {"type": "string", "format": "uuid"}}],
            },
        },
        m + "/recordings/{recording_id}/chunks/{seq}": {
            "put": {
                **op("Store one audio chunk (raw body in the recording's media type; idempotent by recording "
                     "and seq: 201 stored, 200 already there with the same bytes)",
                     ok=_obj(["seq", "size", "sha256"], seq=INT, size=INT, sha256=S), also=("201",),
                     errors=("400", "401", "404", "409", "413", "415")),
                "requestBody": {"required": True, "content": {
                    mime: {"schema": {"type": "string", "format": "binary"}} for mime in sorted(audio_store.MIME_TYPES)
                }},
                "parameters": [{"name": "X-Content-SHA256", "in": "header", "required": False,
                                "schema": {"type": "string"}}],
            }
        },
        m + "/recordings/{recording_id}/finish": {
            "post": op("No more chunks: answer which are missing (chunks: how many were made)",
                       body=_obj([], chunks=INT), body_required=False,
                       ok=_obj(["status", "missing"], status=S, missing={"type": "array", "items": INT},
                               missing_count=INT),
                       errors=WRITE_ERRORS)
        },
        m + "/join-codes": {
            "get": op("The meeting's join codes", ok=_list("join_codes", "JoinCode")),
            "post": op("Make a one-meeting join code for a partner's phone (minutes: how long it lasts, "
                       "default 240)", body=_obj([], minutes=INT), body_required=False,
                       ok=ref("JoinCode"), status="201", errors=WRITE_ERRORS),
        },
        m + "/join-codes/{code_id}": {"delete": op("Revoke a join code and the access it gave", status="204")},
        "/join": {
            "post": op("Join a meeting with a code (signed-in account); failed tries are limited per address",
                       body=_obj(["code"], code=S), ok=_obj(["meeting_id"], meeting_id=S),
                       errors=("400", "401", "403", "415", "422", "429"))
        },
    }


def described():
    """Return the hand-written descriptions: {path relative to /api/v1: {method: operation}}."""
    out = paths()
    for path, operations in _EXTRA_PATHS.items():
        out.setdefault(path, {}).update(operations)
    return out


# --- the document, generated from the app's routes -----------------------------------------------

PREFIX = "/api/v1"
WRITES = {"post", "put", "patch", "delete"}
# what each error status means in this API (every one answers the Error shape)
ERROR_TEXT = {
    "400": "Malformed request: the body is not a JSON object, or a required part is missing",
    "401": "Not signed in, or the API token is not valid: send 'Authorization: Bearer <token>' or a session cookie",
    "403": "Not allowed for this account: e.g. a partner who joined with a code, asking what only the parent may",
    "4XX": "Refused, in the one error shape (not described in detail yet)",
    "404": "No such resource, or not one this account can see",
    "409": "Conflicts with the current state",
    "413": "The request body is too large",
    "415": "The body is not of a media type this operation accepts",
    "422": "Some fields need attention: error.fields names each",
    "429": "Too many failed tries from this address: wait the Retry-After seconds",
    "502": "The mail server refused the message",
    "503": "Sending mail is not configured",
}
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule):
    """Return a Flask rule (e.g. /api/v1/x/<int:seq>) as an OpenAPI path relative to /api/v1 (/x/{seq})."""
    return _RULE_ARG.sub(r"{\1}", rule[len(PREFIX):])


def _converter_schema(converter):
    """Return the JSON schema of the values a werkzeug converter matches."""
    from werkzeug.routing import converters as c

    if isinstance(converter, c.AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    if isinstance(converter, c.NumberConverter):
        schema = {"type": "integer" if isinstance(converter, c.IntegerConverter) else "number"}
        if converter.min is not None or not converter.signed:
            schema["minimum"] = converter.min if converter.min is not None else 0
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    if isinstance(converter, c.UUIDConverter):
        return {"type": "string", "format": "uuid"}
    return {"type": "string", "pattern": f"^{converter.regex}$"}


def _path_parameters(rule):
    """Declare each of the rule's variables, in the order they appear, typed by its converter."""
    return [
        {"name": name, "in": "path", "required": True, "schema": _converter_schema(rule._converters[name])}
        for name in _RULE_ARG.findall(rule.rule)
    ]


def _error(status):
    return {"description": ERROR_TEXT.get(status, "Error"), **_json(ref("Error"))}


def _undescribed(view):
    """An operation nobody has described yet: what the route itself tells (its parameters, its docstring)."""
    doc = (view.__doc__ or "").strip().splitlines()
    return {
        "summary": doc[0] if doc else "Not described yet",
        "responses": {"2XX": {"description": "Success (not described yet)"}, "4XX": {}},
    }


def _operation(app, rule, method, operation):
    """Complete one operation with what every route of the API shares: parameters, security, errors."""
    operation = copy.deepcopy(operation) if operation else _undescribed(app.view_functions[rule.endpoint])
    responses = operation.setdefault("responses", {})
    declared = {(p["name"], p["in"]): p for p in operation.get("parameters", [])}
    params = [declared.pop((p["name"], "path"), p) for p in _path_parameters(rule)]
    if params or declared:
        operation["parameters"] = params + list(declared.values())
    public = operation.get("security") == []
    if not public:
        operation["security"] = [{"bearer": []}, {"session": [], "csrf": []} if method in WRITES else {"session": []}]
        responses.setdefault("401", {})
    if params:
        responses.setdefault("404", {})  # a path that names nothing this account can see
    if any(p["name"] == "meeting_id" for p in params):
        responses.setdefault("403", {})  # prep.get_meeting → partners.check: a partner past what it may do
    body = operation.get("requestBody")
    if body:
        responses.setdefault("413", {})  # MAX_CONTENT_LENGTH, for every body
        if "application/json" in body.get("content", {}):
            # api.body: 400 not JSON or not an object, 415 not sent as JSON, 422 past jsonbody's bounds
            for status in ("400", "415", "422"):
                responses.setdefault(status, {})
    for status, response in list(responses.items()):
        if not status.startswith(("4", "5")):
            continue
        if "content" not in response:
            responses[status] = response = {**_error(status), **response}
        if response.get("description") == "Error":
            response["description"] = ERROR_TEXT.get(status, "Error")
        if status == "429":
            response.setdefault("headers", {"Retry-After": {"description": "seconds to wait before trying again",
                                                            "schema": {"type": "integer"}}})
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _operation_ids(operations):
    """Name each operation after its view; add the method or the blueprint only where names would clash."""
    names = {}
    for path, method, endpoint in operations:
        names.setdefault(endpoint.rsplit(".", 1)[-1], []).append((path, method, endpoint))
    ids = {}
    for name, users in names.items():
        for path, method, endpoint in users:
            if len(users) == 1:
                ids[path, method] = name
            elif len({e for _, _, e in users}) == len(users):
                ids[path, method] = endpoint.replace(".", "_")
            else:
                ids[path, method] = f"{endpoint.replace('.', '_')}_{method}"
    return ids


def _build(app):
    written = described()
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((openapi_path(rule.rule), method.lower(), rule))
    out = {}
    for path, method, rule in sorted(found, key=lambda f: (f[0], f[1])):
        out.setdefault(path, {})[method] = _operation(app, rule, method, written.get(path, {}).get(method))
    ids = _operation_ids([(path, method, rule.endpoint) for path, method, rule in found])
    for path, operations in out.items():
        for method, operation in operations.items():
            operation["operationId"] = ids[path, method]
    return out


def document(app=None):
    """Return the OpenAPI document of app (default: the current app): every route under /api/v1.

    Each route appears with its path parameters (from its converters), security and the errors
    every route shares; what view modules wrote with op()/extend() adds bodies, answers and summaries.
    """
    app = app or current_app._get_current_object()
    key = (_generation, len(app.url_map._rules))  # stale after extend() or a new route
    cached = app.extensions.get("minuted_openapi")
    if cached and cached[0] == key:
        return cached[1]
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Minuted API",
            "version": "1",
            "description": "Prepare, capture and minute SEN school meetings. Errors always have the shape "
            '{"error": {"code", "message"[, "fields"]}}. Send an API token (`minuted token EMAIL`) as '
            "'Authorization: Bearer …'; pages use the session cookie, whose writes also need the page's "
            "CSRF token in 'X-CSRFToken'.",
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": _build(app),
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "from `minuted token EMAIL`"},
                "session": {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"],
                            "description": "the signed-in session of the pages"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                         "description": "the page's CSRF token (meta csrf-token); writes with the session cookie "
                         "need it, writes with a bearer token do not"},
            },
        },
    }
    app.extensions["minuted_openapi"] = (key, doc)
    return doc
