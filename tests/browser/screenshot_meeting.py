"""Take the meeting screen's screenshots: docs/meeting-390.png (390×844) and docs/meeting-320.png (320×568),
recording, with a marker just saved; and put the 390-px one into the right half of docs/screenshot.png
(the left half, the plan page, is tests/browser/screenshot.py's).

Run once by hand when the meeting screen changes (not part of the test run; needs espeak-ng for the fake
microphone's speech, else the microphone beeps):

    .venv/bin/python tests/browser/screenshot_meeting.py
"""
import base64
import json
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

from conftest import CHROMIUM
from conftest import CHROMIUM_ARGS
from conftest import MOBILE
from conftest import PASSWORD
from conftest import SPEECH
from conftest import Server
from conftest import espeak_wav
from conftest import fake_mic_args
from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAIR = DOCS / "screenshot.png"
LEFT = 414  # the plan page's half of the pair, with the gap


class Api:
    """The JSON API with a bearer token."""

    def __init__(self, server, email):
        self.url = server.url
        self.token = server.cli("token", email).strip()

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.url + "/api/v1" + path, data=json.dumps(body).encode() if body is not None else None, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


def make_meeting(api):
    child = api.call("POST", "/children", {"name": "Sam", "jurisdiction": "england"})
    meeting = api.call("POST", "/meetings", {"child_id": child["id"], "kind": "ehcp_annual_review",
                                             "title": "Year 5 annual review", "starts_at": "2027-03-10T10:00:00Z"})
    mid = meeting["id"]
    for name, role in [("Ms Khan", "senco"), ("Mr Obi", "class_teacher"), ("Mrs Lee", "la_sen_officer"),
                       ("Me", "parent")]:
        api.call("POST", f"/meetings/{mid}/attendees", {"name": name, "role": role})
    for title in ["Daily 1:1 reading support", "Speech and language therapy", "Lunchtimes"]:
        api.call("POST", f"/meetings/{mid}/agenda", {"title": title, "detail": ""})
    return mid


def pair(browser, meeting_png):
    """Put the new meeting screen next to the plan page already in docs/screenshot.png."""
    if not PAIR.exists():
        return
    old = base64.b64encode(PAIR.read_bytes()).decode()
    new = base64.b64encode(meeting_png.read_bytes()).decode()
    page = browser.new_page(viewport={"width": LEFT + 390, "height": 844}, device_scale_factor=1)
    page.set_content(
        "<body style='margin:0;background:#fff;display:flex'>"
        f"<div style='width:{LEFT}px;height:844px;overflow:hidden'><img src='data:image/png;base64,{old}'></div>"
        f"<img src='data:image/png;base64,{new}' width='390' height='844'></body>"
    )
    page.screenshot(path=PAIR)
    page.close()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data")
        server.start()
        try:
            email = server.add_user("parent@example.org")
            mid = make_meeting(Api(server, email))
            wav = espeak_wav(Path(tmp) / "speech.wav", SPEECH) if shutil.which("espeak-ng") else None
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + fake_mic_args(wav))
                page = browser.new_context(**MOBILE, base_url=server.url).new_page()
                page.goto("/login")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(lambda url: "/login" not in url)
                page.goto(f"/meetings/{mid}/live")
                page.evaluate("window.minutedLive.ready")
                page.locator("#start-meeting").click()
                page.locator("#rec-consent").click()
                page.locator("#consent-said").check()
                page.locator("#consent-all").click()
                page.locator("#speakers .chip", has_text="Mrs Lee").click()
                time.sleep(4)
                page.locator("[data-marker=refused]").click()
                page.locator("#marker-saved").get_by_text("saved").wait_for()
                time.sleep(0.4)  # the level meter's transition
                DOCS.mkdir(exist_ok=True)
                shots = {}
                for width, height in [(390, 844), (320, 568)]:
                    page.set_viewport_size({"width": width, "height": height})
                    page.evaluate("window.scrollTo(0, 0)")
                    shots[width] = DOCS / f"meeting-{width}.png"
                    page.screenshot(path=shots[width])
                pair(browser, shots[390])
                browser.close()
        finally:
            server.stop()
    print(f"wrote {', '.join(str(DOCS / f'meeting-{w}.png') for w in (390, 320))} and {PAIR}")


if __name__ == "__main__":
    main()
