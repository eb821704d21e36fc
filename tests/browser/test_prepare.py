"""A parent prepares an EHCP annual review on a phone, from the first visit to the printed agenda.

One walk through the whole preparation flow at 390×844, with axe-core run on
every page on the way. This module gets its own server, so /setup still works.
"""
import re

from playwright.sync_api import expect

ASKS = ["Daily 1:1 reading support", "Speech and language therapy", "A quiet space at lunchtime"]
PROVISION = "Sam would benefit from access to up to 5 hours of support a week"
TARGET = "Sam would benefit from reading with an adult"


def asks_in_order(page):
    """Return the titles in #priorities, top first, without their numbers."""
    titles = page.locator("#priorities > li .row-title").all_inner_texts()
    return [re.sub(r"^\d+\.\s*", "", t).strip() for t in titles]


def _drag_points(source, target, below):
    start = source.bounding_box()
    end = target.bounding_box()
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    return x, y, end["y"] + end["height"] * (0.8 if below else 0.2)


def drag_with_mouse(page, source, target, below=True):
    """Drag source to just above or below target with the mouse, in small steps (both must be on screen)."""
    x, y, to_y = _drag_points(source, target, below)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, to_y, steps=12)
    page.mouse.up()


def drag_with_finger(page, source, target, below=True, steps=12):
    """The same with a finger: raw touch events through the DevTools protocol (Playwright has no touch drag)."""
    x, y, to_y = _drag_points(source, target, below)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, steps + 1):
        point = {"x": x, "y": y + (to_y - y) * i / steps}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def drag_saved(page):
    """Expect the PUT that saves the agenda's order."""
    return page.expect_response(lambda r: r.url.endswith("/agenda/order") and r.request.method == "PUT")


