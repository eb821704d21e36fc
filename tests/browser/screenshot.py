"""Take docs/screenshot.png: the plan page on a phone (390×844) with the wording checker's flags showing.

Run once by hand when the page changes (not part of the test run):

    .venv/bin/python tests/browser/screenshot.py
"""
import tempfile
from pathlib import Path

from conftest import CHROMIUM
from conftest import CHROMIUM_ARGS
from conftest import MOBILE
from conftest import PASSWORD
from conftest import Server
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data")
        server.start()
        try:
            email = server.add_user("parent@example.org")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(**MOBILE, base_url=server.url).new_page()
                page.goto("/login")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.goto("/children/new")
                page.get_by_label("Name or initials").fill("Sam")
                page.get_by_label("Plan", exact=True).select_option("ehcp")
                page.get_by_role("button", name="Add child").click()
                page.get_by_label("Type of meeting").select_option("ehcp_annual_review")
                page.get_by_label("Title").fill("Year 5 annual review")
                page.get_by_label("Date and time").fill("2027-03-10T10:00")
                page.get_by_role("button", name="Create meeting").click()
                page.goto(page.url.replace("/people", "/plan"))
                page.get_by_text("Add a provision line").click()
                page.locator("#new-provision-text").press_sequentially(
                    "Sam would benefit from access to up to 5 hours of speech and language therapy"
                )
                expect(page.locator("#new-provision-text-flags [data-rule=up_to]")).to_have_count(1)
                page.locator("#provision").evaluate("h => h.scrollIntoView({block: 'start'})")
                page.evaluate("window.scrollBy(0, -8)")
                OUT.parent.mkdir(exist_ok=True)
                page.screenshot(path=OUT)
                browser.close()
        finally:
            server.stop()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
