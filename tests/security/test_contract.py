"""The API keeps to its OpenAPI document: a valid document, and Schemathesis on every operation of the live server.

The fast tests check the document with openapi-spec-validator and the errors every
route shares (405 with Allow, 401 without credentials), all in the one error shape.
The slow one serves the app from this process (werkzeug, in a thread) with a parent,
an API token and the scripted meeting (tests/data/minutes), loads the document the
server serves, and sends every operation a few generated requests, valid and invalid,
with the bearer token: no answer may be a server error, and each status code,
content type and JSON body must be one the document declares for that operation.
"""
import collections
import os
import re
import threading
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance
from werkzeug.serving import make_server

import minutes_scripted
from server import audio_store
from server import auth
from server import openapi
from server.db import db
from server.db import upgrade
from server.models import Meeting
from server.models import MeetingMember
from server.models import User

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# examples per operation: 60-odd operations take a minute or two on two cores (more, for a deeper run)
EXAMPLES = int(os.environ.get("MINUTED_CONTRACT_EXAMPLES", "12"))
ERROR_KEYS = {"code", "message"}
PASSWORD = "quietly-contracted-kestrel-48"


def make_user(app, email="parent@example.org"):
    """Add a parent straight to the database; return (email, an API token)."""
    with app.app_context():
        user = auth.create_user(email, PASSWORD)
        token = auth.new_token(user)
        db.session.commit()
    return email, token


def csrf_token(client, path):
    match = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def is_error_shape(response):
    body = response.get_json()
    return isinstance(body, dict) and set(body) == {"error"} and ERROR_KEYS <= set(body["error"])


# --- the document and the errors every route shares ---


def test_the_served_document_is_valid_openapi(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)  # raises on any error
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_every_path_parameter_is_declared_with_its_converter(app):
    doc = openapi.document(app)
    segment = doc["paths"]["/meetings/{meeting_id}/recordings/{recording_id}/chunks/{seq}"]["put"]
    params = {p["name"]: p for p in segment["parameters"] if p["in"] == "path"}
    assert set(params) == {"meeting_id", "recording_id", "seq"}
    assert params["seq"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
    assert all(p["required"] for p in params.values())
    export = doc["paths"]["/meetings/{meeting_id}/transcript.{fmt}"]["get"]
    assert {"name": "fmt", "in": "path", "required": True,
            "schema": {"type": "string", "enum": ["json", "srt", "txt", "vtt"]}} in export["parameters"]


def test_writes_name_the_csrf_header_for_the_session_cookie(app):
    doc = openapi.document(app)
    csrf = doc["components"]["securitySchemes"]["csrf"]
    assert (csrf["type"], csrf["in"], csrf["name"]) == ("apiKey", "header", "X-CSRFToken")
    assert doc["paths"]["/children"]["post"]["security"] == [{"bearer": []}, {"session": [], "csrf": []}]
    assert doc["paths"]["/children"]["get"]["security"] == [{"bearer": []}, {"session": []}]
    assert doc["paths"]["/openapi.json"]["get"]["security"] == []


def test_a_route_nobody_described_still_appears_with_its_parameters(app):
    @app.get("/api/v1/meetings/<meeting_id>/undescribed/<int:n>")
    def undescribed(meeting_id, n):
        """Something new."""
        return {}

    op = openapi.document(app)["paths"]["/meetings/{meeting_id}/undescribed/{n}"]["get"]
    assert op["summary"] == "Something new."
    assert [p["name"] for p in op["parameters"]] == ["meeting_id", "n"]
    assert {"2XX", "401", "404"} <= set(op["responses"])
    validate(openapi.document(app))


def test_a_wrong_method_is_a_405_that_names_the_right_ones(app, client):
    bearer = {"Authorization": f"Bearer {make_user(app)[1]}"}
    response = client.delete("/api/v1/children", headers=bearer)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert is_error_shape(response) and response.json["error"]["code"] == "method_not_allowed"
    response = client.post("/api/v1/meetings/m1", headers=bearer, json={})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"}
    assert is_error_shape(response)


def test_an_id_past_what_the_database_holds_is_a_404_not_a_500(app, client):
    bearer = {"Authorization": f"Bearer {make_user(app)[1]}"}
    for path in (f"/join-codes/{2**70}", f"/join-codes/{2**31}", f"/members/{2**31}"):  # members: PATCH too
        response = client.delete(f"/api/v1/meetings/m1{path}", headers=bearer)
        assert response.status_code == 404 and is_error_shape(response), path
    assert client.delete(f"/api/v1/meetings/m1/join-codes/{2**31 - 1}", headers=bearer).status_code == 404


def test_a_wrong_method_with_no_credentials_is_still_a_405(client):
    response = client.put("/api/v1/children", json={})
    assert response.status_code == 405 and "POST" in response.headers["Allow"] and is_error_shape(response)


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/children"), ("PATCH", "/api/v1/meetings/m1"), ("DELETE", "/api/v1/children/c1"),
    ("PUT", "/api/v1/meetings/m1/minutes"), ("POST", "/api/v1/meetings/m1/uploads"),
])
def test_an_unauthenticated_write_is_a_401(client, method, path):
    response = client.open(path, method=method, json={"name": "S"})
    assert response.status_code == 401, response.text
    assert is_error_shape(response) and response.json["error"]["code"] == "unauthorized"


