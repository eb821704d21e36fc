"""The JSON API: children, meetings and their bundle, preparation, and the one error shape."""
import pytest


def assert_error(response, status, code=None):
    """Check an error answer has the one JSON shape."""
    assert response.status_code == status, response.data
    body = response.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_children_create_and_list(parent):
    # test that a child is created with defaults and listed
    created = parent.make_child(name="A.B.", jurisdiction="us", plan_type="iep")
    assert created["name"] == "A.B."
    assert created["jurisdiction"] == "us"
    listed = parent.api("GET", "/children").get_json()["children"]
    assert [c["id"] for c in listed] == [created["id"]]


def test_contract_minimal_shapes(parent):
    # test that DESIGN.md's minimal request shapes are enough
    child = parent.api("POST", "/children", {"name": "A.B.", "jurisdiction": "england"})
    assert child.status_code == 201 and child.get_json()["id"]
    meeting = parent.api(
        "POST",
        "/meetings",
        {"child_id": child.get_json()["id"], "kind": "ehcp_annual_review", "starts_at": "2026-12-01T09:30:00Z"},
    )
    assert meeting.status_code == 201
    mid = meeting.get_json()["id"]
    assert parent.api("POST", f"/meetings/{mid}/attendees", {"name": "Ms K", "role": "senco"}).status_code == 201
    assert parent.api("POST", f"/meetings/{mid}/agenda", {"title": "Reading", "detail": "1:1"}).status_code == 201
    assert parent.api("POST", f"/meetings/{mid}/targets", {"text": "Read", "status": "current"}).status_code == 201
    bundle = parent.api("GET", f"/meetings/{mid}").get_json()
    for key in ("attendees", "agenda", "targets", "provision"):
        assert key in bundle
    assert bundle["attendees"][0]["role"] == "senco"
    assert bundle["attendees"][0]["role_label"].startswith("SENCO")
    assert bundle["starts_at"] == "2026-12-01T09:30:00Z"


def test_meeting_bundle_in_order(parent):
    meeting = parent.make_meeting()
    mid = meeting["id"]
    first = parent.make_agenda_item(mid, title="First")
    second = parent.make_agenda_item(mid, title="Second")
    parked = parent.make_agenda_item(mid, title="Later", parked=True)
    parent.make_attendee(mid, name="Ms Khan", role="senco")
    parent.make_attendee(mid, name="Mr Obi", role="class_teacher")
    provision = parent.make_provision(mid)
    target = parent.make_target(mid)
    bundle = parent.api("GET", f"/meetings/{mid}").get_json()
    # test that the agenda keeps the order it was written in, parked items flagged
    assert [i["title"] for i in bundle["agenda"]] == ["First", "Second", "Later"]
    assert [i["parked"] for i in bundle["agenda"]] == [False, False, True]
    assert [a["name"] for a in bundle["attendees"]] == ["Ms Khan", "Mr Obi"]
    assert bundle["provision"][0]["id"] == provision["id"]
    assert bundle["targets"][0]["id"] == target["id"]
    # test that reordering by ids changes the priority order
    response = parent.api("PUT", f"/meetings/{mid}/agenda/order", {"ids": [second["id"], parked["id"], first["id"]]})
    assert response.status_code == 200
    assert [i["title"] for i in response.get_json()["agenda"]] == ["Second", "Later", "First"]


def test_naive_start_time_is_read_in_the_meeting_time_zone(parent):
    meeting = parent.make_meeting(starts_at="2026-07-01T09:30", timezone="Europe/London")
    # test that 09:30 London summer time is stored as 08:30 UTC
    assert meeting["starts_at"] == "2026-07-01T08:30:00Z"


def test_links_to_the_plan(parent):
    meeting = parent.make_meeting()
    mid = meeting["id"]
    provision = parent.make_provision(mid)
    item = parent.make_agenda_item(mid, provision_id=provision["id"])
    assert item["provision_id"] == provision["id"]
    # test that a link to another child's provision is refused
    other = parent.make_meeting()
    foreign = parent.make_provision(other["id"])
    response = parent.api("POST", f"/meetings/{mid}/agenda", {"title": "x", "provision_id": foreign["id"]})
    assert assert_error(response, 422, "invalid")["fields"] == {"provision_id": "That is not part of this child's plan."}


def test_update_and_delete(parent):
    meeting = parent.make_meeting()
    mid = meeting["id"]
    target = parent.make_target(mid)
    response = parent.api("PATCH", f"/meetings/{mid}/targets/{target['id']}", {"status": "achieved", "evidence": "Reading record"})
    assert response.get_json()["status"] == "achieved"
    attendee = parent.make_attendee(mid)
    response = parent.api("PATCH", f"/meetings/{mid}/attendees/{attendee['id']}", {"attendance": "apologies"})
    assert response.get_json()["attendance"] == "apologies"
    assert parent.api("DELETE", f"/meetings/{mid}/attendees/{attendee['id']}").status_code == 204
    assert parent.api("GET", f"/meetings/{mid}").get_json()["attendees"] == []
    # test that deleting a meeting removes it
    assert parent.api("DELETE", f"/meetings/{mid}").status_code == 204
    assert_error(parent.api("GET", f"/meetings/{mid}"), 404, "not_found")


