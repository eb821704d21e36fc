"""Redis mode: a real redis-server started here, a `minuted worker` subprocess, an upload transcribed end to end."""
import shutil
import socket
import subprocess
import time

import pytest

from conftest import Parent
from conftest import make_app
from server.db import db
from test_worker_kill import AUDIO
from test_worker_kill import start_worker
from test_worker_kill import stop
from test_worker_kill import wait_for

REDIS = shutil.which("redis-server")

pytestmark = [
    pytest.mark.whisper,
    pytest.mark.skipif(REDIS is None, reason="redis-server is not installed (apt-get install redis-server; CI has it)"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server (no persistence); the URL's ``restart()`` restarts it empty on the same port."""
    server = RedisUrl(f"redis://127.0.0.1:{free_port()}/0")
    server.dir = tmp_path
    server.start()
    yield server
    server.stop()


class RedisUrl(str):
    """A redis:// URL that can stop and start its server (whose queue does not survive: no persistence)."""

    def start(self):
        import redis

        port = int(self.rsplit(":", 1)[1].split("/")[0])
        self.proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(port=port)
        wait_for(lambda: _ping(client), timeout=20, proc=self.proc, what="redis-server")
        client.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def restart(self):
        self.stop()
        self.start()


def _ping(client):
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        time.sleep(0.05)
        return False


def test_an_upload_is_transcribed_by_a_worker_on_redis(tmp_path, migrated_db, redis_url):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(migrated_db, data / "minuted.sqlite3")
    app = make_app(data, QUEUE_URL=redis_url)
    assert type(app.extensions["huey"]).__name__ == "PriorityRedisHuey"  # a sorted set: the queue has lanes
    parent = Parent(app, app.test_client()).create()
    meeting = parent.make_meeting()
    r = parent.api("POST", f"/meetings/{meeting['id']}/uploads",
                   data={"file": ((AUDIO / "jfk.flac").open("rb"), "jfk.flac", "audio/flac")})
    assert r.status_code == 202, r.json
    assert app.extensions["huey"].pending_count() == 1
    assert not (data / "queue.sqlite3").exists()

    worker = start_worker(data, {"MINUTED_QUEUE_URL": redis_url})
    try:
        t = wait_for(lambda: (t := parent.api("GET", f"/meetings/{meeting['id']}/transcript").json)
                     and t["status"] in ("done", "failed") and t, timeout=120, proc=worker, what="the transcript")
    finally:
        stop(worker)
    assert t["status"] == "done", t
    text = " ".join(s["text"] for s in t["segments"]).lower()
    assert "ask not what your country can do for you" in text
    with app.app_context():
        db.engine.dispose()
