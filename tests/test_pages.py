"""The preparation pages, used the way a browser would (forms with CSRF tokens)."""
import ipaddress
import re

import pytest


def ids_in(text, prefix):
    return re.findall(rf'id="{prefix}-([0-9a-f]{{32}})"', text)


@pytest.fixture
def meeting(parent):
    return parent.make_meeting()


def test_home_lists_children_and_meetings(parent, meeting):
    page = parent.client.get("/")
    assert page.status_code == 200
    assert "S.J." in page.text and "EHCP annual review" in page.text


def test_add_child_then_meeting(parent):
    response = parent.post("/children/new", {"name": "R.T.", "school": "Elm", "jurisdiction": "england", "plan_type": "sen_support"})
    assert response.status_code == 302 and response.location.startswith("/meetings/new?child=")
    child_id = response.location.split("=")[1]
    form = parent.client.get(response.location)
    assert f'value="{child_id}" selected' in form.text
    response = parent.post(
        "/meetings/new",
        {"child_id": child_id, "kind": "sen_support_review", "starts_at": "2026-12-02T15:30", "venue": "SENCO's office", "timezone": "Europe/London"},
    )
    assert response.status_code == 302 and response.location.endswith("/people")
    overview = parent.client.get(response.location.rsplit("/", 1)[0])
    assert "Wed 2 December 2026, 15:30" in overview.text.replace("Wednesday", "Wed")


def test_form_errors_are_shown_and_nothing_saved(parent):
    response = parent.post("/children/new", {"name": "", "jurisdiction": "england", "plan_type": "ehcp"})
    assert response.status_code == 422
    assert "This is needed." in response.text and 'aria-invalid="true"' in response.text
    assert parent.api("GET", "/children").get_json()["children"] == []


def test_people_with_roles(parent, meeting):
    mid = meeting["id"]
    page = parent.client.get(f"/meetings/{mid}/people")
    # test that the role picker comes from the jurisdiction's data file, grouped
    assert '<optgroup label="School">' in page.text and 'value="la_sen_officer"' in page.text
    for name, role in (("Ms Khan", "senco"), ("Mr Obi", "class_teacher"), ("Mrs Lee", "la_sen_officer")):
        response = parent.post(f"/meetings/{mid}/people", {"name": name, "role": role, "organisation": "Oak"})
        assert response.status_code == 302
    page = parent.client.get(f"/meetings/{mid}/people")
    rows = page.text[page.text.index('id="people"'):]
    assert rows.index("Ms Khan") < rows.index("Mr Obi") < rows.index("Mrs Lee")
    assert "LA SEN officer" in page.text or "SEN officer" in page.text
    # test that a person moves up
    people = ids_in(page.text, "person")
    parent.post(f"/meetings/{mid}/people/{people[2]}", {"direction": "up"})
    names = [a["name"] for a in parent.api("GET", f"/meetings/{mid}").get_json()["attendees"]]
    assert names == ["Ms Khan", "Mrs Lee", "Mr Obi"]
    # test that a bad role is refused with a message
    response = parent.post(f"/meetings/{mid}/people", {"name": "X", "role": "wizard"})
    assert response.status_code == 422 and "Choose one of the options." in response.text


def test_agenda_priorities_move_and_park(parent, meeting):
    mid = meeting["id"]
    for title in ("Reading support", "Speech therapy", "Lunchtimes"):
        assert parent.post(f"/meetings/{mid}/agenda", {"title": title}).status_code == 302
    page = parent.client.get(f"/meetings/{mid}/agenda")
    items = ids_in(page.text, "item")
    # test that moving the third item up twice makes it the top priority
    parent.post(f"/meetings/{mid}/agenda/{items[2]}", {"direction": "up"})
    parent.post(f"/meetings/{mid}/agenda/{items[2]}", {"direction": "up"})
    titles = [i["title"] for i in parent.api("GET", f"/meetings/{mid}").get_json()["agenda"] if not i["parked"]]
    assert titles == ["Lunchtimes", "Reading support", "Speech therapy"]
    # test that parking moves an item to AOB and back
    parent.post(f"/meetings/{mid}/agenda/{items[1]}", {"park": "1"})
    agenda = parent.api("GET", f"/meetings/{mid}").get_json()["agenda"]
    assert [i["title"] for i in agenda if i["parked"]] == ["Speech therapy"]
    page = parent.client.get(f"/meetings/{mid}/agenda")
    assert page.text.index('id="aob"') < page.text.index("Speech therapy")


