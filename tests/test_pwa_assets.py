"""The PWA's files: manifest, service worker, icons, and the security headers around them."""
import json
import re

from server import PWA


def test_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    purposes = {icon["purpose"] for icon in manifest["icons"]}
    assert {"any", "maskable"} <= purposes
    # test that every icon exists at the size it claims
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
        png = (PWA / icon["src"].removeprefix("/static/")).read_bytes()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert f"{width}x{height}" == icon["sizes"]


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.text
    version = re.search(r"const VERSION = '([0-9a-f]{12})';", source)
    assert version, "the version is filled in"
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))
    # test that every precached path exists (it is built from the files on disk)
    assert "/offline" in precache and "/static/js/app.js" in precache and "/static/css/app.css" in precache
    for path in precache:
        assert client.get(path).status_code == 200, path


def test_every_module_import_resolves():
    # test that each relative ES module import points at a file (no build step to catch it)
    for module in (PWA / "js").rglob("*.js"):
        for spec in re.findall(r"""(?:import|from)\s*\(?\s*['"](\.{1,2}/[^'"]+)['"]""", module.read_text()):
            assert (module.parent / spec).resolve().is_file(), f"{module.name} imports {spec}"


def test_security_headers(parent):
    response = parent.client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "private" in response.headers["Cache-Control"]
    # test that no page carries inline script or a third-party URL
    for path in ("/", "/children/new", "/login"):
        text = parent.client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"""(?:src|href)=["']https?://""", text), path


def test_no_third_party_urls_in_the_front_end():
    for path in PWA.rglob("*"):
        if path.suffix in (".js", ".css", ".webmanifest"):
            assert not re.search(r"https?://(?!127\.0\.0\.1|localhost)", path.read_text()), path
