"""Each account sees only its own children and meetings: anything else is "not found"."""
import pytest


@pytest.fixture
def owned(parent):
    """A meeting of the first parent's, with one of everything."""
    meeting = parent.make_meeting()
    mid = meeting["id"]
    return {
        "child": meeting["child_id"],
        "meeting": mid,
        "attendee": parent.make_attendee(mid)["id"],
        "item": parent.make_agenda_item(mid)["id"],
        "target": parent.make_target(mid)["id"],
        "provision": parent.make_provision(mid)["id"],
    }


API_CALLS = [
    ("GET", "/children/{child}", None),
    ("PATCH", "/children/{child}", {"name": "Hacked"}),
    ("DELETE", "/children/{child}", None),
    ("GET", "/meetings/{meeting}", None),
    ("PATCH", "/meetings/{meeting}", {"venue": "Hacked"}),
    ("DELETE", "/meetings/{meeting}", None),
    ("GET", "/meetings/{meeting}/timeline", None),
    ("POST", "/meetings/{meeting}/attendees", {"name": "Spy", "role": "senco"}),
    ("PATCH", "/meetings/{meeting}/attendees/{attendee}", {"name": "Hacked"}),
    ("DELETE", "/meetings/{meeting}/attendees/{attendee}", None),
    ("POST", "/meetings/{meeting}/agenda", {"title": "Spy"}),
    ("PATCH", "/meetings/{meeting}/agenda/{item}", {"title": "Hacked"}),
    ("DELETE", "/meetings/{meeting}/agenda/{item}", None),
    ("PUT", "/meetings/{meeting}/agenda/order", {"ids": []}),
    ("POST", "/meetings/{meeting}/targets", {"text": "Spy"}),
    ("PATCH", "/meetings/{meeting}/targets/{target}", {"text": "Hacked"}),
    ("DELETE", "/meetings/{meeting}/targets/{target}", None),
    ("POST", "/meetings/{meeting}/provision", {"text": "Spy"}),
    ("PATCH", "/meetings/{meeting}/provision/{provision}", {"text": "Hacked"}),
    ("DELETE", "/meetings/{meeting}/provision/{provision}", None),
]


@pytest.mark.parametrize("method, path, body", API_CALLS)
def test_api_other_account_gets_404(parent, other_parent, owned, method, path, body):
    response = other_parent.api(method, path.format(**owned), body)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    # test that nothing changed for the owner
    bundle = parent.api("GET", f"/meetings/{owned['meeting']}").get_json()
    assert bundle["venue"] is None
    assert [a["name"] for a in bundle["attendees"]] == ["Ms Khan"]
    assert len(bundle["agenda"]) == len(bundle["targets"]) == len(bundle["provision"]) == 1
    assert bundle["targets"][0]["text"] != "Hacked"


def test_api_other_account_cannot_use_their_child(parent, other_parent, owned):
    response = other_parent.api("POST", "/meetings", {"child_id": owned["child"], "kind": "other", "starts_at": "2026-12-01T09:00"})
    assert response.status_code == 404
    # test that lists only show one's own
    assert other_parent.api("GET", "/children").get_json()["children"] == []
    assert other_parent.api("GET", "/meetings").get_json()["meetings"] == []


PAGES_GET = [
    "/children/{child}",
    "/children/{child}/edit",
    "/meetings/{meeting}",
    "/meetings/{meeting}/edit",
    "/meetings/{meeting}/people",
    "/meetings/{meeting}/agenda",
    "/meetings/{meeting}/plan",
    "/meetings/{meeting}/print",
    "/meetings/{meeting}/agenda.txt",
]
PAGES_POST = [
    ("/children/{child}/edit", {"name": "Hacked", "jurisdiction": "england", "plan_type": "ehcp"}),
    ("/children/{child}/delete", {}),
    ("/meetings/{meeting}/edit", {"kind": "other", "starts_at": "2026-12-01T09:00"}),
    ("/meetings/{meeting}/delete", {}),
    ("/meetings/{meeting}/people", {"name": "Spy", "role": "senco"}),
    ("/meetings/{meeting}/people/{attendee}", {"name": "Hacked", "role": "senco", "attendance": "present"}),
    ("/meetings/{meeting}/people/{attendee}/delete", {}),
    ("/meetings/{meeting}/agenda", {"title": "Spy"}),
    ("/meetings/{meeting}/agenda/{item}", {"direction": "up"}),
    ("/meetings/{meeting}/agenda/{item}/delete", {}),
    ("/meetings/{meeting}/provision", {"text": "Spy"}),
    ("/meetings/{meeting}/targets/{target}", {"text": "Hacked"}),
    ("/meetings/{meeting}/provision/{provision}/delete", {}),
]


@pytest.mark.parametrize("path", PAGES_GET)
def test_pages_other_account_gets_404(other_parent, owned, path):
    response = other_parent.client.get(path.format(**owned))
    assert response.status_code == 404
    assert "S.J." not in response.text


@pytest.mark.parametrize("path, data", PAGES_POST)
def test_page_forms_other_account_gets_404(parent, other_parent, owned, path, data):
    response = other_parent.post(path.format(**owned), data)
    assert response.status_code == 404
    bundle = parent.api("GET", f"/meetings/{owned['meeting']}").get_json()
    assert bundle["child"]["name"] == "S.J."
    assert [a["name"] for a in bundle["attendees"]] == ["Ms Khan"]
    assert len(bundle["agenda"]) == len(bundle["targets"]) == len(bundle["provision"]) == 1


def test_pages_need_login(client, parent, owned):
    anonymous = parent.app.test_client()
    for path in PAGES_GET:
        response = anonymous.get(path.format(**owned))
        assert response.status_code == 302
        assert response.location.startswith("/login")
