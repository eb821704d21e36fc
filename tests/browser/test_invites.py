"""An admin invites a family from a phone, and the family makes its account from the link (issue 19)."""
import re

from playwright.sync_api import expect

from .conftest import PASSWORD
from .test_pages_320 import OVERFLOW
from .test_pages_320 import SMALL


def test_an_admin_invites_a_family_and_the_link_makes_one_account(browser, server, sign_in, check_a11y):
    admin = browser.new_context(**SMALL, base_url=server.url)
    family = browser.new_context(**SMALL, base_url=server.url)
    try:
        page = admin.new_page()
        sign_in(page, server.add_user())  # this server's first account: its admin
        page.goto("/account")
        page.get_by_role("link", name="Families and invites").click()
        page.get_by_label("Their email").fill("okafor.family@example.org")
        page.get_by_label("Note").fill("<b>Okafor</b> family")
        page.get_by_role("button", name="Make an invite link").click()
        link = page.locator("#new-link code").inner_text()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/invite/\S+", link), link
        # test that the note is shown as the words typed, the link once, and the page fits a small phone
        expect(page.get_by_text("<b>Okafor</b> family")).to_be_visible()
        assert page.evaluate(OVERFLOW)["over"] <= 0
        check_a11y(page)
        # test that reloading shows the invites, not the link again, and makes no second invite
        page.reload()
        expect(page.locator("#new-link")).to_have_count(0)
        expect(page.locator(".state", has_text="Waiting")).to_have_count(1)

        # the family opens the link: the address is the invite's, they choose a password
        them = family.new_page()
        them.goto(link)
        expect(them.get_by_label("Email")).to_have_value("okafor.family@example.org")
        check_a11y(them)
        them.get_by_label("Password").fill(PASSWORD)
        them.get_by_role("button", name="Create account").click()
        them.wait_for_url("**/children/new")
        # test that the link made one account: opened again (signed out), it no longer works
        fresh = browser.new_context(**SMALL, base_url=server.url)
        try:
            again = fresh.new_page()
            response = again.goto(link)
            assert response.status == 410
            expect(again.get_by_role("heading", level=1)).to_have_text("This invitation link no longer works")
        finally:
            fresh.close()
        # test that the admin sees it used, by that account
        page.goto("/admin/families")
        expect(page.get_by_text("the account of okafor.family@example.org")).to_be_visible()
    finally:
        admin.close()
        family.close()