def test_timeline(parent):
    meeting = parent.make_meeting(starts_at="2026-12-01T09:30:00Z")
    steps = {s["id"]: s["due"] for s in parent.api("GET", f"/meetings/{meeting['id']}/timeline").get_json()["steps"]}
    # test that the annual review dates follow from the meeting date (data file, not code)
    assert steps["papers_circulated"] == "2026-11-17"
    assert steps["review_report"] == "2026-12-15"
    assert steps["la_decision"] == "2026-12-29"


def test_check_endpoint(parent):
    response = parent.api("POST", "/check", {"text": "Sam would benefit from access to up to 5 hours of support", "kind": "provision"})
    rules = {f["rule_id"] for f in response.get_json()["flags"]}
    assert {"benefit_from", "access_to", "up_to"} <= rules


def test_rules_endpoint(parent):
    body = parent.api("GET", "/rules/england").get_json()
    assert any(r["id"] == "senco" for r in body["roles"])
    assert body["wording"]["rules"]
    assert_error(parent.api("GET", "/rules/narnia"), 404)


# --- bad input: a clear 4xx in the one shape, nothing stored ---


def test_malformed_json(parent):
    response = parent.api("POST", "/children", data="{not json", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "malformed_json")
    assert parent.api("GET", "/children").get_json()["children"] == []


def test_wrong_content_type(parent):
    response = parent.api("POST", "/children", data="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "A", "jurisdiction": "narnia"}, "jurisdiction"),
        ({"name": "A", "plan_type": "statement"}, "plan_type"),
        ({"name": "A", "plan_date": "yesterday"}, "plan_date"),
        ({"name": {"a": 1}}, "name"),
    ],
)
def test_child_validation(parent, body, field):
    error = assert_error(parent.api("POST", "/children", body), 422, "invalid")
    assert field in error["fields"]
    assert parent.api("GET", "/children").get_json()["children"] == []


def test_json_array_is_refused(parent):
    assert_error(parent.api("POST", "/children", ["a"]), 400, "malformed_json")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "ehcp_annual_review", "starts_at": "2026-12-01T09:30"}, "child_id"),
        ({"kind": "tea_party", "starts_at": "2026-12-01T09:30"}, "kind"),
        ({"kind": "ehcp_annual_review", "starts_at": "soon"}, "starts_at"),
        ({"kind": "ehcp_annual_review"}, "starts_at"),
    ],
)
def test_meeting_validation(parent, body, field):
    child = parent.make_child()
    body = {"child_id": child["id"], **body} if field != "child_id" else body
    error = assert_error(parent.api("POST", "/meetings", body), 422)
    assert field in error["fields"]
    assert parent.api("GET", "/meetings").get_json()["meetings"] == []


def test_unknown_ids(parent):
    meeting = parent.make_meeting()
    mid = meeting["id"]
    assert_error(parent.api("GET", "/meetings/nope"), 404, "not_found")
    assert_error(parent.api("GET", "/children/nope"), 404, "not_found")
    assert_error(parent.api("POST", "/meetings", {"child_id": "nope", "kind": "other", "starts_at": "2026-12-01T09:30"}), 404)
    assert_error(parent.api("PATCH", f"/meetings/{mid}/attendees/nope", {"name": "x"}), 404)
    assert_error(parent.api("DELETE", f"/meetings/{mid}/agenda/nope"), 404)


def test_role_must_come_from_the_jurisdictions_list(parent):
    meeting = parent.make_meeting()
    error = assert_error(parent.api("POST", f"/meetings/{meeting['id']}/attendees", {"name": "X", "role": "wizard"}), 422)
    assert "role" in error["fields"]
    # test that US roles are offered for a US child
    us = parent.make_meeting(child_id=parent.make_child(jurisdiction="us")["id"], kind="iep_annual")
    assert parent.api("POST", f"/meetings/{us['id']}/attendees", {"name": "Y", "role": "lea_rep"}).status_code == 201


def test_reorder_needs_every_id_once(parent):
    meeting = parent.make_meeting()
    mid = meeting["id"]
    a = parent.make_agenda_item(mid, title="A")
    parent.make_agenda_item(mid, title="B")
    assert_error(parent.api("PUT", f"/meetings/{mid}/agenda/order", {"ids": [a["id"]]}), 422)
    assert_error(parent.api("PUT", f"/meetings/{mid}/agenda/order", {"ids": "nope"}), 422)


def test_requires_authentication(client):
    assert_error(client.get("/api/v1/children"), 401, "unauthorized")
    assert_error(client.get("/api/v1/children", headers={"Authorization": "Bearer mtd_wrong"}), 401)


def test_unknown_path_and_method(parent):
    assert_error(parent.api("GET", "/nothing-here"), 404, "not_found")
    assert_error(parent.api("PUT", "/children"), 405, "method_not_allowed")


def test_session_cookie_api_needs_csrf_header(parent):
    # test that the page's own JS (cookie session) must send the CSRF token for writes
    response = parent.client.post("/api/v1/children", json={"name": "A"})
    assert_error(response, 400, "csrf_failed")
    token = parent.csrf()
    response = parent.client.post("/api/v1/children", json={"name": "A"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
