"""Prometheus metrics: request latency, queue depth per lane, job durations, transcription real-time factor.

Served at ``GET /metrics`` (server/views/health.py) only when ``METRICS_TOKEN`` is
set, and only to a caller that sends it as ``Authorization: Bearer …``. Nothing
here names a family, a meeting or a route's ids: labels are routes, methods,
status codes, lanes and outcomes.

Each process counts its own requests and jobs. A ``minuted worker`` serves its
metrics on a port of its own (``--metrics-port``); the queue depth is read from
the database, so any web server gives the whole installation's.
"""
import logging
import time

from prometheus_client import CollectorRegistry
from prometheus_client import Gauge
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401 (re-exported for the view)

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()  # this package's own: apps made in one process (tests) share it
REQUEST_SECONDS = Histogram(
    "minuted_request_seconds", "Time to answer a request", ("method", "route", "status"), registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE_DEPTH = Gauge("minuted_queue_depth", "Transcription jobs waiting, per lane", ("lane",), registry=REGISTRY)
JOBS_RUNNING = Gauge("minuted_jobs_running", "Transcription jobs being transcribed, per lane", ("lane",),
                     registry=REGISTRY)
JOB_SECONDS = Histogram(
    "minuted_job_seconds", "Time a worker spent on a transcription job, per lane and outcome", ("lane", "outcome"),
    registry=REGISTRY, buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
REAL_TIME_FACTOR = Histogram(
    "minuted_transcription_real_time_factor", "Seconds spent per second of audio transcribed (below 1: faster "
    "than real time)", ("lane",), registry=REGISTRY, buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5),
)
LANES = ("live", "upload")


def observe_request(method, route, status, seconds):
    REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


def job_started(job_id, lane):
    """Return what job_ended needs: the lane, the time and the audio already transcribed."""
    return lane, time.monotonic(), _processed_ms(job_id)


def job_ended(job_id, started, outcome):
    """Count a worker's run of a job: its duration, and its real-time factor when it transcribed audio."""
    lane, t0, before = started
    seconds = time.monotonic() - t0
    JOB_SECONDS.labels(lane, outcome).observe(seconds)
    after = _processed_ms(job_id) if before is not None else None
    if after is not None and after > before:
        REAL_TIME_FACTOR.labels(lane).observe(seconds / ((after - before) / 1000))


def _processed_ms(job_id):
    from .db import db
    from .models import TranscriptionJob

    try:
        return db.session.execute(
            db.select(TranscriptionJob.processed_ms).where(TranscriptionJob.id == job_id)).scalar_one_or_none()
    except Exception:  # noqa: BLE001 - a metric never stops a job (the database may be away)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        return None


def _read_queue():
    """Set the queue gauges from the database (the jobs' rows, whichever queue carries them)."""
    from .db import db
    from .models import Recording
    from .models import TranscriptionJob

    lane = db.case((Recording.source == "upload", "upload"), else_="live")
    rows = db.session.execute(
        db.select(TranscriptionJob.status, lane, db.func.count())
        .join(Recording, Recording.id == TranscriptionJob.recording_id)
        .where(TranscriptionJob.status.in_(("queued", "running")))
        .group_by(TranscriptionJob.status, lane)
    ).all()
    counts = {(status, name): n for status, name, n in rows}
    for name in LANES:
        QUEUE_DEPTH.labels(name).set(counts.get(("queued", name), 0))
        JOBS_RUNNING.labels(name).set(counts.get(("running", name), 0))
    db.session.rollback()


def render():
    """Return the metrics in Prometheus's text format (the queue read now)."""
    _read_queue()
    return generate_latest(REGISTRY)


def serve(port, host="127.0.0.1"):
    """Serve this process's metrics on their own port (a worker, which has no web server)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=REGISTRY)