def test_plan_with_wording_checker(parent, meeting):
    mid = meeting["id"]
    response = parent.post(f"/meetings/{mid}/provision", {"text": "Sam would benefit from access to up to 5 hours of TA support"})
    assert response.status_code == 302
    response = parent.post(f"/meetings/{mid}/targets", {"text": "Sam will improve his literacy.", "status": "current"})
    assert response.status_code == 302
    page = parent.client.get(f"/meetings/{mid}/plan")
    # test that the saved lines carry the checker's flags (advisory: they were saved anyway)
    assert page.text.count('class="flag flag-') >= 4
    assert "“would benefit from”" in page.text and "“up to 5 hours”" in page.text
    assert 'data-check="provision"' in page.text and 'data-check="target"' in page.text
    # test that a missing text re-opens the form with the error
    response = parent.post(f"/meetings/{mid}/targets", {"text": "", "status": "current"})
    assert response.status_code == 422 and "This is needed." in response.text
    assert '<details class="card add" open id="add-target">' in response.text


def test_target_status_and_evidence(parent, meeting):
    mid = meeting["id"]
    target = parent.make_target(mid)
    parent.post(f"/meetings/{mid}/targets/{target['id']}", {"text": target["text"], "status": "achieved", "evidence": "Reading record, March"})
    page = parent.client.get(f"/meetings/{mid}/plan")
    assert "Achieved" in page.text and "Reading record, March" in page.text


def test_timeline_on_the_overview(parent, meeting):
    page = parent.client.get(f"/meetings/{meeting['id']}")
    assert "Tue 15 Dec 2026" in page.text  # the review report, 2 weeks after
    assert "Tue 17 Nov 2026" in page.text  # papers, 2 weeks before


def test_print_and_text(parent, meeting):
    mid = meeting["id"]
    parent.make_attendee(mid, name="Ms Khan", role="senco")
    parent.make_agenda_item(mid, title="Reading support", outcome_sought="Daily 1:1 from a trained TA")
    parent.make_agenda_item(mid, title="Lunchtimes", parked=True)
    page = parent.client.get(f"/meetings/{mid}/print")
    assert page.status_code == 200 and "Reading support" in page.text and 'class="print-sheet"' in page.text
    text = parent.client.get(f"/meetings/{mid}/agenda.txt")
    assert text.mimetype == "text/plain"
    assert "1. Reading support" in text.text and "Outcome wanted: Daily 1:1 from a trained TA" in text.text
    assert "Any other business:\n- Lunchtimes" in text.text


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def test_untrusted_text_is_escaped(parent):
    meeting = parent.make_meeting(child_id=parent.make_child(name=HOSTILE)["id"], venue=HOSTILE)
    mid = meeting["id"]
    parent.make_attendee(mid, name=HOSTILE, organisation=HOSTILE)
    parent.make_agenda_item(mid, title=HOSTILE, detail=HOSTILE)
    parent.make_provision(mid, text=HOSTILE + " would benefit from")
    parent.make_target(mid, text=HOSTILE)
    for path in ("/", f"/meetings/{mid}", f"/meetings/{mid}/people", f"/meetings/{mid}/agenda", f"/meetings/{mid}/plan", f"/meetings/{mid}/print"):
        page = parent.client.get(path)
        assert page.status_code == 200
        # test that the markup never reaches the page as markup
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text, path
        assert "&lt;script&gt;" in page.text, path


