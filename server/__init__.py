"""Minuted: a meeting companion for parents at SEN school meetings."""
from pathlib import Path

from flask import Flask

from . import config

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def _asset_dir(name):
    """Return templates/ or pwa/: installed inside the package, or at the repo root."""
    installed = PACKAGE / f"_{name}"
    return installed if installed.is_dir() else ROOT / name


TEMPLATES = _asset_dir("templates")
PWA = _asset_dir("pwa")


def create_app(test_config=None):
    """Create and configure the Minuted app."""
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

    # extensions and request hooks, each module binding itself to this app
    from . import db, auth, errors, security, pwa

    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    pwa.init_app(app)
    from . import jobs

    jobs.init_app(app)  # the transcription queue (Huey) and its tasks

    from .views import api, pages, account, transcripts, minutes

    for bp in (account.bp, pages.bp, api.bp, transcripts.bp, minutes.bp):
        app.register_blueprint(bp)
    return app
