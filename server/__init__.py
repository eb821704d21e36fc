"""Minuted: a meeting companion for parents at SEN school meetings."""
from pathlib import Path

from flask import Flask
from flask import current_app
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from . import config

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def _asset_dir(name):
    """Return templates/ or pwa/: installed inside the package, or at the repo root."""
    installed = PACKAGE / f"_{name}"
    return installed if installed.is_dir() else ROOT / name


TEMPLATES = _asset_dir("templates")
PWA = _asset_dir("pwa")
# the endpoints that take a bigger body than MAX_JSON_BYTES, and the setting that limits it
BODY_LIMITS = {
    "transcripts.upload": "MAX_CONTENT_LENGTH",
    "transcripts.page_upload": "MAX_CONTENT_LENGTH",
    "api.put_chunk": "MAX_CHUNK_BYTES",
    "api.post_events": "MAX_EVENTS_BYTES",
}


def limit_body():
    """Cap this request's body by its endpoint; refuse one that says it is bigger before reading any of it.

    A chunked body has no length to check: werkzeug stops reading it at the cap (and the
    JSON reader, views/api.py: body, answers 413 for one that reached it).
    """
    limit = current_app.config[BODY_LIMITS.get(request.endpoint, "MAX_JSON_BYTES")]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is too big: at most {limit} bytes here.")


def clean_form():
    """Refuse a form whose text holds a NUL or a lone surrogate: no page stores what PostgreSQL cannot."""
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for value in request.form.values():
            if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
                from .errors import APIError

                raise APIError(400, "bad_text", "The text holds characters that cannot be stored (NUL).")


def create_app(test_config=None, migrate=None):
    """Create and configure the Minuted app.

    Args:
        test_config: Settings instead of instance/config.py and the environment.
        migrate: Wait for the database and migrate it first (under a lock). None: the
            AUTO_MIGRATE setting, never with a test config (the `minuted` commands migrate themselves).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
        static_folder=str(PWA),
        static_url_path="/static",
    )
    # defaults, then instance/config.py, then MINUTED_* environment (or the test config)
    app.config.from_mapping(config.defaults())
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("MINUTED")
    else:
        app.config.update(test_config)
    config.finalise(app)
    from . import logs

    if test_config is None and migrate is None:
        logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])  # under a WSGI server
    logs.init_app(app)  # first: each request's id, for every line it logs (X-Request-Id)
    app.before_request(limit_body)  # before any hook reads a form
    app.before_request(clean_form)

    # extensions and request hooks, each module binding itself to this app
    from . import db, auth, errors, security, pwa

    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    pwa.init_app(app)
    from . import jobs

    jobs.init_app(app)  # the transcription queue (Huey) and its tasks
    from . import audio_store

    audio_store.init_app(app)  # start-up: sweep the temp files of crashed processes

    from .views import api, pages, account, admin, transcripts, minutes, health

    for bp in (account.bp, admin.bp, pages.bp, api.bp, transcripts.bp, minutes.bp, health.bp):
        app.register_blueprint(bp)

    # last: under a WSGI server, the first process to start migrates the database
    if migrate if migrate is not None else (test_config is None and app.config["AUTO_MIGRATE"]):
        db.migrate_at_start(app)
    return app
