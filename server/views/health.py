"""Health for load balancers and orchestrators: /healthz (this process answers) and /readyz (it can work).

Neither needs a sign-in nor says anything about anyone's data. /healthz
touches nothing (no database, no queue): a process that answers it is alive,
so restart it only when it does not. /readyz checks what a request needs: the
database (reachable, and migrated to this code's schema), the queue and the
audio store; 503 in the one JSON error shape, naming what failed, takes the
process out of rotation until it recovers.
"""
import functools
import hmac

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request

from .. import audio_store
from ..db import MIGRATIONS
from ..db import db
from ..errors import APIError
from ..errors import error_body

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer that this process is alive (no database, no queue)."""
    return {"status": "alive"}


@bp.get("/readyz")
def readyz():
    """Answer whether the database, the queue and the audio store can be reached (503 naming any that cannot)."""
    problems = {}
    for name, check in (("database", _database), ("queue", _queue), ("storage", _storage)):
        try:
            problem = check()
        except Exception as e:  # noqa: BLE001 - any failure means not ready; its message may quote data
            db.session.rollback()
            problem = f"unreachable ({type(e).__name__})"
        if problem:
            problems[name] = problem
    if problems:
        response = jsonify(error_body("not_ready", f"Not ready: {', '.join(problems)}.", problems))
        response.status_code = 503
        return response
    return {"status": "ready", "checks": {"database": "ok", "queue": "ok", "storage": "ok"}}


@bp.get("/metrics")
def metrics():
    """Prometheus metrics, for the operator's token only (``METRICS_TOKEN``; off, a 404, when unset)."""
    from .. import metrics as prometheus

    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        raise APIError(404, "not_found", "Not found.")
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        response = jsonify(error_body("unauthorized", "Send the metrics token as 'Authorization: Bearer …'."))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return Response(prometheus.render(), mimetype=prometheus.CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Cache-Control": "no-store"})


@functools.cache
def head_revision():
    """Return the newest migration's revision (what the database must be at)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_current_head()


def _database():
    try:
        current = db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        db.session.rollback()
        db.session.execute(db.text("SELECT 1")).scalar()  # reachable, but no schema yet
        current = None
    db.session.rollback()
    if current != head_revision():
        return "migrations pending (run `minuted migrate`)"
    return None


def _queue():
    current_app.extensions["huey"].storage.queue_size()
    return None


def _storage():
    audio_store.store().check()
    db.session.rollback()
    return None
