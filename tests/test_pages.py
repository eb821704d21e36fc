"""The preparation pages, used the way a browser would (forms with CSRF tokens)."""
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