def test_prepare_an_annual_review_on_a_phone(page, server, check_a11y):
    # test that the first visit leads to creating the account, and that a short password is explained
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    check_a11y(page)
    page.get_by_label("Email").fill("sam.parent@example.org")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#f-password")).to_have_attribute("aria-invalid", "true")
    check_a11y(page)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Create account").click()

    # test that the new parent is sent on to add their child
    expect(page).to_have_url(re.compile(r"/children/new$"))
    expect(page.locator(".flash")).to_contain_text("Your account is ready")
    check_a11y(page)
    page.get_by_label("Name or initials").fill("Sam")
    page.get_by_label("School or setting").fill("Oakfield Primary")
    page.get_by_label("Year group").fill("Year 5")
    page.get_by_label("Where is the school?").select_option("england")
    page.get_by_label("Plan", exact=True).select_option(label="EHC plan")
    page.get_by_role("button", name="Add child").click()

    # test that adding the child leads to a meeting form with the child chosen
    expect(page).to_have_url(re.compile(r"/meetings/new\?child="))
    expect(page.get_by_label("Child")).to_have_value(re.compile(".+"))
    check_a11y(page)
    page.get_by_label("Type of meeting").select_option(label="EHCP annual review")
    page.get_by_label("Title").fill("Year 5 annual review")
    page.get_by_label("Date and time").fill("2027-03-10T10:00")
    page.get_by_label("Where").fill("SENCO's office")
    page.get_by_role("button", name="Create meeting").click()

    # test that people are added with roles picked from the grouped list
    expect(page).to_have_url(re.compile(r"/meetings/[^/]+/people$"))
    meeting_url = page.url.rsplit("/", 1)[0]
    check_a11y(page)
    expect(page.locator("#f-role optgroup").first).to_be_attached()
    for name, role, org in [
        ("Ms Patel", "SENCO / SENDCo", "Oakfield Primary"),
        ("Mr Jones", "Class teacher", "Oakfield Primary"),
        ("Ms Green", "LA SEN officer / EHC co-ordinator", "County Council"),
    ]:
        page.locator("#f-name").fill(name)
        page.locator("#f-role").select_option(label=role)
        page.locator("#f-organisation").fill(org)
        page.get_by_role("button", name="Add person").click()
        expect(page.locator(".flash")).to_contain_text(f"Added {name}")
    people = page.locator("#people > li")
    expect(people).to_have_count(3)
    expect(people.nth(0)).to_contain_text("SENCO")
    expect(people.nth(1)).to_contain_text("Class teacher")
    expect(people.nth(2)).to_contain_text("LA SEN officer")
    check_a11y(page)

    # test that three asks go on the agenda in the order they were added
    page.get_by_role("navigation", name="Prepare this meeting").get_by_role("link", name="Agenda").click()
    expect(page).to_have_url(meeting_url + "/agenda")
    check_a11y(page)
    for title in ASKS:
        page.locator("#f-title").fill(title)
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator(".flash")).to_contain_text("Added to your priorities")
    assert asks_in_order(page) == ASKS
    check_a11y(page)

    # test that the move buttons work from the keyboard, and by tapping
    page.get_by_role("button", name=f"Move {ASKS[2]} up").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert asks_in_order(page) == [ASKS[0], ASKS[2], ASKS[1]]
    with page.expect_navigation():
        page.get_by_role("button", name=f"Move {ASKS[0]} down").tap()
    assert asks_in_order(page) == [ASKS[2], ASKS[0], ASKS[1]]

    # test that dragging a handle with a finger, and with the mouse, saves the new order on the server
    rows = page.locator("#priorities > li")
    page.locator("#priorities").evaluate("list => list.scrollIntoView({block: 'start'})")
    with drag_saved(page) as saved:
        drag_with_finger(page, rows.nth(2).locator(".handle"), rows.nth(0), below=False)
    assert saved.value.ok, saved.value.text()
    assert asks_in_order(page) == [ASKS[1], ASKS[2], ASKS[0]]
    with drag_saved(page) as saved:
        drag_with_mouse(page, rows.nth(1).locator(".handle"), rows.nth(2), below=True)
    assert saved.value.ok, saved.value.text()
    new_order = [ASKS[1], ASKS[0], ASKS[2]]
    assert asks_in_order(page) == new_order
    expect(page.locator("#priorities > li .num")).to_have_text(["1.", "2.", "3."])
    page.reload()
    assert asks_in_order(page) == new_order

    # test that the wording checker flags vague provision while it is typed
    titles = {r["id"]: r["title"] for r in page.request.get("/api/v1/rules/england").json()["wording"]["rules"]}
    page.get_by_role("navigation", name="Prepare this meeting").get_by_role("link", name="Plan").click()
    expect(page).to_have_url(meeting_url + "/plan")
    check_a11y(page)
    page.get_by_text("Add a provision line").click()
    box = page.locator("#new-provision-text")
    box.press_sequentially("Sam would benefit from ")
    expect(page.locator("#new-provision-text-flags [data-rule=benefit_from]")).to_have_count(1)
    box.press_sequentially("access to ")
    expect(page.locator("#new-provision-text-flags [data-rule=access_to]")).to_have_count(1)
    expect(page.locator("#new-provision-text-flags [data-rule=up_to]")).to_have_count(0)
    box.press_sequentially("up to 5 hours of support a week")
    expect(page.locator("#new-provision-text-flags [data-rule=up_to]")).to_have_count(1)
    expect(box).to_have_value(PROVISION)
    page.get_by_text("Add a target").click()
    page.locator("#new-target-text").press_sequentially(TARGET)
    expect(page.locator("#new-target-text-flags [data-rule=benefit_from]")).to_have_count(1)
    # axe with both add-forms open and flags showing
    check_a11y(page)

    # test that the saved provision and target carry the server's flags too (.row-main: not the edit form's)
    page.locator("#new-provision-what").fill("Small-group literacy")
    page.locator("#new-provision-who").fill("Teaching assistant")
    page.get_by_role("button", name="Add provision").click()
    expect(page.locator(".flash")).to_contain_text("Added")
    saved_provision = page.locator("li[id^=provision-]")
    expect(saved_provision).to_have_count(1)
    expect(saved_provision.locator(".row-title")).to_contain_text(PROVISION)
    for rule in ("benefit_from", "access_to", "up_to"):
        expect(saved_provision.locator(".row-main li.flag", has_text=titles[rule])).to_have_count(1)
    page.get_by_text("Add a target").click()
    page.locator("#new-target-text").fill(TARGET)
    page.get_by_role("button", name="Add target").click()
    saved_target = page.locator("li[id^=targets-]")
    expect(saved_target).to_have_count(1)
    expect(saved_target.locator(".row-main li.flag", has_text=titles["benefit_from"])).to_have_count(1)
    check_a11y(page)

    # test that the print view lists the asks in the new order, hides the controls on paper, and holds the text
    page.get_by_role("navigation", name="Prepare this meeting").get_by_role("link", name="Print").click()
    expect(page).to_have_url(meeting_url + "/print")
    check_a11y(page)
    sheet = page.locator(".print-sheet")
    assert [t.strip() for t in sheet.locator("ol > li strong").all_inner_texts()] == new_order
    expect(sheet).to_contain_text("Ms Patel")
    expect(sheet).to_contain_text("LA SEN officer")
    text = page.locator("#agenda-text").input_value()
    positions = [text.index(f"{n}. {title}") for n, title in enumerate(new_order, 1)]
    assert positions == sorted(positions), text
    assert text == page.request.get(meeting_url + "/agenda.txt").text()
    page.emulate_media(media="print")
    for hidden in ("header.topbar", "nav.subnav", "[data-print]", "[data-copy]", "#agenda-text"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(sheet).to_be_visible()
    expect(sheet.locator("ol > li").first).to_contain_text(new_order[0])
    page.emulate_media(media="screen")
    expect(page.locator("[data-print]")).to_be_visible()

    # test the overview, the child's page and the home page
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Year 5 annual review")
    expect(page.locator("#timeline")).to_be_visible()
    check_a11y(page)
    page.get_by_role("main").get_by_role("link", name="Sam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam")
    check_a11y(page)
    page.get_by_role("link", name="Minuted").click()
    expect(page.get_by_role("link", name=re.compile("Year 5 annual review"))).to_contain_text("3 people")
    check_a11y(page)

    # test the offline page and a missing page
    page.goto("/offline")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
    check_a11y(page)
    response = page.goto("/meetings/no-such-meeting")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    check_a11y(page)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.get_by_text("Delete my account and everything in it").click()
    check_a11y(page)

    # test that signing out leads to the sign-in page, and signing in again works
    page.get_by_role("button", name="Sign out", exact=True).click()  # not "Sign out everywhere" on this page
    expect(page).to_have_url(re.compile(r"/login$"))
    check_a11y(page)
    page.get_by_label("Email").fill("sam.parent@example.org")
    page.get_by_label("Password").fill("wrong password here")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    check_a11y(page)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your meetings")
