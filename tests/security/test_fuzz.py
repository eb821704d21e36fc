"""Malformed input on every JSON route: never a 5xx, always the one error shape, nothing half-stored (issue 18).

Every POST/PUT/PATCH route under /api/v1 is found from app.url_map; its path
ids come from the scripted meeting (tests/data/minutes). Each route gets the
whole-body battery (nesting 100,000 deep, NaN, huge numbers, not JSON, the
wrong content type, no body, ...) and, field by field in a body it would
accept, each bad value (lone surrogates, NUL, integers past 2**63, dates in
year 1 or 9999, the wrong types, very long text, address tricks). No answer
may be a 5xx; every 4xx must be {"error": {"code", "message"[, "fields"]}};
and a refused request must leave every table as it was.
"""
import copy
import json
import sqlite3
import uuid
from contextlib import closing

import pytest

import minutes_scripted
from server.db import db

# routes that take raw bytes, not JSON (audio); everything else that takes a body takes JSON
RAW_BODY = {"api.put_chunk", "transcripts.upload"}
LONG = "x" * 100_000
# raw JSON text, so a lone surrogate and a number past 64 bits reach the server exactly as written:
# what every field gets, then more by the kind of value the field holds in a body the route accepts
BAD_ANY = ['"\\ud800"', '"a\\u0000b"', str(2**70), '"true"', "true", '["a", 1]', '{"a": {"b": 1}}', "null", "1.5"]
BAD_BY_TYPE = {
    str: ['"a\\udfffb"', '""', json.dumps(LONG), '"0001-01-01T00:00:00Z"', '"9999-12-31"', '"+275760-09-13"',
          '"9999-12-31T23:59:59-12:00"', '"../../../etc/passwd"', '"a@school.org, b@evil.example"',
          '"a@school.org\\r\\nBcc: b@evil.example"', '"Ms K <k@school.org>"'],
    int: [str(-(2**70)), str(2**63), "-1"],
    bool: ['"false"', "0"],
    list: ["[]", json.dumps(["k@school.org"] * 1000)],
    dict: ["[]"],
}
BAD_BY_TYPE[type(None)] = BAD_BY_TYPE[str]  # a nullable field: often a date
WHOLE_BODIES = [
    ("application/json", b"[" * 100_000),
    ("application/json", b'{"a":' * 100_000),
    ("application/json", b"[" * 50_000 + b"]" * 50_000),
    ("application/json", b"{" * 10),
    ("application/json", b'"\\ud800"'),
    ("application/json", b'{"\\ud800": 1}'),
    ("application/json", str(2**70).encode()),
    ("application/json", b"NaN"),
    ("application/json", b'{"a": Infinity}'),
    ("application/json", b"1" * 10_000),
    ("application/json", b"[]"),
    ("application/json", b"null"),
    ("application/json", b""),
    ("application/json", b"this is not JSON"),
    ("application/json", b"\xff\xfe{\x00}\x00"),
    ("application/json", b'{"a": "\xed\xa0\x80"}'),  # a surrogate encoded in the bytes: not UTF-8
    ("text/plain", b'{"a": 1}'),
    ("application/x-www-form-urlencoded", b"a=1&b=2"),
    (None, b'{"a": 1}'),
]


def event(**fields):
    return {"id": str(uuid.uuid4()), "kind": "note", "at_ms": 1000, "wall_time": "2026-12-01T09:31:00Z",
            "device_id": "phone-1", "version": 1, "deleted": False, "payload": {"text": "She said yes."}, **fields}


