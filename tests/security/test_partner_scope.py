"""A partner takes notes in one meeting and nothing else, and their access ends (issue 18, item 2).

Every route of the app with a <meeting_id> is called by the owner, a partner
with an account, a guest who joined with a code, and a stranger, with every
method it takes: a new route is covered as soon as it is added. A partner and a
guest get through only to the note-taker's endpoints (partners.NOTE_TAKER, and
"start" once the meeting has started); everything else answers 403, and a
stranger 404 everywhere.
"""
import io
import json
import re
import uuid
import zipfile
from datetime import timedelta

import pytest
from werkzeug.routing.converters import AnyConverter
from werkzeug.routing.converters import IntegerConverter

from conftest import Parent
from server import partners
from server.db import db
from server.db import now_utc
from server.models import JoinCode
from server.models import Meeting
from server.models import MeetingMember
from server.models import SentRecord
from server.models import User

CHUNK = b"\x1aE\xdf\xa3 not really webm, but audio as far as the store can tell"
MIME = "audio/webm"


def token_of(client):
    match = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert match, "no CSRF token on the home page"
    return match.group(1)


class Caller:
    """One person's browser session: every write carries its CSRF token, as the pages and the PWA send it."""

    def __init__(self, name, client):
        self.name = name
        self.client = client
        self.token = token_of(client)

    def call(self, method, path, json=None, data=None, headers=None):
        headers = {"X-CSRFToken": self.token, **(headers or {})}
        if data is not None:
            return self.client.open(path, method=method, data=data, headers=headers)
        return self.client.open(path, method=method, json=json, headers=headers)


def note(text="a note", at_ms=5000):
    return {"id": str(uuid.uuid4()), "kind": "note", "at_ms": at_ms, "device_id": "phone",
            "payload": {"text": text}, "version": 1}


def make_code(parent, meeting_id, minutes=240):
    response = parent.api("POST", f"/meetings/{meeting_id}/join-codes", {"minutes": minutes})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def join_as_guest(app, code):
    """A phone with no account: open the link, press Join."""
    phone = app.test_client()
    page = phone.get(f"/join?code={code}")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    response = phone.post("/join", data={"code": code, "csrf_token": token})
    assert response.status_code == 302, response.text
    return phone


