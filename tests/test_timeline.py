"""The meeting timeline: batches of events from phones, idempotent, validated, all or nothing."""
import uuid

import pytest


def ev(kind="note", at_ms=1000, version=1, **payload):
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "at_ms": at_ms,
        "wall_time": "2026-12-01T09:31:00.000Z",
        "device_id": "phone-1",
        "payload": payload,
        "version": version,
    }


@pytest.fixture
def meeting(parent):
    m = parent.make_meeting()
    m["senco"] = parent.make_attendee(m["id"], name="Ms Khan", role="senco")["id"]
    m["item"] = parent.make_agenda_item(m["id"])["id"]
    m["target"] = parent.make_target(m["id"])["id"]
    return m


def post(parent, meeting, events, device_id="phone-1"):
    return parent.api("POST", f"/meetings/{meeting['id']}/events", {"device_id": device_id, "events": events})


def timeline(parent, meeting):
    return parent.api("GET", f"/meetings/{meeting['id']}/events").get_json()["events"]


def test_every_kind_round_trips(parent, meeting):
    a, i, t = meeting["senco"], meeting["item"], meeting["target"]
    events = [
        ev("speaker", 10, attendee_id=a),
        ev("agenda", 20, agenda_item_id=i),
        ev("note", 30, text="She said the TA left", attendee_id=a, agenda_item_id=i),
        ev("agreed", 40, text="SALT assessment before half term"),
        ev("refused", 50, text="1:1 TA in the afternoons", reason="budget", by=a),
        ev("action", 60, text="Send the provision map", owner=a, due="2026-12-15"),
        ev("question", 70, text="Who delivers it?"),
        ev("quote", 80, text="We can't fund that"),
        ev("bookmark", 90),
        ev("target", 100, target_id=t, status="achieved"),
        ev("consent", 110, attendee_id=a, given=True),
        ev("attendee", 120, name="Mr Obi", role="class_teacher"),
    ]
    response = post(parent, meeting, events)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [x["id"] for x in body["accepted"]] == [e["id"] for e in events]
    assert body["server_time"].endswith("Z")
    stored = timeline(parent, meeting)
    assert [e["kind"] for e in stored] == [e["kind"] for e in events]
    refused = next(e for e in stored if e["kind"] == "refused")
    assert refused["payload"] == {"text": "1:1 TA in the afternoons", "reason": "budget", "by": a}
    assert refused["device_id"] == "phone-1" and refused["author"]
    # test that a person added in the room becomes an attendee with the event's id
    attendees = parent.api("GET", f"/meetings/{meeting['id']}").get_json()["attendees"]
    assert attendees[-1]["id"] == events[-1]["id"] and attendees[-1]["name"] == "Mr Obi"


def test_same_batch_twice_is_the_same_state(parent, meeting):
    events = [ev("note", n * 100, text=f"note {n}") for n in range(20)]
    assert post(parent, meeting, events).status_code == 200
    first = timeline(parent, meeting)
    assert post(parent, meeting, events).status_code == 200
    assert timeline(parent, meeting) == first
    assert len(first) == 20


def test_an_event_naming_a_person_added_in_the_same_batch(parent, meeting):
    person = ev("attendee", 10, name="Mrs Lee", role="la_sen_officer")
    said = ev("note", 20, text="hello", attendee_id=person["id"])
    assert post(parent, meeting, [person, said]).status_code == 200


def test_edits_are_versions_and_older_ones_lose(parent, meeting, app):
    note = ev("note", 500, text="first words")
    post(parent, meeting, [note])
    post(parent, meeting, [{**note, "version": 2, "payload": {"text": "corrected"}}])
    # test that a late, older version does not overwrite the newer one
    post(parent, meeting, [{**note, "version": 1, "payload": {"text": "stale"}}])
    stored = timeline(parent, meeting)
    assert stored[0]["payload"] == {"text": "corrected"} and stored[0]["version"] == 2
    post(parent, meeting, [{**note, "version": 3, "deleted": True, "payload": {}}])
    stored = timeline(parent, meeting)
    assert stored[0]["deleted"] is True
    from server.db import db
    from server.models import EventRevision

    with app.app_context():
        revisions = db.session.execute(db.select(EventRevision).order_by(EventRevision.version)).scalars().all()
        # test that every earlier version is kept
        assert [(r.version, r.payload.get("text")) for r in revisions] == [(1, "first words"), (2, "corrected")]