def templates(ids):
    """A body each route would accept, keyed by endpoint; every field is then spoilt in turn."""
    a, t, p = ids["attendee"], ids["target"], ids["provision"]
    attendee = {"name": "Ms K", "role": "senco", "organisation": "Oak", "email": "k@school.org",
                "attendance": "present"}
    agenda = {"title": "Reading", "detail": "1:1", "outcome_sought": "Back", "parked": False, "provision_id": p,
              "target_id": t}
    target = {"text": "Read 40 words", "status": "current", "evidence": "e", "baseline": "b", "measured_by": "m"}
    provision = {"text": "Phonics", "section": "F", "what": "w", "who": "TA", "how_much": "30m", "how_often": "daily",
                 "starts": "now", "delivered": "yes"}
    child = {"name": "S.J.", "school": "Oak", "year_group": "Y4", "plan_type": "ehcp", "jurisdiction": "england",
             "plan_date": "2026-01-10", "date_of_birth": "2017-05-01"}
    meeting = {"kind": "ehcp_annual_review", "title": "Review", "starts_at": "2026-12-01T09:30:00Z",
               "timezone": "Europe/London", "venue": "Oak", "online": False, "plan_date": "2026-01-10",
               "convener": "Ms K", "chair": "Mr H"}
    send = {"to": ["k@school.org"], "cc": [], "copy_me": False}
    return {
        "api.check_wording": {"text": "Sam will have support", "kind": "provision", "jurisdiction": "england",
                              "child_name": "Sam"},
        "api.create_child": child,
        "api.update_child": child,
        "api.create_meeting": {"child_id": ids["child"], **meeting},
        "api.update_meeting": {**meeting, "started_at": "2026-12-01T09:31:00Z", "ended_at": "2026-12-01T10:40:00Z"},
        "api.add_attendees": attendee,
        "api.update_attendees": attendee,
        "api.add_agenda": agenda,
        "api.update_agenda": agenda,
        "api.add_targets": target,
        "api.update_targets": target,
        "api.add_provision": provision,
        "api.update_provision": provision,
        "api.order_agenda": {"ids": ids["agenda_order"]},
        "api.start_meeting": {"started_at": "2026-12-01T09:31:00Z"},
        "api.end_meeting": {"ended_at": "2026-12-01T10:40:00Z"},
        "api.post_events": {"device_id": "phone-1", "events": [
            event(kind="attendee", payload={"name": "Mr New", "role": "senco"}),
            event(kind="action", payload={"text": "Send the report", "owner": a, "due": "2027-01-15"}),
            event(kind="consent", payload={"attendee_id": a, "given": True}),
        ]},
        "api.declare_recording": {"mime": "audio/webm", "at_ms": 0, "device_id": "phone-1"},
        "api.finish_recording": {"chunks": 2},
        "api.create_join_code": {"minutes": 240},
        "api.join_meeting": {"code": "ABCD-EFGH"},
        "api.update_member": {"grants": ["minutes"], "expires_at": None},
        "transcripts.edit_segment": {"speaker_label": "Mrs K", "all": False},
        "transcripts.retry": {},
        "minutes.decide_suggestion": {"text": "They said no.", "who": a, "due": "2027-01-15"},
        "minutes.redraft": {"replace": [], "dry_run": True},
        "minutes.edit_minutes": {"markdown": "# Notes\n\nEdited.", "base_version": 1},
        "minutes.preview": {"markdown": "# Notes"},
        "minutes.send_minutes": {"version": 1, **send},
        "minutes.log_handoff": {"channel": "copy", "version": 1, "recipients": ["k@school.org"]},
        "minutes.send_letter": {"subject": "Follow-up", "markdown": "Dear K,\n\nThanks.", **send},
        "minutes.save_letter": {"subject": "Follow-up", "markdown": "Dear K,\n\nThanks.", "base_version": None},
        "minutes.send_agenda": {**send},
    }