class World:
    """A meeting with everything in it, and the four people who try to reach it."""

    def __init__(self, app, parent, other_parent):
        self.app = app
        self.parent = parent
        child = parent.make_child(date_of_birth="2016-03-04", school="Oak Primary")
        meeting = parent.make_meeting(child_id=child["id"])
        self.meeting_id = mid = meeting["id"]
        self.child_id = child["id"]
        self.attendee = parent.make_attendee(mid, email="khan@oak.sch.example")["id"]
        self.agenda = parent.make_agenda_item(mid)["id"]
        self.target = parent.make_target(mid)["id"]
        self.provision = parent.make_provision(mid)["id"]
        assert parent.api("POST", f"/meetings/{mid}/start", {}).status_code == 200
        self.event = note("the parent's note", at_ms=1000)
        assert parent.api("POST", f"/meetings/{mid}/events", {"events": [self.event]}).status_code == 200
        self.recording = self.declare(parent.api, created=True)
        self.code = make_code(parent, mid)
        self.spare_code = make_code(parent, mid)  # for the join-code routes, so revoking it cuts nobody off
        self.letter = parent.api("GET", f"/meetings/{mid}/letters").get_json()["letters"][0]["id"]
        # a partner with an account, a guest with a code, and a stranger with an account of their own
        assert other_parent.api("POST", "/join", {"code": self.code["code"]}).status_code == 200
        self.owner = Caller("owner", parent.client)
        self.partner = Caller("partner", other_parent.client)
        self.guest = Caller("guest", join_as_guest(app, self.code["code"]))
        self.stranger = Caller("stranger", Parent(app, app.test_client(), email="stranger@example.org").create().client)
        self.own_recording = {
            "partner": self.declare(self._api(self.partner), created=True),
            "guest": self.declare(self._api(self.guest), created=True),
        }
        self.guest_member = self.member_id(guest=True)

    def _api(self, caller):
        return lambda method, path, json=None, **kw: caller.call(method, "/api/v1" + path, json=json, **kw)

    def declare(self, api, created=False):
        rid = str(uuid.uuid4())
        response = api("PUT", f"/meetings/{self.meeting_id}/recordings/{rid}", {"mime": MIME, "at_ms": 0})
        assert response.status_code == 201, response.get_json()
        response = api("PUT", f"/meetings/{self.meeting_id}/recordings/{rid}/chunks/0", data=CHUNK,
                       headers={"Content-Type": MIME})
        assert response.status_code == 201, response.get_json()
        return rid

    def member_id(self, user_email=None, guest=False):
        with self.app.app_context():
            query = db.select(MeetingMember.id).join(User, User.id == MeetingMember.user_id)
            query = query.where(User.guest) if guest else query.where(User.email == user_email)
            return db.session.execute(query.where(MeetingMember.meeting_id == self.meeting_id)).scalar_one()

    def values(self, rule, caller):
        """Fill a rule's arguments from this meeting (the caller's own recording where it has one)."""
        rows = {"attendees": self.attendee, "agenda": self.agenda, "targets": self.target, "provision": self.provision}
        part = rule.rule.split("/")[-2] if rule.rule.endswith("<row_id>") else None
        known = {
            "meeting_id": self.meeting_id,
            "row_id": rows.get(part, self.target),
            "attendee_id": self.attendee,
            "item_id": self.agenda,
            "event_id": self.event["id"],
            "recording_id": self.own_recording.get(caller.name, self.recording),
            "letter_id": self.letter,
            "code_id": self.spare_code["id"],
            "member_id": self.guest_member,
            "section": "targets",
            "fmt": "txt",
            "decision": "dismiss",
            "seq": 1,
        }
        values = {}
        for name, converter in rule._converters.items():
            if name in known:
                values[name] = known[name]
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            elif isinstance(converter, IntegerConverter):
                values[name] = 1
            else:
                values[name] = "x"  # a route nobody here knows yet: still called, with an id that matches nothing
        return values

    def request(self, caller, rule, method):
        """Call rule with method as caller, with a body the note-taker's endpoints accept."""
        path = self.app.url_map.bind("localhost").build(rule.endpoint, self.values(rule, caller), method=method)
        if rule.endpoint == "api.post_events":
            return caller.call(method, path, json={"events": [note(f"by the {caller.name}")]})
        if rule.endpoint == "api.declare_recording":
            return caller.call(method, path, json={"mime": MIME, "at_ms": 0})
        if rule.endpoint == "api.put_chunk":
            return caller.call(method, path, data=CHUNK, headers={"Content-Type": MIME})
        if method == "GET":
            return caller.call(method, path)
        if rule.rule.startswith("/api/"):
            return caller.call(method, path, json={})
        return caller.call(method, path, data={})


def meeting_routes(app):
    """Every (rule, method) of the app that names a meeting, the ones that end things last."""
    last = {"api.finish_recording": 1, "api.end_meeting": 2, "api.delete_meeting": 4, "pages.delete_meeting": 4}
    pairs = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if "meeting_id" in rule.arguments
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    return sorted(pairs, key=lambda p: (last.get(p[0].endpoint, 3 if p[1] == "DELETE" else 0), p[0].rule, p[1]))


@pytest.fixture
def world(app, parent, other_parent):
    return World(app, parent, other_parent)


def _run(world, caller, expect):
    failures = []
    for rule, method in meeting_routes(world.app):
        response = world.request(caller, rule, method)
        wanted = expect(rule.endpoint, method)
        ok = wanted(response.status_code) if callable(wanted) else response.status_code == wanted
        if not ok:
            failures.append(f"{caller.name} {method} {rule.rule} ({rule.endpoint}): {response.status_code}")
    assert not failures, "\n".join(failures)


def _note_taker(endpoint, method):
    if endpoint in partners.NOTE_TAKER or endpoint in partners.ONCE_STARTED:  # the meeting here has started
        return lambda status: 200 <= status < 300
    return 403


