"""The installable PWA: manifest, service worker, pages kept for offline use, and forgetting them on sign-out."""
import re

from playwright.sync_api import expect

from .conftest import wait_controlled

BLUE = "rgb(29, 78, 137)"  # --blue: the top bar, drawn from the precached stylesheet


def rendered_at(page):
    """When the server made the page in view (an offline copy keeps the time of the copy)."""
    return page.locator("body").get_attribute("data-rendered-at")


def add_child(page, name):
    """Add a child through the form and return the child's page URL."""
    page.goto("/children/new")
    page.get_by_label("Name or initials").fill(name)
    page.get_by_label("School or setting").fill("Oakfield Primary")
    page.get_by_role("button", name="Add child").click()
    expect(page).to_have_url(re.compile(r"/meetings/new\?child="))
    child_id = page.url.rsplit("=", 1)[1]
    return f"/children/{child_id}"


def test_installable(browser_type, browser_type_launch_args, server, tmp_path):
    # Chromium reports installability only outside incognito, so this test uses a persistent profile
    context = browser_type.launch_persistent_context(
        tmp_path / "profile", **browser_type_launch_args, viewport={"width": 390, "height": 844}, base_url=server.url
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto("/login")
        wait_controlled(page)

        # test that Chromium finds nothing stopping an install, and no manifest errors
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"].endswith("/manifest.webmanifest")

        # test the manifest's content, and that its icons are served
        data = page.request.get("/manifest.webmanifest").json()
        assert data["name"] and data["short_name"]
        assert data["display"] == "standalone"
        assert data["start_url"] == "/" and data["scope"] == "/"
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", data["theme_color"])
        purposes = {p for icon in data["icons"] for p in icon.get("purpose", "any").split()}
        assert {"any", "maskable"} <= purposes
        assert any(icon["sizes"] == "512x512" for icon in data["icons"])
        for icon in data["icons"]:
            response = page.request.get(icon["src"])
            assert response.ok and response.headers["content-type"] == "image/png", icon["src"]

        # test that the worker controls the whole app from the root
        worker = page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => ({scope: r.scope, script: r.active.scriptURL}))"
        )
        assert worker == {"scope": server.url + "/", "script": server.url + "/sw.js"}
    finally:
        context.close()


def test_offline_reload_shows_the_saved_page(page, context, sign_in, check_a11y):
    sign_in(page)
    wait_controlled(page)
    child_url = add_child(page, "Robin")
    page.goto(child_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Robin")
    expect(page.locator("#offline-banner")).to_be_hidden()
    online_copy = rendered_at(page)

    # test that, offline, a reload comes from the service worker with the page's content and its styles
    context.set_offline(True)
    try:
        response = page.reload()
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("Robin")
        assert rendered_at(page) == online_copy
        expect(page.get_by_text("Oakfield Primary")).to_be_visible()
        assert page.locator(".topbar").evaluate("e => getComputedStyle(e).backgroundColor") == BLUE

        # test that the offline banner says this is a saved copy
        banner = page.locator("#offline-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("You're offline")
        expect(banner).to_contain_text("saved on this device")
        check_a11y(page)
    finally:
        context.set_offline(False)

    # test that the banner goes when the connection comes back
    expect(page.locator("#offline-banner")).to_be_hidden()


def test_offline_unvisited_page_shows_the_offline_page(page, context, sign_in, check_a11y):
    sign_in(page)
    wait_controlled(page)
    child_url = add_child(page, "Alex")

    context.set_offline(True)
    try:
        # test that a page never opened on this device gives the offline page, not a browser error
        response = page.goto(child_url + "/edit")
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
        expect(page.get_by_role("link", name="Go to your meetings")).to_be_visible()
        check_a11y(page)
    finally:
        context.set_offline(False)


def test_saved_page_survives_the_server_going_down(page, server, sign_in):
    sign_in(page)
    wait_controlled(page)
    child_url = add_child(page, "Kai")
    page.goto(child_url)
    online_copy = rendered_at(page)

    # test that the saved copy is shown when the server itself is down (not just the phone's signal)
    server.stop()
    try:
        # (a few minutes later, by the phone's clock)
        page.add_init_script("(() => { const shift = 5 * 60 * 1000; const real = Date.now; "
                             "Date.now = () => real() + shift; })()")
        response = page.reload()
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("Kai")
        assert rendered_at(page) == online_copy
        # test that the parent is told this is a saved copy although the phone has a signal
        expect(page.locator("#offline-banner")).to_contain_text("Minuted couldn't be reached")
    finally:
        server.start()
    # test that, with the server back, a page never saved comes from the network (not the offline page)
    page.goto(child_url + "/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Kai")


def test_sign_out_forgets_saved_pages(page, context, sign_in):
    sign_in(page)
    wait_controlled(page)
    child_url = add_child(page, "Jordan")
    page.goto(child_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Jordan")
    assert page.evaluate("caches.open('minuted-pages').then(c => c.keys()).then(k => k.length)") > 0

    # test that signing out drops the saved pages, so a shared phone shows nothing of this parent's offline
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    wait_controlled(page)
    saved = page.evaluate("caches.open('minuted-pages').then(c => c.keys()).then(k => k.map(r => r.url))")
    assert not [url for url in saved if "/children/" in url], saved

    context.set_offline(True)
    try:
        response = page.goto(child_url)
        assert response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("You're offline")
        expect(page.get_by_text("Jordan")).to_have_count(0)
    finally:
        context.set_offline(False)
