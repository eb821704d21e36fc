"""A partner's phone: join codes that expire and can be revoked, giving access to one meeting only."""
import re
import uuid
from datetime import timedelta

import pytest

from server.db import db
from server.db import now_utc
from server.models import JoinCode


@pytest.fixture
def meeting(parent):
    m = parent.make_meeting()
    m["senco"] = parent.make_attendee(m["id"], name="Ms Khan", role="senco")["id"]
    return m


def make_code(parent, meeting, minutes=240):
    response = parent.api("POST", f"/meetings/{meeting['id']}/join-codes", {"minutes": minutes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def join_page(app, code):
    """A partner's phone with no account: open the link, press Join."""
    phone = app.test_client()
    page = phone.get(f"/join?code={code}")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return phone, phone.post("/join", data={"code": code, "csrf_token": token})


def note(text="from the partner", at_ms=5000):
    return {"id": str(uuid.uuid4()), "kind": "note", "at_ms": at_ms, "device_id": "partner-phone",
            "payload": {"text": text}, "version": 1}


def test_code_shape_and_qr(parent, meeting):
    code = make_code(parent, meeting)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", code["code"])
    assert code["url"].startswith("http://localhost/join?code=")
    assert code["qr_svg_data_url"].startswith("data:image/svg+xml;base64,")
    listed = parent.api("GET", f"/meetings/{meeting['id']}/join-codes").get_json()["join_codes"]
    # test that the code itself is shown only once, when it is made
    assert listed == [{"id": code["id"], "expires_at": code["expires_at"], "revoked": False}]


def test_partner_without_an_account_joins_one_meeting(app, parent, meeting):
    code = make_code(parent, meeting)
    phone, response = join_page(app, code["code"].lower())  # typed in lower case, with the dash
    assert response.status_code == 302 and meeting["id"] in response.location
    # test that the partner can read the bundle and add to the timeline
    bundle = phone.get(f"/api/v1/meetings/{meeting['id']}").get_json()
    assert bundle["can_share"] is False and [a["name"] for a in bundle["attendees"]] == ["Ms Khan"]
    token = re.search(r'name="csrf-token" content="([^"]+)"', phone.get(f"/meetings/{meeting['id']}").text).group(1)
    response = phone.post(f"/api/v1/meetings/{meeting['id']}/events", json={"events": [note()]},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 200
    events = parent.api("GET", f"/meetings/{meeting['id']}/events").get_json()["events"]
    parent_id = parent.api("GET", f"/meetings/{meeting['id']}").get_json()["me"]["user_id"]
    assert events[0]["device_id"] == "partner-phone"
    assert events[0]["author"] == bundle["me"]["user_id"] != parent_id
    # test that the partner sees nothing else: not the child, not other meetings, not the prep forms
    other = parent.make_meeting(child_id=meeting["child_id"])
    assert phone.get(f"/api/v1/meetings/{other['id']}").status_code == 404
    assert phone.get(f"/api/v1/children/{meeting['child_id']}").status_code == 404
    assert phone.get("/api/v1/children").get_json()["children"] == []
    # test that in this meeting they take notes only: the parent's prep and sharing answer 403
    response = phone.post(f"/api/v1/meetings/{meeting['id']}/attendees", json={"name": "x", "role": "senco"},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert phone.post(f"/api/v1/meetings/{meeting['id']}/join-codes", json={}, headers={"X-CSRFToken": token}).status_code == 403


def test_both_devices_write_one_timeline(app, parent, meeting):
    code = make_code(parent, meeting)
    phone, _ = join_page(app, code["code"])
    token = re.search(r'name="csrf-token" content="([^"]+)"', phone.get("/").text).group(1)
    mine = [note("parent's note", at_ms=1000 * n) for n in range(5)]
    theirs = [note("partner's note", at_ms=1000 * n + 500) for n in range(5)]
    assert parent.api("POST", f"/meetings/{meeting['id']}/events", {"events": mine}).status_code == 200
    assert phone.post(f"/api/v1/meetings/{meeting['id']}/events", json={"events": theirs},
                      headers={"X-CSRFToken": token}).status_code == 200
    events = parent.api("GET", f"/meetings/{meeting['id']}/events").get_json()["events"]
    # test that the merged timeline is in time order with each event attributed to its author
    assert [e["at_ms"] for e in events] == sorted(e["at_ms"] for e in mine + theirs)
    authors = {e["payload"]["text"]: e["author"] for e in events}
    assert authors["parent's note"] != authors["partner's note"]


def test_signed_in_account_joins_by_api(app, parent, other_parent, meeting):
    code = make_code(parent, meeting)
    assert other_parent.api("GET", f"/meetings/{meeting['id']}").status_code == 404
    response = other_parent.api("POST", "/join", {"code": code["code"]})
    assert response.status_code == 200 and response.get_json() == {"meeting_id": meeting["id"]}
    assert other_parent.api("GET", f"/meetings/{meeting['id']}").status_code == 200
    # test that the joined meeting shows on their home page
    assert "EHCP annual review" in other_parent.client.get("/").text


def test_revoked_code_is_refused_and_access_removed(app, parent, meeting):
    code = make_code(parent, meeting)
    phone, _ = join_page(app, code["code"])
    assert phone.get(f"/api/v1/meetings/{meeting['id']}").status_code == 200
    assert parent.api("DELETE", f"/meetings/{meeting['id']}/join-codes/{code['id']}").status_code == 204
    # test that whoever joined with it is cut off (a guest is signed out), and nobody can join with it again
    assert phone.get(f"/api/v1/meetings/{meeting['id']}").status_code == 401
    _, response = join_page(app, code["code"])
    assert response.status_code == 403 and "turned off" in response.text


def test_expired_and_wrong_codes_are_refused(app, parent, meeting):
    code = make_code(parent, meeting)
    with app.app_context():
        row = db.session.get(JoinCode, code["id"])
        row.expires_at = now_utc() - timedelta(minutes=1)
        db.session.commit()
    _, response = join_page(app, code["code"])
    assert response.status_code == 403 and "expired" in response.text
    _, response = join_page(app, "ZZZZZ-ZZZZZ")
    assert response.status_code == 403 and "isn&#39;t right" in response.text


def test_only_the_owner_makes_codes(parent, other_parent, meeting):
    assert other_parent.api("POST", f"/meetings/{meeting['id']}/join-codes", {}).status_code == 404
    assert parent.api("POST", f"/meetings/{meeting['id']}/join-codes", {"minutes": 1}).status_code == 422


def test_a_guest_cannot_sign_in_with_a_password(app, parent, meeting):
    code = make_code(parent, meeting)
    join_page(app, code["code"])
    from server.models import User

    with app.app_context():
        guest = db.session.execute(db.select(User).where(User.guest)).scalar_one()
        from server import auth

        with app.test_request_context():
            assert auth.authenticate(guest.email, "!") is None
            assert auth.authenticate(guest.email, "") is None


def test_a_partner_sees_the_preparation_read_only(app, parent, meeting):
    parent.make_agenda_item(meeting["id"], title="Reading support")
    code = make_code(parent, meeting)
    phone, _ = join_page(app, code["code"])
    for path, form in (("people", "Add a person"), ("agenda", "Add an ask"), ("plan", "Add a target")):
        page = phone.get(f"/meetings/{meeting['id']}/{path}")
        assert page.status_code == 200 and form not in page.text, path
    assert "Reading support" in phone.get(f"/meetings/{meeting['id']}/agenda").text
    assert "Edit details" not in phone.get(f"/meetings/{meeting['id']}").text
    # test that the owner still sees every form
    assert "Add a person" in parent.client.get(f"/meetings/{meeting['id']}/people").text


def test_at_the_end_the_code_lets_nobody_new_in_and_the_partner_is_told(app, parent, other_parent, meeting):
    code = make_code(parent, meeting)
    phone, _ = join_page(app, code["code"])
    token = re.search(r'name="csrf-token" content="([^"]+)"', phone.get(f"/meetings/{meeting['id']}").text).group(1)
    assert parent.api("POST", f"/meetings/{meeting['id']}/start", {}).status_code == 200
    ended_at = parent.api("POST", f"/meetings/{meeting['id']}/end", {}).get_json()["ended_at"]
    # test that the partner's phone is told the meeting ended, and when (it closes its notes at that time)
    response = phone.get(f"/api/v1/meetings/{meeting['id']}")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "meeting_ended"
    assert response.get_json()["error"]["fields"] == {"ended_at": ended_at}
    page = phone.get(f"/meetings/{meeting['id']}/live")
    assert page.status_code == 403 and "The meeting has ended, so notes are closed." in page.text
    # test that the same, unexpired code no longer lets a new phone or account join
    _, response = join_page(app, code["code"])
    assert response.status_code == 403 and "That meeting has ended" in response.text
    response = other_parent.api("POST", "/join", {"code": code["code"]})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "meeting_ended"
    assert other_parent.api("GET", f"/meetings/{meeting['id']}").status_code == 404
    # test that the partner who joined before the end still sends what their phone captured (the grace)
    response = phone.post(f"/api/v1/meetings/{meeting['id']}/events", json={"events": [note("typed before the end")]},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 200
    texts = [e["payload"]["text"] for e in parent.api("GET", f"/meetings/{meeting['id']}/events").get_json()["events"]]
    assert texts == ["typed before the end"]
    # test that the code is still listed as it was (not revoked: revoking would cut the partner off)
    listed = parent.api("GET", f"/meetings/{meeting['id']}/join-codes").get_json()["join_codes"]
    assert [c["revoked"] for c in listed] == [False]