def test_every_meeting_route_is_covered_and_the_allowlist_names_real_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    named = partners.NOTE_TAKER | partners.ONCE_STARTED | partners.SYNC | set().union(*partners.BY_GRANT.values())
    assert named <= endpoints, named - endpoints
    assert len(meeting_routes(app)) > 60


@pytest.mark.parametrize("who", ["partner", "guest"])
def test_a_partner_reaches_only_the_note_takers_endpoints(world, who):
    _run(world, getattr(world, who), _note_taker)


def test_a_stranger_gets_404_everywhere(world):
    _run(world, world.stranger, lambda endpoint, method: 404)





def test_the_owner_reaches_every_route(world):
    # test that the central rule leaves the parent alone: no 401/403, and no server error
    _run(world, world.owner, lambda endpoint, method: lambda status: status not in (401, 403) and status < 500)


def test_a_partner_sees_the_childs_name_not_their_profile(world):
    bundle = world.guest.call("GET", f"/api/v1/meetings/{world.meeting_id}").get_json()
    assert bundle["child"]["name"] == "S.J." and bundle["grants"] == []
    assert bundle["child"]["date_of_birth"] is None and bundle["child"]["school"] is None
    assert [a["id"] for a in bundle["attendees"]] == [world.attendee]
    assert [t["id"] for t in bundle["targets"]] == [world.target]
    owners = world.owner.call("GET", f"/api/v1/meetings/{world.meeting_id}").get_json()
    assert owners["child"]["school"] == "Oak Primary" and owners["attendees"][0]["email"] == "khan@oak.sch.example"
    assert all(a["email"] is None for a in bundle["attendees"])
    page = world.guest.client.get(f"/meetings/{world.meeting_id}").text
    assert "S.J." in page and "Oak Primary" not in page and f"/children/{world.child_id}" not in page
    assert world.guest.client.get(f"/api/v1/children/{world.child_id}").status_code == 404
    assert world.partner.client.get(f"/children/{world.child_id}").status_code == 404


def test_a_partner_changes_only_their_own_notes(world):
    mid = world.meeting_id
    mine = note("the guest's note")
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [mine]}).status_code == 200
    # test that the guest edits and deletes its own note
    edit = {**mine, "payload": {"text": "corrected"}, "version": 2}
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [edit]}).status_code == 200
    gone = {**mine, "deleted": True, "version": 3}
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [gone]}).status_code == 200
    # test that neither partner can edit or delete the parent's note, or the other partner's
    theirs = {**world.event, "payload": {"text": "rewritten"}, "version": 2}
    for caller, batch in ((world.guest, [theirs]), (world.partner, [theirs]), (world.partner, [{**edit, "version": 4}]),
                          (world.guest, [note("fine"), {**world.event, "deleted": True, "version": 2}])):
        response = caller.call("POST", f"/api/v1/meetings/{mid}/events", {"events": batch})
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    events = {e["id"]: e for e in world.owner.call("GET", f"/api/v1/meetings/{mid}/events").get_json()["events"]}
    assert events[world.event["id"]]["payload"] == {"text": "the parent's note"}
    assert events[world.event["id"]]["version"] == 1 and events[mine["id"]]["deleted"] is True


def test_a_partner_reaches_only_the_audio_their_phone_recorded(world):
    base = f"/api/v1/meetings/{world.meeting_id}/recordings"
    for caller in (world.guest, world.partner):
        own = world.own_recording[caller.name]
        assert caller.call("GET", f"{base}/{own}").get_json()["chunks"] == [0]
        # test that the parent's recording (and the other partner's) is not theirs: not to read, add to or hear
        other = world.own_recording["guest" if caller is world.partner else "partner"]
        for rid in (world.recording, other):
            assert caller.call("GET", f"{base}/{rid}").status_code == 403
            assert caller.call("PUT", f"{base}/{rid}", {"mime": MIME}).status_code == 403
            chunk = caller.call("PUT", f"{base}/{rid}/chunks/1", data=CHUNK, headers={"Content-Type": MIME})
            assert chunk.status_code == 403
            assert caller.call("POST", f"{base}/{rid}/finish", {}).status_code == 403
            assert caller.call("GET", f"{base}/{rid}/audio").status_code == 403
        assert caller.call("GET", f"{base}/{own}/audio").status_code == 403  # listening back is the parent's
    # test that the parent hears everyone's
    for rid in (world.recording, *world.own_recording.values()):
        assert world.owner.call("GET", f"{base}/{rid}/audio").status_code == 200