def test_a_bad_bearer_token_is_a_401(client):
    response = client.post("/api/v1/children", json={"name": "S"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and is_error_shape(response)


def test_a_signed_in_session_still_needs_the_csrf_token(app, client):
    email, _ = make_user(app)
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    response = client.post("/api/v1/children", json={"name": "S"})
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    response = client.post("/api/v1/children", json={"name": "S"}, headers={"X-CSRFToken": csrf_token(client, "/")})
    assert response.status_code == 201


def test_a_page_form_with_no_session_still_needs_the_csrf_token(client):
    assert client.post("/login", data={"email": "a@example.org", "password": "x" * 12}).status_code == 400


# --- Schemathesis against the live server ---


@schemathesis.serializer(*sorted(audio_store.MIME_TYPES))
def _raw_audio(ctx, value):
    """Chunks are raw bytes in the recording's media type."""
    return value if isinstance(value, bytes) else str(value).encode()


class LiveServer:
    """The app on a free port in a thread of this process, with a parent, a token and the scripted meeting."""

    def __init__(self, data_dir):
        from server import create_app

        self.app = create_app({"DATA_DIR": str(data_dir), "MAIL_BACKEND": "memory", "SECRET_KEY": "contract",
                               "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024})
        with self.app.app_context():
            upgrade()
        _, self.token = make_user(self.app)
        self.meeting_id = minutes_scripted.load(self.app, "parent@example.org", audio_seconds=4)
        self.http = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def call(self, method, path, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kwargs)

    def known_ids(self):
        """Ids that name real rows, by path parameter name (row_id: by the collection it follows)."""
        m = f"/meetings/{self.meeting_id}"
        with self.app.app_context():
            meeting = db.session.get(Meeting, self.meeting_id)
            ids = {
                "meeting_id": meeting.id, "child_id": meeting.child_id,
                "recording_id": meeting.recordings[0].id,
                "attendees": meeting.attendees[0].id, "agenda": meeting.agenda[0].id,
                "targets": meeting.child.targets[0].id, "provision": meeting.child.provision[0].id,
            }
        ids["code_id"] = self.call("POST", m + "/join-codes", json={"minutes": 60}).json()["id"]
        # a partner who joined with it (the scripted meeting has ended: no joining now), for the members routes
        make_user(self.app, "partner@example.org")
        with self.app.app_context():
            partner = db.session.execute(db.select(User).where(User.email == "partner@example.org")).scalar_one()
            member = MeetingMember(meeting_id=self.meeting_id, user_id=partner.id)  # revoking the code: kept
            db.session.add(member)
            db.session.commit()
            ids["member_id"] = member.id
        ids["letter_id"] = self.call("GET", m + "/letters").json()["letters"][0]["id"]
        ids["suggestion_id"] = self.call("GET", m + "/suggestions").json()["suggestions"][0]["id"]
        ids["decision"] = "dismiss"
        ids["open_recording_id"] = str(uuid.uuid4())
        assert self.call("PUT", f"{m}/recordings/{ids['open_recording_id']}", json={"mime": "audio/webm"}).ok
        ids["segment_id"] = self.call("GET", m + "/transcript").json()["segments"][0]["id"]
        return ids


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("contract") / "data")
    server.thread.start()
    yield server
    server.http.shutdown()
    server.thread.join(10)
    with server.app.app_context():
        db.engine.dispose()


def _order(operation):
    """Reads and writes first; then deletes, the deepest path first, the meeting before its child."""
    delete = operation.method.lower() == "delete"
    return (delete, -operation.path.count("/") if delete else 0, operation.path.startswith("/children"),
            operation.path, operation.method)


def _real_path_parameters(operation, ids):
    names = [p.name for p in operation.path_parameters]
    segments = operation.path.split("/")
    out = {}
    for name in names:
        if name == "row_id":
            collection = segments[segments.index("{row_id}") - 1]
            if collection in ids:
                out[name] = ids[collection]
        elif name == "recording_id" and operation.path.endswith("/chunks/{seq}"):
            out[name] = ids["open_recording_id"]  # the scripted one is finished: chunks would all be a 409
        elif name in ids:
            out[name] = ids[name]
    return out


@pytest.mark.slow
def test_every_operation_keeps_to_the_document(live):
    ids = live.known_ids()
    # from the served document, but not from its URL: Schemathesis leaves out the operation a schema came from
    served = live.call("GET", "/openapi.json").json()
    schema = schemathesis.openapi.from_dict(served)
    schema.config.update(base_url=f"{live.url}/api/v1")
    documented = {(path, method) for path, ops in served["paths"].items() for method in ops}
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    auth_header = {"Authorization": f"Bearer {live.token}"}

    examples = collections.Counter()
    statuses = collections.defaultdict(collections.Counter)
    failures = collections.defaultdict(list)
    for operation in operations:
        real = _real_path_parameters(operation, ids)
        # real rows, a real meeting with made-up rows in it (a new recording id: 201), made-up everything,
        # and invalid input to real rows
        in_meeting = {name: value for name, value in real.items() if name in ("meeting_id", "child_id")}
        modes = [operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=real),
                 operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=in_meeting),
                 operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                 operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=real)]

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(modes))
        def run(case):
            response = case.call(headers=auth_header)
            examples[operation.label] += 1
            statuses[operation.label][response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=auth_header)
            except FailureGroup as group:
                for failure in group.exceptions:
                    failures[operation.label].append(f"{failure.title}: {failure.message[:400]}")

        run()

    covered = {(op.path, op.method.lower()) for op in operations if examples[op.label]}
    print(f"\nSchemathesis {schemathesis.__version__}: {len(covered)} of {len(documented)} operations, "
          f"{sum(examples.values())} examples")
    for label in sorted(statuses):
        print(f"  {label}: {dict(sorted(statuses[label].items()))}")
    server_errors = {label: dict(s) for label, s in statuses.items() if any(code >= 500 for code in s)}
    report = [f"server errors (status counts): {label}: {counts}" for label, counts in server_errors.items()]
    report += [f"{label}: {failure}" for label, found in failures.items() for failure in sorted(set(found))]
    report += [f"not run: {method.upper()} {path}" for path, method in sorted(documented - covered)]
    assert not report, "\n".join(report)
    assert len(operations) == len(documented)
