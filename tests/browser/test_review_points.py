"""The review page's points from the recording, on a phone: confirm one, fix one, remove one, redraft.

Loads the scripted meeting (tests/data/minutes) straight into the server's
database. The points to act on are picked from the API by kind, so the test
does not depend on how many points the phrase rules find or in what order.
"""
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server import create_app
from server.db import db

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import minutes_scripted  # noqa: E402

CHECK = "(from the recording: check)"
FIXED_TEXT = "The speech therapist will be booked before half term & see Sam <twice> a week."
FIXED_DUE = "2027-01-15"


@pytest.fixture(scope="module")
def meeting(server):
    """An account with the scripted meeting in the server's database."""
    email_address = server.add_user()
    app = create_app({"DATA_DIR": str(server.data)})
    meeting_id = minutes_scripted.load(app, email_address)
    with app.app_context():
        db.engine.dispose()
    return email_address, meeting_id


def csrf(page):
    """The page's CSRF token, for API calls made with the page's session."""
    return page.locator('meta[name="csrf-token"]').get_attribute("content")


def api_points(page, meeting_id):
    """The open points from the recording, as the API lists them."""
    response = page.request.get(f"/api/v1/meetings/{meeting_id}/suggestions")
    assert response.ok, response.text()
    return response.json()["suggestions"]


def first_words(text, n=6):
    """The start of a sentence, to find it in the Markdown whatever its quoting and escaping."""
    return " ".join(text.split()[:n])


def test_decide_refuses_bad_fixes(page, sign_in, meeting):
    email_address, meeting_id = meeting
    sign_in(page, email_address)
    page.goto(f"/meetings/{meeting_id}/review")
    point = api_points(page, meeting_id)[0]
    url = f"/api/v1/meetings/{meeting_id}/suggestions/{point['id']}/accept"
    headers = {"X-CSRFToken": csrf(page)}
    for data, field in (({"who": 5}, "who"), ({"due": 20270115}, "due"), ({"who": "nobody-here"}, "who"),
                        ({"due": "next week"}, "due"), ({"text": "  "}, "text")):
        response = page.request.post(url, data=data, headers=headers)
        assert response.status == 422, (data, response.text())
        error = response.json()["error"]
        assert error["code"] == "invalid" and field in error["fields"], error
    response = page.request.post(f"/api/v1/meetings/{meeting_id}/suggestions/0:nothing/accept", data={},
                                 headers=headers)
    assert response.status == 404 and response.json()["error"]["code"] == "not_found"
    # test that nothing was decided by the refused calls
    assert point["id"] in [p["id"] for p in api_points(page, meeting_id)]