def test_a_partner_cannot_send_read_the_minutes_or_export(world, app):
    mid = world.meeting_id
    api = f"/api/v1/meetings/{mid}"
    for caller in (world.guest, world.partner):
        for method, path, body in (
            ("POST", f"{api}/minutes/send", {"to": ["head@school.example"]}),
            ("POST", f"{api}/letters/{world.letter}/send", {"subject": "x", "markdown": "x", "to": ["a@b.example"]}),
            ("POST", f"{api}/sent", {"channel": "mailto"}),
            ("GET", f"{api}/minutes", None), ("PUT", f"{api}/minutes", {"markdown": "# Mine"}),
            ("GET", f"{api}/letters", None), ("GET", f"{api}/letters/{world.letter}", None),
            ("GET", f"{api}/sent", None), ("GET", f"{api}/suggestions", None),
            ("GET", f"{api}/minutes.eml", None), ("GET", f"{api}/minutes.docx", None),
            ("GET", f"{api}/calendar.ics", None), ("GET", f"{api}/transcript", None),
            ("GET", f"{api}/transcript.txt", None), ("POST", f"{api}/end", {}),
            ("PATCH", api, {"title": "Mine now"}), ("DELETE", api, None),
            ("POST", f"/meetings/{mid}/minutes/send", None), ("GET", f"/meetings/{mid}/review", None),
        ):
            response = caller.call(method, path, body) if body is not None or method == "GET" else caller.call(
                method, path, data={})
            assert response.status_code == 403, (caller.name, method, path, response.status_code)
    with app.app_context():
        meeting = db.session.get(Meeting, mid)
        assert meeting.status == "live" and meeting.title is None and meeting.minutes == []
        assert db.session.execute(db.select(SentRecord)).first() is None
    # test that the guest's own export holds nothing of the meeting it joined
    archive = world.guest.client.get("/account/export.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        assert all(mid.encode() not in z.read(name) for name in z.namelist())


def test_a_guest_cannot_create_children_or_meetings(world):
    response = world.guest.call("POST", "/api/v1/children", {"name": "Mine"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    response = world.guest.call("POST", "/api/v1/meetings", {"child_id": world.child_id, "kind": "other",
                                                            "starts_at": "2026-12-01T09:30:00Z"})
    assert response.status_code == 403
    assert world.guest.call("POST", "/children/new", data={"name": "Mine"}).status_code == 403
    # test that an account that joined as a partner still has its own children
    assert world.partner.call("POST", "/api/v1/children", {"name": "Theirs"}).status_code == 201


def _expire(app, meeting_id, **changes):
    """Move the memberships (and codes) of a meeting into the past."""
    past = now_utc() - timedelta(minutes=1)
    with app.app_context():
        for member in db.session.execute(
            db.select(MeetingMember).where(MeetingMember.meeting_id == meeting_id)
        ).scalars():
            member.expires_at = changes.get("member", past)
        for code in db.session.execute(db.select(JoinCode).where(JoinCode.meeting_id == meeting_id)).scalars():
            code.expires_at = changes.get("code", past)
        db.session.commit()


def test_access_ends_when_the_code_expires(world, app):
    mid = world.meeting_id
    with app.app_context():
        member = db.session.get(MeetingMember, world.member_id(guest=True))
        code = db.session.get(JoinCode, world.code["id"])
        # test that joining gives access until the code's own expiry
        assert member.expires_at == code.expires_at
    _expire(app, mid)
    # test that the guest is signed out (401, and stays out), and the account partner is just out (404)
    assert world.guest.call("GET", f"/api/v1/meetings/{mid}").status_code == 401
    assert world.guest.call("GET", "/api/v1/meetings").status_code == 401
    assert world.guest.client.get("/").status_code == 302
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [note()]}).status_code == 401
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}").status_code == 404
    assert world.partner.call("GET", "/api/v1/children").status_code == 200


