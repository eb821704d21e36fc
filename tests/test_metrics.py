"""Prometheus metrics at /metrics (issue 19): the operator's token only; latency, lanes, jobs, real-time factor."""
import pytest

from conftest import Parent
from server import metrics
from test_jobs import _app
from test_jobs import send_chunks
from test_jobs import speech
from test_jobs import webm

TOKEN = "operator-metrics-token"


def _value(name, **labels):
    return metrics.REGISTRY.get_sample_value(name, labels) or 0


@pytest.fixture
def queued(tmp_path, migrated_db):
    """An app with a queue nothing consumes, and metrics on."""
    return _app(tmp_path, migrated_db, METRICS_TOKEN=TOKEN)


def _scrape(app, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().get("/metrics", headers=headers)


def test_metrics_are_off_without_a_token_and_refused_without_it(app):
    # test that /metrics does not exist until the operator sets a token
    assert app.test_client().get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = TOKEN
    # test that a family's session or a wrong token is not enough
    parent = Parent(app, app.test_client()).create()
    parent.login()
    assert parent.client.get("/metrics").status_code == 401
    assert _scrape(app, "wrong").status_code == 401
    r = _scrape(app)
    assert r.status_code == 200 and r.mimetype == "text/plain"


def test_request_latency_and_queue_depth_per_lane(queued):
    parent = Parent(queued, queued.test_client()).create()
    meeting = parent.make_meeting()
    before = _value("minuted_request_seconds_count", method="GET", route="/api/v1/meetings/<meeting_id>/events",
                    status="200")
    assert parent.api("GET", f"/meetings/{meeting['id']}/events").status_code == 200
    # test that the request was counted under its route, never its ids
    assert _value("minuted_request_seconds_count", method="GET", route="/api/v1/meetings/<meeting_id>/events",
                  status="200") == before + 1
    # a live recording and two uploads wait in the queue
    send_chunks(parent, meeting["id"], webm(speech(4)))
    import io

    from test_jobs import wav

    for _ in range(2):
        r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                       data={"file": (io.BytesIO(wav(speech(3))), "a.wav", "audio/wav")})
        assert r.status_code == 202
    text = _scrape(queued).get_data(as_text=True)
    assert 'minuted_queue_depth{lane="live"} 1.0' in text
    assert 'minuted_queue_depth{lane="upload"} 2.0' in text
    assert meeting["id"] not in text


def test_job_duration_and_real_time_factor(tmp_path, migrated_db):
    app = _app(tmp_path, migrated_db, QUEUE_IMMEDIATE=True, METRICS_TOKEN=TOKEN)
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    done = _value("minuted_job_seconds_count", lane="live", outcome="done")
    rtf = _value("minuted_transcription_real_time_factor_count", lane="live")
    send_chunks(parent, meeting["id"], webm(speech(6)))  # transcribed at once (immediate queue, fake engine)
    # test that the job's run was timed, and its speed measured against the audio it transcribed
    assert _value("minuted_job_seconds_count", lane="live", outcome="done") > done
    assert _value("minuted_transcription_real_time_factor_count", lane="live") > rtf
    assert 'minuted_transcription_real_time_factor_bucket{' in _scrape(app).get_data(as_text=True)