def paths(value, prefix=()):
    """Every place in a JSON value a field can be spoilt, with the value there: dict values and list items, nested."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key), child
        yield from paths(child, (*prefix, key))


MARK = "\u2063SPOILT\u2063"


def spoil(template, path, raw):
    """Return the template as JSON text with the value at path replaced by the raw JSON text raw."""
    data = copy.deepcopy(template)
    node = data
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = MARK
    text = json.dumps(data)
    assert text.count(json.dumps(MARK)) == 1
    return text.replace(json.dumps(MARK), raw).encode()


@pytest.fixture
def scene(app, parent, other_parent):
    """The scripted meeting, a partner who joined it, and the ids every route's path needs."""
    app.config["MAIL_BACKEND"] = "memory"
    mid = minutes_scripted.load(app, parent.email)
    bundle = parent.api("GET", f"/meetings/{mid}").json
    code = parent.api("POST", f"/meetings/{mid}/join-codes", {"minutes": 240}).json["code"]
    other_parent.api("POST", "/join", {"code": code})
    members = parent.api("GET", f"/meetings/{mid}/members")
    member = members.json["members"][0]["id"] if members.status_code == 200 and members.json["members"] else 1
    segments = parent.api("GET", f"/meetings/{mid}/transcript").json
    segment_rows = segments.get("segments") or segments.get("utterances") or [{"id": 1}]
    suggestions = parent.api("GET", f"/meetings/{mid}/suggestions").json["suggestions"]
    letters = parent.api("GET", f"/meetings/{mid}/letters").json["letters"]
    ids = {
        "meeting": mid, "child": bundle["child"]["id"], "attendee": bundle["attendees"][0]["id"],
        "agenda": bundle["agenda"][0]["id"], "target": bundle["targets"][0]["id"],
        "provision": bundle["provision"][0]["id"], "agenda_order": [i["id"] for i in bundle["agenda"]],
    }
    recording = str(uuid.uuid5(uuid.NAMESPACE_URL, f"x:{minutes_scripted.SCRIPT['recording']['id']}"))
    rows = {"attendees": ids["attendee"], "agenda": ids["agenda"], "targets": ids["target"],
            "provision": ids["provision"]}

    def path_args(rule):
        """Fill the rule's arguments; a fresh recording id for a declaration, so each one is validated."""
        part = rule.rule.split("/")[5] if rule.rule.count("/") > 5 else None
        values = {
            "meeting_id": mid, "child_id": ids["child"], "row_id": rows.get(part), "member_id": member,
            "segment_id": segment_rows[0]["id"], "suggestion_id": suggestions[0]["id"] if suggestions else "none",
            "decision": "accept", "letter_id": letters[0]["id"] if letters else "none",
            "recording_id": str(uuid.uuid4()) if rule.endpoint == "api.declare_recording" else recording,
        }
        missing = set(rule.arguments) - {k for k, v in values.items() if v is not None}
        assert not missing, f"{rule.rule}: give test_fuzz an id for {sorted(missing)}"
        return {k: values[k] for k in rule.arguments}

    return mid, ids, path_args


def json_routes(app):
    routes = [
        r for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/") and r.methods & {"POST", "PUT", "PATCH"} and r.endpoint not in RAW_BODY
    ]
    assert len(routes) >= 30
    return sorted(routes, key=lambda r: r.rule)


# a log of sign-in and join-code attempts for the rate limit: written before a body is read, on purpose
NOT_DATA = {"login_attempt"}