def test_access_ends_when_the_code_is_revoked(world, app):
    mid = world.meeting_id
    assert world.owner.call("DELETE", f"/api/v1/meetings/{mid}/join-codes/{world.code['id']}").status_code == 204
    assert world.guest.call("GET", f"/api/v1/meetings/{mid}/events").status_code == 401
    assert world.guest.call("GET", "/api/v1/children").status_code == 401
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}/events").status_code == 404
    # test that the revoked code lets nobody back in
    assert world.partner.call("POST", "/api/v1/join", {"code": world.code["code"]}).status_code == 403


def test_a_guest_whose_code_was_turned_off_is_signed_out_on_any_page(world, app):
    with app.app_context():
        db.session.get(JoinCode, world.code["id"]).revoked_at = now_utc()  # turned off, memberships left in place
        db.session.commit()
    # test that the sign-out happens as the session loads, not only on the meeting's routes
    assert world.guest.call("GET", "/api/v1/meetings").status_code == 401
    assert world.guest.call("GET", f"/api/v1/meetings/{world.meeting_id}").status_code == 401


def test_access_ends_when_the_meeting_ends(world, app):
    mid = world.meeting_id
    late = note("typed on the partner's phone before the end, sent after")
    assert world.owner.call("POST", f"/api/v1/meetings/{mid}/end", {}).status_code == 200
    # test that reading stops at once, while the phone may still send what it captured, for a while
    assert world.guest.call("GET", f"/api/v1/meetings/{mid}").status_code == 403
    assert world.guest.call("GET", f"/api/v1/meetings/{mid}/events").status_code == 403
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [late]}).status_code == 200
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/start", {}).status_code == 200
    assert world.partner.call("GET", f"/meetings/{mid}/live").status_code == 403
    # test that nobody can join a meeting that has ended
    fresh = make_code(world.parent, mid)
    assert world.stranger.call("POST", "/api/v1/join", {"code": fresh["code"]}).status_code == 403
    with app.app_context():
        meeting = db.session.get(Meeting, mid)
        meeting.ended_at = now_utc() - partners.SYNC_GRACE - timedelta(minutes=1)
        db.session.commit()
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [note()]}).status_code == 401
    assert world.partner.call("POST", f"/api/v1/meetings/{mid}/events", {"events": [note()]}).status_code == 404


def test_the_owner_lists_and_removes_partners(world, app):
    mid = world.meeting_id
    listed = world.owner.call("GET", f"/api/v1/meetings/{mid}/members").get_json()
    members = {m["guest"]: m for m in listed["members"]}
    assert set(listed["grants"]) == {"minutes", "end"}
    assert members[False]["email"] == "other@example.org" and members[True]["email"] is None
    assert all(m["active"] and m["grants"] == [] and m["expires_at"] == world.code["expires_at"]
               for m in members.values())
    # test that only the owner sees or changes who joined
    for caller in (world.guest, world.partner):
        assert caller.call("GET", f"/api/v1/meetings/{mid}/members").status_code == 403
        assert caller.call("DELETE", f"/api/v1/meetings/{mid}/members/{members[True]['id']}").status_code == 403
    assert world.stranger.call("GET", f"/api/v1/meetings/{mid}/members").status_code == 404
    # test that a removed member loses access at once: the guest is signed out, the account is out
    assert world.owner.call("DELETE", f"/api/v1/meetings/{mid}/members/{members[True]['id']}").status_code == 204
    assert world.guest.call("GET", f"/api/v1/meetings/{mid}").status_code == 401
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}").status_code == 200
    assert world.owner.call("DELETE", f"/api/v1/meetings/{mid}/members/{members[True]['id']}").status_code == 404
    # test the page: the list with a Remove button, which can also turn the code off
    page = world.owner.client.get(f"/meetings/{mid}/people").text
    assert "Who joined on their phone" in page and "Remove other@example.org" in page
    assert "Who joined on their phone" not in world.partner.client.get(f"/meetings/{mid}/people").text
    response = world.owner.call("POST", f"/meetings/{mid}/partners/{members[False]['id']}/remove",
                                data={"revoke_code": "1"})
    assert response.status_code == 302 and response.location.endswith("#partners")
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}").status_code == 404
    assert world.owner.call("GET", f"/api/v1/meetings/{mid}/members").get_json()["members"] == []
    codes = world.owner.call("GET", f"/api/v1/meetings/{mid}/join-codes").get_json()["join_codes"]
    assert {c["id"]: c["revoked"] for c in codes}[world.code["id"]] is True