def test_delete_child_removes_everything(parent, meeting):
    response = parent.post(f"/children/{meeting['child_id']}/delete")
    assert response.status_code == 302
    assert parent.api("GET", "/meetings").get_json()["meetings"] == []
    assert parent.client.get(f"/meetings/{meeting['id']}").status_code == 404


def test_error_pages_are_html_for_people(parent):
    page = parent.client.get("/meetings/nope", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text


def test_required_invitees(parent):
    meeting = parent.make_meeting()
    mid = meeting["id"]
    page = parent.client.get(f"/meetings/{mid}/people")
    # test that an EHCP annual review lists the reg 20(2) invitees still missing
    assert "Who should be invited" in page.text and "LA SEN officer (education)" in page.text
    parent.make_attendee(mid, name="Mrs Lee", role="la_sen_officer")
    page = parent.client.get(f"/meetings/{mid}/people")
    assert "LA SEN officer (education)" not in page.text
    # test that a SEN Support review has no statutory invitee list
    sen = parent.make_meeting(kind="sen_support_review")
    assert "Who should be invited" not in parent.client.get(f"/meetings/{sen['id']}/people").text
    # test that a US IEP meeting checks the 300.321 team
    us = parent.make_meeting(child_id=parent.make_child(jurisdiction="us", plan_type="iep")["id"], kind="iep_annual")
    page = parent.client.get(f"/meetings/{us['id']}/people")
    assert "LEA representative" in page.text and "300.321" in page.text


def card_of(page, meeting_id):
    """The home page's card for one meeting, as text (tags dropped, spaces squeezed)."""
    html = re.search(rf'<li class="card meeting-card">(?:(?!</li>).)*/meetings/{meeting_id}"(?:(?!</li>).)*</li>',
                     page, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()), html


def test_each_meeting_shows_where_it_stands(app, parent, meeting):
    from datetime import datetime
    from datetime import timezone

    from server.db import db
    from server.models import Meeting
    from server.models import MinutesVersion
    from server.models import SentRecord

    mid = meeting["id"]
    review = f"/meetings/{mid}/review"
    # test a planned meeting: the plan, and Start
    text, html = card_of(parent.client.get("/").text, mid)
    assert "Planned" in text and "Tue 1 Dec 2026, 09:30" in text and review not in html
    overview = parent.client.get(f"/meetings/{mid}").text
    assert "Start meeting" in overview and 'id="meeting-state">Planned<' in overview
    assert overview.index("Getting ready") < overview.index('id="after"')
    # test in progress: continue it, on the home page and the overview
    parent.api("POST", f"/meetings/{mid}/start", {"started_at": "2026-12-02T14:05:00Z"})
    text, html = card_of(parent.client.get("/").text, mid)
    assert "In progress" in text and f"/meetings/{mid}/live" in html
    overview = parent.client.get(f"/meetings/{mid}").text
    assert "Continue the meeting" in overview and "Start meeting" not in overview
    assert "<dt>Started</dt>" in overview and "Wednesday 2 December 2026, 14:05" in overview
    # test held (a day late): the actual date, a link to the review, and no "Start meeting"
    parent.api("POST", f"/meetings/{mid}/end", {"ended_at": "2026-12-02T15:10:00Z"})
    text, html = card_of(parent.client.get("/").text, mid)
    assert "Held on Wed 2 Dec 2026" in text and "Wed 2 Dec 2026, 14:05" in text
    assert f'href="{review}"' in html and "Check what was captured" in text
    overview = parent.client.get(f"/meetings/{mid}").text
    assert "Start meeting" not in overview and "Continue the meeting" not in overview
    assert 'id="meeting-state">Held on Wed 2 Dec 2026<' in overview
    assert "Wednesday 2 December 2026, 14:05" in overview and "to <time" in overview
    assert "Planned for" in overview and "Tuesday 1 December 2026, 09:30" in overview
    assert f'class="button primary" href="{review}">Check what was captured' in overview
    assert overview.index('id="after"') < overview.index("Getting ready")  # what comes next, first
    # test minutes drafted, then sent: the date they went
    with app.app_context():
        db.session.add(MinutesVersion(meeting_id=mid, version=1, markdown="# Minutes"))
        db.session.commit()
    text, html = card_of(parent.client.get("/").text, mid)
    assert "Minutes drafted" in text and "Finish and send the minutes" in text and f'href="{review}"' in html
    with app.app_context():
        for channel, day in (("print", 3), ("smtp", 4)):
            db.session.add(SentRecord(meeting_id=mid, kind="minutes", channel=channel, sha256="0" * 64,
                                      sent_at=datetime(2026, 12, day, 10, tzinfo=timezone.utc)))
        db.session.add(SentRecord(meeting_id=mid, kind="letter", channel="smtp", sha256="1" * 64,
                                  sent_at=datetime(2026, 12, 9, 10, tzinfo=timezone.utc)))
        db.session.commit()
    text, html = card_of(parent.client.get("/").text, mid)
    assert "Minutes sent on Fri 4 Dec 2026" in text and f'href="{review}"' in html
    assert "Minutes sent on Fri 4 Dec 2026" in parent.client.get(f"/meetings/{mid}").text
    # test the child's page says the same
    child_page = parent.client.get(f"/children/{meeting['child_id']}").text
    assert "Minutes sent on Fri 4 Dec 2026" in child_page and "Wed 2 Dec 2026, 14:05" in child_page
    with app.app_context():
        assert db.session.get(Meeting, mid).status == "ended"


def test_the_timeline_counts_from_the_day_it_was_held(parent, meeting):
    mid = meeting["id"]
    parent.api("POST", f"/meetings/{mid}/start", {"started_at": "2026-12-08T09:30:00Z"})
    parent.api("POST", f"/meetings/{mid}/end", {"ended_at": "2026-12-08T10:30:00Z"})
    # test that a deadline "within 2 weeks of the meeting" counts from the 8th, not the planned 1st
    overview = parent.client.get(f"/meetings/{mid}").text
    assert "Tue 22 Dec 2026" in overview and "Tue 15 Dec 2026" not in overview


def test_use_on_your_phone_is_linked_and_shows_a_code_only_where_a_phone_can_use_it(parent, monkeypatch):
    from server import tls

    # test the way there: the home page and the account page
    assert 'href="/connect">Use on your phone</a>' in parent.client.get("/").text
    assert 'href="/connect">Use on your phone</a>' in parent.client.get("/account").text
    # test plain http on this computer's own address: no QR code for 127.0.0.1, and what to do instead
    for base in ("http://127.0.0.1:5000", "http://localhost:5000"):
        page = parent.client.get("/connect", base_url=base).text
        assert 'id="connect-qr"' not in page and "opens Minuted on this computer only" in page
        assert "minuted serve --https --host 0.0.0.0" in page
    # test plain http on a LAN address: a phone reaches it but may not record there, so no code either
    page = parent.client.get("/connect", base_url="http://192.168.1.20:5000").text
    assert 'id="connect-qr"' not in page and "plain http" in page
    # test https: the code, for the address this page came from, when a phone can reach it
    page = parent.client.get("/connect", base_url="https://192.168.1.20:8443").text
    assert 'id="connect-qr"' in page and 'alt="QR code for https://192.168.1.20:8443/"' in page
    assert 'id="connect-why"' not in page
    # test https on localhost: the code names the computer's LAN address, or, with none, says what to do
    monkeypatch.setattr(tls, "lan_names", lambda: (["localhost", "box"], [ipaddress.ip_address("10.0.0.7")]))
    page = parent.client.get("/connect", base_url="https://localhost:8443").text
    assert 'alt="QR code for https://10.0.0.7:8443/"' in page
    monkeypatch.setattr(tls, "lan_names", lambda: (["localhost"], [ipaddress.ip_address("127.0.0.1")]))
    page = parent.client.get("/connect", base_url="https://localhost:8443").text
    assert 'id="connect-qr"' not in page and "no address on a local network" in page