BAD = [
    ({"kind": "gossip"}, "Unknown kind"),
    ({"id": "not-a-uuid"}, "UUID"),
    ({"at_ms": -5}, "out of range"),
    ({"at_ms": "soon"}, "whole number"),
    ({"at_ms": 10 ** 12}, "out of range"),
    ({"version": 0}, "out of range"),
    ({"wall_time": "yesterday"}, "ISO 8601"),
    ({"payload": {"text": "x" * 4001}}, "longer than 4000"),
    ({"payload": {"text": 5}}, "must be text"),
    ({"payload": {"colour": "red"}}, "don't take colour"),
    ({"payload": ["a"]}, "small JSON object"),
    ({"kind": "speaker", "payload": {}}, "need attendee_id"),
    ({"kind": "speaker", "payload": {"attendee_id": "someone-else"}}, "not part of this meeting"),
    ({"kind": "refused", "payload": {"text": "x", "by": "nobody"}}, "not part of this meeting"),
    ({"kind": "action", "payload": {"text": "x", "due": "next week"}}, "date like"),
    ({"kind": "target", "payload": {"target_id": "nope", "status": "achieved"}}, "not part of this meeting"),
    ({"kind": "consent", "payload": {"given": "yes"}}, "true or false"),
    ({"kind": "attendee", "payload": {"name": "X", "role": "wizard"}}, "role list"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_bad_events_are_refused_and_nothing_is_stored(parent, meeting, change, message):
    good = ev("note", 10, text="fine")
    bad = ev("note", 20, text="bad")
    bad.update({k: v for k, v in change.items() if k != "payload"})
    if "payload" in change:
        bad["payload"] = change["payload"]
    response = post(parent, meeting, [good, bad])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_events"
    # test that the answer names the bad event and says why, and the good one was not stored either
    assert list(error["fields"]) == [bad["id"] if change.get("id") is None else change["id"]]
    assert message in error["fields"][list(error["fields"])[0]]
    assert good["id"] not in error["fields"]
    assert timeline(parent, meeting) == []


def test_attendee_from_another_meeting_is_refused(parent, meeting):
    other = parent.make_meeting(child_id=meeting["child_id"])
    stranger = parent.make_attendee(other["id"], name="Elsewhere")["id"]
    response = post(parent, meeting, [ev("speaker", 5, attendee_id=stranger)])
    assert response.status_code == 422
    assert timeline(parent, meeting) == []


def test_batch_shape_errors(parent, meeting):
    url = f"/meetings/{meeting['id']}/events"
    assert parent.api("POST", url, {"events": "x"}).status_code == 400
    assert parent.api("POST", url, {"events": [ev() for _ in range(501)]}).status_code == 413
    response = parent.api("POST", url, data="{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"


def test_event_id_from_another_meeting_conflicts(parent, meeting):
    other = parent.make_meeting(child_id=meeting["child_id"])
    note = ev("note", 5, text="x")
    post(parent, meeting, [note])
    response = parent.api("POST", f"/meetings/{other['id']}/events", {"events": [note]})
    assert response.status_code == 409
    assert parent.api("GET", f"/meetings/{other['id']}/events").get_json()["events"] == []


def test_other_account_cannot_write_or_read(parent, other_parent, meeting):
    response = other_parent.api("POST", f"/meetings/{meeting['id']}/events", {"events": [ev()]})
    assert response.status_code == 404
    assert other_parent.api("GET", f"/meetings/{meeting['id']}/events").status_code == 404
    assert timeline(parent, meeting) == []


def test_start_and_end(parent, meeting):
    url = f"/meetings/{meeting['id']}"
    first = parent.api("POST", url + "/start", {"started_at": "2026-12-01T09:31:00Z"}).get_json()
    again = parent.api("POST", url + "/start", {"started_at": "2026-12-01T09:45:00Z"}).get_json()
    # test that the first start wins, so every phone shares one clock origin
    assert first["started_at"] == again["started_at"] == "2026-12-01T09:31:00Z"
    bundle = parent.api("GET", url).get_json()
    assert bundle["status"] == "live" and bundle["started_at"] == "2026-12-01T09:31:00Z"
    ended = parent.api("POST", url + "/end", {"ended_at": "2026-12-01T10:30:00Z"}).get_json()
    assert ended["ended_at"] == "2026-12-01T10:30:00Z"
    assert parent.api("POST", url + "/start", {"started_at": "tomorrow"}).status_code == 422