def test_grants_add_the_minutes_or_the_end(world, app):
    mid = world.meeting_id
    member = world.member_id("other@example.org")
    url = f"/api/v1/meetings/{mid}/members/{member}"
    for bad in ({"grants": ["send"]}, {"grants": "minutes"}, {"grants": [["minutes"]]}, {"grants": None},
                {"expires_at": "soon"}, {"expires_at": 5}, {"expires_at": "9999-12-31T23:59:59-05:00"}):
        response = world.owner.call("PATCH", url, bad)
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid", bad
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}/minutes").status_code == 403
    later = (now_utc() + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    changed = world.owner.call("PATCH", url, {"grants": ["minutes", "end"], "expires_at": later}).get_json()
    assert changed["grants"] == ["end", "minutes"] and changed["expires_at"].startswith(later[:19])
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}").get_json()["grants"] == ["end", "minutes"]
    # test that "end" lets them end the meeting, and "minutes" outlasts it (the guest has neither)
    assert world.guest.call("POST", f"/api/v1/meetings/{mid}/end", {}).status_code == 403
    assert world.partner.call("POST", f"/api/v1/meetings/{mid}/end", {}).status_code == 200
    minutes = world.partner.call("GET", f"/api/v1/meetings/{mid}/minutes")
    assert minutes.status_code == 200 and minutes.get_json()["markdown"]
    edited = world.partner.call("PUT", f"/api/v1/meetings/{mid}/minutes", {"markdown": "# Minutes\n\nCorrected."})
    assert edited.status_code == 201, edited.get_json()
    # test that the grants stay narrow: no sending, no letters, no meeting screen after the end
    send = world.partner.call("POST", f"/api/v1/meetings/{mid}/minutes/send", {"to": ["a@b.example"]})
    assert send.status_code == 403
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}/letters").status_code == 403
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}").status_code == 403
    # test that null means "until the meeting ends": over now it has, bar the grants
    assert world.owner.call("PATCH", url, {"expires_at": None, "grants": []}).get_json()["expires_at"] is None
    assert world.partner.call("GET", f"/api/v1/meetings/{mid}/minutes").status_code == 403


def test_the_members_routes_are_described(app):
    from server import openapi

    with app.app_context():
        paths = openapi.document()["paths"]
    assert set(paths["/meetings/{meeting_id}/members"]) >= {"get"}
    assert set(paths["/meetings/{meeting_id}/members/{member_id}"]) >= {"patch", "delete"}
    assert json.dumps(paths["/meetings/{meeting_id}/members/{member_id}"]["patch"]).count("minutes")


def test_a_partner_cannot_start_the_meeting_only_learn_when_it_started(app, parent, other_parent):
    mid = parent.make_meeting()["id"]
    code = make_code(parent, mid)
    guest = Caller("guest", join_as_guest(app, code["code"]))
    # test that the first start is the parent's (or a partner's granted "end"), and later ones answer the origin
    early = guest.call("POST", f"/api/v1/meetings/{mid}/start", {"started_at": "2026-12-01T09:00:00Z"})
    assert early.status_code == 403
    assert parent.api("GET", f"/meetings/{mid}").get_json()["started_at"] is None
    started = parent.api("POST", f"/meetings/{mid}/start", {"started_at": "2026-12-01T09:31:00Z"}).get_json()
    again = guest.call("POST", f"/api/v1/meetings/{mid}/start", {"started_at": "2026-12-01T09:00:00Z"})
    assert again.status_code == 200 and again.get_json()["started_at"] == started["started_at"]