def fingerprint(app):
    """Every table's row count, the events' versions, and the rows of children, meetings and attendees."""
    with app.app_context():
        tables = sorted(set(db.metadata.tables) - NOT_DATA)
    counts = ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
    # straight from the SQLite file: a fingerprint per request has to be cheap
    with closing(sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"))) as con:
        state = con.execute(f"SELECT {counts}, (SELECT sum(version) FROM event)").fetchone()
        rows = [con.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in ("child", "meeting", "attendee")]
    return state, rows


def check(response, what, failures):
    """A 4xx has the one error shape; a 5xx is a failure."""
    if response.status_code >= 500:
        failures.append(f"{what}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    elif response.status_code >= 400:
        body = response.get_json(silent=True)
        ok = (
            isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)
            and set(body["error"]) <= {"code", "message", "fields"}
            and isinstance(body["error"].get("code"), str) and isinstance(body["error"].get("message"), str)
            and isinstance(body["error"].get("fields", {}), dict)
        )
        if not ok:
            failures.append(f"{what}: {response.status_code} not in the one error shape: {response.data[:200]!r}")


def send(parent, rule, args, data, content_type="application/json"):
    method = sorted(rule.methods & {"POST", "PUT", "PATCH"})[0]
    path = rule.rule
    for name, value in args.items():
        path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
    headers = {"Content-Type": content_type} if content_type else {}
    return parent.api(method, path[len("/api/v1"):], data=data, headers=headers)


def run_battery(app, parent, scene, cases_for):
    """Send every JSON route the cases cases_for(rule, template) gives; return (failures, sent, refused)."""
    mid, ids, path_args = scene
    bodies = templates(ids)
    routes = json_routes(app)
    assert {r.endpoint for r in routes} <= set(bodies), "a new JSON route: give it a template here"
    failures, sent, refused = [], 0, 0
    state = fingerprint(app)
    for rule in routes:
        for what, data, content_type in cases_for(rule, bodies[rule.endpoint]):
            response = send(parent, rule, path_args(rule), data, content_type)
            sent += 1
            check(response, f"{rule.endpoint} {what}", failures)
            now = fingerprint(app)
            if 400 <= response.status_code < 500:
                refused += 1
                if now != state:
                    failures.append(f"{rule.endpoint} {what}: refused ({response.status_code}) but changed the data")
            state = now
    return failures, sent, refused


def whole_bodies(rule, template, bodies=WHOLE_BODIES):
    return [(f"whole body {ct} {data[:20]!r}", data, ct) for ct, data in bodies]


def spoilt_fields(rule, template):
    return [(f"{'.'.join(map(str, p))}={raw[:30]}", spoil(template, p, raw), "application/json")
            for p, value in paths(template) for raw in BAD_ANY + BAD_BY_TYPE[type(value)]]


def test_every_json_route_refuses_bodies_that_used_to_500(app, parent, scene):
    # test that nesting 100,000 deep, a lone surrogate and a number past 2**63 get a 4xx in the one shape on every route
    def cases(rule, template):
        return whole_bodies(rule, template, WHOLE_BODIES[:2] + WHOLE_BODIES[4:7]) + [
            (f"{'.'.join(map(str, p))}={raw}", spoil(template, p, raw), "application/json")
            for p, _ in list(paths(template))[:1] for raw in ('"\\ud800"', str(2**70))
        ]

    failures, sent, refused = run_battery(app, parent, scene, cases)
    assert not failures, f"{len(failures)} of {sent} requests:\n" + "\n".join(failures[:40])
    assert refused == sent


@pytest.mark.slow
def test_every_json_route_survives_malformed_input(app, parent, scene):
    # test that no malformed body or field gets a 5xx, each 4xx is in the one error shape, and a refusal stores nothing
    failures, sent, refused = run_battery(app, parent, scene, lambda r, t: whole_bodies(r, t) + spoilt_fields(r, t))
    assert not failures, f"{len(failures)} of {sent} requests:\n" + "\n".join(failures[:40])
    assert refused > sent // 2


def test_a_batch_with_one_bad_event_stores_none_and_names_it(app, parent, scene):
    # test that a rejected batch leaves the events, their revisions and the attendees as they were
    mid, ids, _ = scene
    before = fingerprint(app)
    for bad in ({"payload": {"text": "a\ud800b"}}, {"payload": {"text": "a\x00b"}}, {"deleted": "false"},
                {"version": 2**62}, {"wall_time": "9999-12-31T23:59:59Z"}, {"kind": ["note"]},
                {"kind": "action", "payload": {"text": "x", "due": "9999-12-31"}}):
        bad_event = event(**bad)
        batch = [event(kind="attendee", payload={"name": "Mr New", "role": "senco"}), event(), bad_event]
        response = parent.api("POST", f"/meetings/{mid}/events", {"device_id": "phone-1", "events": batch})
        assert response.status_code == 422, (bad, response.json)
        assert set(response.json["error"]["fields"]) == {bad_event["id"]}, bad
        assert fingerprint(app) == before


def test_deleted_must_be_a_json_boolean(app, parent, scene):
    # test that "deleted": "false" is refused rather than read as true (it used to delete the event)
    mid, _, _ = scene
    e = event()
    assert parent.api("POST", f"/meetings/{mid}/events", {"events": [e]}).status_code == 200
    response = parent.api("POST", f"/meetings/{mid}/events", {"events": [{**e, "version": 2, "deleted": "false"}]})
    assert response.status_code == 422
    stored = {x["id"]: x for x in parent.api("GET", f"/meetings/{mid}/events").json["events"]}
    assert stored[e["id"]]["deleted"] is False and stored[e["id"]]["version"] == 1


# --- values that were stored and then broke pages ------------------------------------------------


def pages_render(parent, mid):
    for path in ("/", f"/meetings/{mid}", f"/meetings/{mid}/review", f"/meetings/{mid}/edit"):
        response = parent.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert parent.api("GET", f"/meetings/{mid}/calendar.ics").status_code == 200


def test_values_that_broke_pages_are_refused_on_every_path(app, parent):
    # test that time zones, dates, addresses and booleans are checked wherever they are set
    meeting = parent.make_meeting()
    mid, child = meeting["id"], meeting["child_id"]
    refused = [
        ("PATCH", f"/meetings/{mid}", {"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ("PATCH", f"/meetings/{mid}", {"timezone": "localtime"}, "timezone"),
        ("PATCH", f"/meetings/{mid}", {"starts_at": "0001-01-01T00:00:00Z"}, "starts_at"),
        ("PATCH", f"/meetings/{mid}", {"starts_at": "9999-12-31T23:59:59-12:00"}, "starts_at"),
        ("PATCH", f"/meetings/{mid}", {"online": "false"}, "online"),
        ("PATCH", f"/meetings/{mid}", {"title": 12}, "title"),
        ("POST", "/meetings", {"child_id": child, "kind": "ehcp_annual_review", "starts_at": "9999-12-31"},
         "starts_at"),
        ("PATCH", f"/children/{child}", {"plan_date": "9999-12-31"}, "plan_date"),
        ("PATCH", f"/children/{child}", {"date_of_birth": "0001-01-01"}, "date_of_birth"),
        ("POST", f"/meetings/{mid}/start", {"started_at": "9999-12-31T00:00:00Z"}, "started_at"),
        ("POST", f"/meetings/{mid}/agenda", {"title": "x", "parked": "true"}, "parked"),
    ]
    for email in ("k@school.org\r\nBcc: x@evil.example", "k@school.org, x@evil.example", "Ms K <k@school.org>",
                  "k@sch\nool.org", "a" * 245 + "@school.org", "k@@school.org", "k@school", "k@school.org\x00"):
        refused.append(("POST", f"/meetings/{mid}/attendees", {"name": "K", "role": "senco", "email": email}, "email"))
    for method, path, data, field in refused:
        response = parent.api(method, path, data)
        assert response.status_code == 422, (path, data, response.json)
        assert field in response.json["error"].get("fields", {}), (path, data, response.json)
    due = {"id": str(uuid.uuid4()), "kind": "action", "at_ms": 1, "payload": {"text": "x", "due": "9999-12-31"}}
    assert parent.api("POST", f"/meetings/{mid}/events", {"events": [due]}).status_code == 422
    # and what is in range is taken
    assert parent.api("PATCH", f"/meetings/{mid}", {"timezone": "America/New_York"}).status_code == 200
    assert parent.make_attendee(mid, email="o'brien+sen@school.org.uk")["email"] == "o'brien+sen@school.org.uk"
    pages_render(parent, mid)


def test_the_owner_can_correct_when_a_meeting_started_and_ended(app, parent):
    # test that a started_at or ended_at stored out of range (before these checks) can be PATCHed back
    import datetime

    from server.models import Meeting

    mid = parent.make_meeting()["id"]
    assert_422 = lambda data: parent.api("PATCH", f"/meetings/{mid}", data).status_code == 422  # noqa: E731
    assert assert_422({"started_at": "2026-12-01T09:31:00Z"})  # not started: /start is the way
    parent.api("POST", f"/meetings/{mid}/start", {"started_at": "2026-12-01T09:31:00Z"})
    parent.api("POST", f"/meetings/{mid}/end", {"ended_at": "2026-12-01T10:40:00Z"})
    with app.app_context():
        meeting = db.session.get(Meeting, mid)
        meeting.started_at = meeting.ended_at = datetime.datetime(9999, 12, 31, tzinfo=datetime.timezone.utc)
        db.session.commit()
    # the end route keeps the latest end, so only the PATCH can bring it back
    assert assert_422({"ended_at": "9999-12-31T00:00:00Z"})
    assert assert_422({"started_at": "2026-12-01T09:31:00Z", "ended_at": "2026-12-01T09:00:00Z"})
    response = parent.api("PATCH", f"/meetings/{mid}", {"started_at": "2026-12-01T09:31:00Z",
                                                        "ended_at": "2026-12-01T10:40:00Z"})
    assert response.status_code == 200, response.json
    assert (response.json["started_at"], response.json["ended_at"]) == ("2026-12-01T09:31:00Z", "2026-12-01T10:40:00Z")
    pages_render(parent, mid)


def test_numbers_past_64_bits_in_the_address_are_not_found(app, parent):
    # test that a version or id too big for the database is a 404, not a 500 from the driver
    mid = parent.make_meeting()["id"]
    for path in (f"/meetings/{mid}/minutes?version={2**70}", f"/meetings/{mid}/minutes.docx?version={2**70}",
                 f"/meetings/{mid}/transcript/segments/{2**70}", f"/meetings/{mid}/members/{2**70}"):
        method = "PATCH" if "/segments/" in path or "/members/" in path else "GET"
        response = parent.api(method, path, {"speaker_label": "x"} if method == "PATCH" else None)
        assert response.status_code == 404, (path, response.status_code)
