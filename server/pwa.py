"""The installable PWA: the service worker at the root scope, the manifest, the offline page."""
import hashlib
from datetime import datetime
from datetime import timezone
import json

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import send_from_directory

bp = Blueprint("pwa", __name__)

# never precached: the service worker itself
_SKIP = {"sw.js"}


def _assets(app):
    """Return (version, static paths to precache), computed once from the files on disk."""
    cached = app.extensions.get("minuted_pwa")
    if cached:
        return cached
    from . import PWA

    digest = hashlib.sha256()
    paths = []
    for path in sorted(p for p in PWA.rglob("*") if p.is_file()):
        rel = path.relative_to(PWA).as_posix()
        if rel in _SKIP or "__pycache__" in rel or rel.endswith(".py"):
            continue
        digest.update(rel.encode())
        digest.update(path.read_bytes())
        paths.append(f"/static/{rel}")
    # the templates shape the pages the worker keeps, so they count towards the version too
    from . import TEMPLATES

    for path in sorted(p for p in TEMPLATES.rglob("*.html") if p.is_file()):
        digest.update(path.read_bytes())
    result = (digest.hexdigest()[:12], paths)
    app.extensions["minuted_pwa"] = result
    return result


@bp.get("/sw.js")
def service_worker():
    """Serve the service worker from the root so its scope is the whole app."""
    from . import PWA

    version, paths = _assets(current_app)
    source = (PWA / "sw.js").read_text()
    source = source.replace("__VERSION__", version).replace(
        "__PRECACHE__", json.dumps(paths + ["/offline"])
    )
    response = current_app.response_class(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """Serve the web app manifest."""
    from . import PWA

    response = send_from_directory(PWA, "manifest.webmanifest", mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline():
    """The page the service worker shows for a page it has never saved."""
    return render_template("offline.html")


def now_iso():
    """Return the time a page was made, so an offline copy can say how old it is."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def asset_version():
    return _assets(current_app)[0]


def init_app(app):
    """Register the PWA routes and the asset version for templates."""
    app.register_blueprint(bp)
    app.add_template_global(asset_version)
    app.add_template_global(now_iso)