def test_confirm_fix_and_remove_points(page, sign_in, check_a11y, meeting):
    email_address, meeting_id = meeting
    sign_in(page, email_address)
    page.goto(f"/meetings/{meeting_id}/review")
    section = page.locator("#suggestions")
    expect(section.get_by_role("heading", name="Points from the recording: check each one")).to_be_visible()
    expect(section).to_contain_text("Confirm what is right; fix who or what if it is wrong; remove what is not.")

    # the page's new module is precached with the rest of the app
    assert '"/static/js/review/points.js"' in page.request.get("/sw.js").text()

    found = api_points(page, meeting_id)
    items = page.locator("[data-suggestion]")
    expect(items).to_have_count(len(found))
    assert len(found) >= 3, found
    # pick by kind: a refusal to confirm, an action with an owner to fix, another point to remove
    confirm = next(p for p in found if p["kind"] == "refusal")
    fix = next(p for p in found if p["kind"] == "commitment" and p["attendee_id"])
    rest = [p for p in found if p["id"] not in (confirm["id"], fix["id"])]
    remove = next((p for p in rest if p["kind"] == "refusal"), rest[0])
    untouched = [p["id"] for p in rest if p["id"] != remove["id"]]

    def item(point):
        return page.locator(f'[data-suggestion="{point["id"]}"]')

    # test that each point shows its label, time, person, words, and due date for an action
    for point in (confirm, fix, remove):
        head = item(point).locator(".point-head")
        expect(head).to_contain_text(point["label"])
        expect(head).to_contain_text(point["time"])
        expect(head).to_contain_text(point["who"])
        expect(item(point).locator(".point-text")).to_contain_text(first_words(point["text"]))
    if fix["due"]:
        expect(item(fix)).to_contain_text("Due: " + ("about " if fix["due_approx"] else ""))
    if confirm["reason"]:
        expect(item(confirm)).to_contain_text(f"Reason given: {confirm['reason']}")

    # test that every control is a thumb-sized target on a phone
    for control in item(fix).get_by_role("button").all():
        assert control.bounding_box()["height"] >= 44, control.text_content()
    check_a11y(page)

    # test that the fix forms and the redraft offer wait until asked for
    expect(page.locator("[data-suggestion] form")).to_have_count(len(found))
    for form in page.locator("[data-suggestion] form").all():
        expect(form).to_be_hidden()
    expect(page.locator("#points-redraft")).to_be_hidden()
    item(remove).get_by_role("button", name="Fix").click()
    expect(item(remove).locator("form")).to_be_visible()
    item(remove).get_by_role("button", name="Cancel").click()
    expect(item(remove).locator("form")).to_be_hidden()
    expect(item(remove).get_by_role("button", name="Fix")).to_have_attribute("aria-expanded", "false")

    # confirm: one tap, the point leaves the list, its neighbours stay
    item(confirm).get_by_role("button", name="Confirm").click()
    expect(item(confirm)).to_have_count(0)
    expect(page.locator("#points-status")).to_have_text(re.compile(r"^Confirmed\. The draft will include it\."))
    expect(items).to_have_count(len(found) - 1)
    expect(item(fix)).to_be_visible()
    expect(item(remove)).to_be_visible()
    expect(page.locator("#points-redraft").get_by_role("button", name="Redraft the minutes now")).to_be_visible()

    # fix: the form opens in place, prefilled with the person, the words and the due date
    item(fix).get_by_role("button", name="Fix").click()
    form = item(fix).locator("form")
    expect(form).to_be_visible()
    expect(item(fix).get_by_role("button", name="Fix")).to_have_attribute("aria-expanded", "true")
    who = form.get_by_label("Who will do it")
    expect(who).to_be_focused()
    expect(who).to_have_value(fix["attendee_id"])
    expect(form.get_by_label("What was said")).to_have_value(fix["text"])
    expect(form.get_by_label("Due date")).to_have_value(fix["due"] or "")
    for control in (who, form.get_by_label("What was said"), form.get_by_label("Due date")):
        assert control.bounding_box()["height"] >= 44
    check_a11y(page)
    names = [o for o in who.locator("option").all_text_contents() if o != "Nobody named"]
    owner_name = fix["who"].split(" (")[0]
    chosen = next(n for n in names if n != owner_name)
    who.select_option(label=chosen)
    form.get_by_label("What was said").fill(FIXED_TEXT)
    form.get_by_label("Due date").fill(FIXED_DUE)
    form.get_by_role("button", name="Save").click()
    expect(item(fix)).to_have_count(0)
    expect(page.locator("#points-status")).to_have_text(re.compile(r"^Fixed\. The draft will include your version\."))
    expect(item(remove)).to_be_visible()
    expect(items).to_have_count(len(found) - 2)
    # shown as text, never as markup
    expect(page.locator("#markers")).to_contain_text(FIXED_TEXT)

    # remove
    item(remove).get_by_role("button", name="Remove").click()
    expect(item(remove)).to_have_count(0)
    expect(page.locator("#points-status")).to_have_text(re.compile(r"^Removed\. The draft will leave it out\."))
    for other in untouched:
        expect(page.locator(f'[data-suggestion="{other}"]')).to_have_count(1)
    if untouched:
        expect(page.locator("#no-suggestions")).to_be_hidden()
    else:
        expect(page.locator("#no-suggestions")).to_be_visible()

    # test that the API no longer lists the decided points, and still lists the others
    assert [p["id"] for p in api_points(page, meeting_id)] == untouched

    # redraft from the points section: the editor gets the new draft
    page.get_by_role("button", name="Redraft the minutes now").click()
    expect(page.locator("#minutes-status")).to_contain_text("Redrafted as version")
    expect(page.get_by_label("The whole minutes as text")).to_have_value(re.compile(re.escape(FIXED_TEXT[:30])))
    expect(page.get_by_role("button", name="Redraft the minutes now")).to_be_hidden()
    expect(page.locator("#points-status")).to_have_text("Redrafted. The minutes below include what you checked.")

    # test that the redrafted minutes carry the fix with the chosen person and date, the confirmed point
    # checked, and not the removed point
    response = page.request.post(f"/api/v1/meetings/{meeting_id}/minutes", data={},
                                 headers={"X-CSRFToken": csrf(page)})
    assert response.ok, response.text()
    markdown = response.json()["markdown"]
    lines = markdown.splitlines()
    fixed = [line for line in lines if FIXED_TEXT.split(" & ")[0] in line]
    assert len(fixed) == 1, markdown
    assert chosen in fixed[0] and "Friday 15 January 2027" in fixed[0] and CHECK not in fixed[0], fixed[0]
    confirmed = [line for line in lines if first_words(confirm["text"]) in line]
    assert confirmed and all(CHECK not in line for line in confirmed), confirmed
    removed = [line for line in lines if first_words(remove["text"]) in line and f"[{remove['time']}]" in line]
    assert all(CHECK not in line for line in removed), removed
