"""The operator's files in deploy/ (issue 19): compose.yaml, the systemd units and the settings file.

No container runtime or systemd runs on the test machines, so the tests read
what the files say and then run it: each web and worker service's command, with
the environment its file gives it (the hosts pointed at a throwaway PostgreSQL
and Redis), as separate processes with their own data directories. A family
signs in on one web server and carries on on the other; a recording uploaded to
one is transcribed by the workers (the bundled tiny.en on real speech); every
process stops promptly on SIGTERM. Building the image is not run here.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from conftest import make_app
from server.cli import main
from server.config import defaults
from test_postgres import empty_database
from test_postgres import postgres_url  # noqa: F401 - a fixture: a throwaway PostgreSQL server
from test_redis_queue import free_port
from test_redis_queue import redis_url  # noqa: F401 - a fixture: a throwaway redis-server
from test_worker_kill import wait_for

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SPEECH = Path(__file__).parent / "data" / "audio" / "LJ001-0002.wav"
PASSWORD = "a long enough password"
# what every process must share (docs/hosting.md)
SHARED = ("MINUTED_DATABASE_URL", "MINUTED_QUEUE_URL", "MINUTED_STORAGE", "MINUTED_SECRET_KEY")


# --- reading the files ---

def unit(name, instance="1"):
    """A systemd unit as {section: {key: [values]}}, with %i replaced by instance."""
    sections, current = {}, None
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip().replace("%i", instance))
    return sections


def env_file(path):
    """KEY=VALUE lines, as systemd's EnvironmentFile= and compose's --env-file read them."""
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(value, variables):
    """Compose's ${NAME}, ${NAME:?message} and ${NAME:-default}."""
    def one(m):
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if variables.get(name):
            return variables[name]
        if op == ":?":
            raise AssertionError(f"compose needs {name}: {arg}")
        return arg or ""
    return re.sub(r"\$\{([A-Z_]+)(?:(:\?|:-)([^}]*))?\}", one, str(value))


def compose(variables):
    """compose.yaml's services, anchors merged and ${…} filled in from variables."""
    def fill(node):
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        return interpolate(node, variables) if isinstance(node, str) else node
    return fill(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))["services"]


def settings(env):
    """The config keys that MINUTED_* names in env set (each must be a real setting)."""
    known = set(defaults()) | {"DATA_DIR"}
    names = {k.removeprefix("MINUTED_") for k in env if k.startswith("MINUTED_")}
    assert names <= known, f"not settings: {sorted(names - known)}"
    return names


def cli_args(argv):
    """Parse argv (a `minuted …` command) with the real CLI; return the subcommand's parameters."""
    assert Path(argv[0]).name == "minuted", argv
    name, *args = argv[1:]
    command = main.get_command(None, name)
    assert command is not None, f"no such command: minuted {name}"
    return name, command.make_context(name, args).params


# --- what the files say ---

def test_the_settings_file_names_real_settings_and_everything_that_must_be_shared():
    example = env_file(DEPLOY / "minuted.env.example")
    settings(example)
    assert set(SHARED) <= set(example)
    assert example["MINUTED_STORAGE"] == "database"  # no folder shared between machines
    assert example["MINUTED_RATELIMIT_STORAGE_URI"].startswith("redis://")  # sign-in limits across web servers
    assert example["MINUTED_TRUSTED_PROXIES"] == "1"  # behind one TLS proxy


def test_systemd_units_run_the_cli_with_the_shared_settings():
    web, worker = unit("minuted-web.service"), unit("minuted-worker@.service", "2")
    for u in (web, worker):
        service = u["Service"]
        assert service["EnvironmentFile"] == ["/etc/minuted/minuted.env"]
        assert service["Restart"] == ["on-failure"] and service["User"] == ["minuted"]
        assert u["Install"]["WantedBy"] == ["multi-user.target"]
    name, params = cli_args(shlex.split(web["Service"]["ExecStart"][0]))
    assert name == "serve" and params["worker"] is False  # web servers leave transcription to the workers
    name, params = cli_args(shlex.split(worker["Service"]["ExecStart"][0]))
    assert name == "worker"
    # each worker its own data directory; SIGTERM hands the job back, with time to do it
    assert worker["Service"]["Environment"] == ["MINUTED_DATA_DIR=/var/lib/minuted/worker-2"]
    assert worker["Service"]["KillSignal"] == ["SIGTERM"]
    assert int(worker["Service"]["TimeoutStopSec"][0]) >= defaults()["JOB_LEASE_S"]


def test_compose_shares_the_settings_and_checks_health():
    services = compose({"POSTGRES_PASSWORD": "pw", "MINUTED_SECRET_KEY": "key", "DOMAIN": "m.example.org"})
    web, worker = services["web"], services["worker"]
    for service in (web, worker):
        settings(service["environment"])
        assert service["depends_on"] == {"db": {"condition": "service_healthy"},
                                         "redis": {"condition": "service_healthy"}}
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    # the same database, queue, storage and key everywhere, and the database is the compose one
    assert {k: web["environment"][k] for k in SHARED} == {k: worker["environment"][k] for k in SHARED}
    assert web["environment"]["MINUTED_DATABASE_URL"] == "postgresql+psycopg://minuted:pw@db:5432/minuted"
    assert web["environment"]["MINUTED_STORAGE"] == "database"
    assert web["environment"]["MINUTED_PUBLIC_URL"] == "https://m.example.org"
    name, params = cli_args(web["command"])
    assert name == "serve" and params["worker"] is False and params["port"] == 8000
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert cli_args(worker["command"])[0] == "worker"
    assert int(worker["stop_grace_period"].rstrip("s")) >= defaults()["JOB_LEASE_S"]
    # Redis keeps its queue on disk, the databases keep volumes, and Caddy serves TLS to the web servers
    assert "--appendonly" in services["redis"]["command"]
    assert services["db"]["volumes"] and services["redis"]["volumes"]
    assert "443:443" in services["proxy"]["ports"]
    assert "web 8000" in (DEPLOY / "Caddyfile").read_text()
    with pytest.raises(AssertionError, match="MINUTED_SECRET_KEY"):
        compose({"POSTGRES_PASSWORD": "pw", "DOMAIN": "m.example.org"})  # refuses to start without a key


def test_the_image_installs_what_the_package_needs():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    packaged = {"server", "transcribe", "pwa", "templates"}  # pyproject.toml's package dirs
    copied = set(re.findall(r"^COPY (\w+) ", dockerfile, re.M))
    assert packaged <= copied
    assert "'.[postgres,redis]'" in dockerfile
    assert "USER minuted" in dockerfile


# --- running them ---

def pointed(value, postgres, redis):
    """A database or Redis URL from the files, pointed at the test's servers (same Redis database number)."""
    if value.startswith("postgresql"):
        return str(postgres)
    if value.startswith("redis://"):
        return f"redis://{urlsplit(redis).netloc}{urlsplit(value).path}"
    return value


class Process:
    """One service: its command (the venv's minuted) and its environment, in its own data directory."""

    def __init__(self, name, argv, env, tmp_path, **replace):
        argv = [str(Path(sys.executable).parent / "minuted"), *argv[1:]]
        for flag, value in replace.items():
            argv[argv.index(f"--{flag.replace('_', '-')}") + 1] = str(value)
        self.name, self.log = name, tmp_path / f"{name}.log"
        base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        self.env = {**base, **env, "HF_HUB_OFFLINE": "1", "MINUTED_DATA_DIR": str(tmp_path / name),
                    "MINUTED_WHISPER_BATCH_SIZE": "1"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self):
        """SIGTERM, as systemd and Docker send; return the seconds it took to exit."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return time.monotonic() - started

    def output(self):
        return self.log.read_text(errors="replace")


def ready(url, proc):
    def answered():
        try:
            return requests.get(f"{url}/readyz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False
    wait_for(answered, timeout=90, proc=proc.proc, what=f"{proc.name} to be ready")


@pytest.mark.slow
def test_the_units_and_compose_services_run_a_working_installation(tmp_path, postgres_url, redis_url):  # noqa: F811
    example = env_file(DEPLOY / "minuted.env.example")
    host = {k: pointed(v, postgres_url, redis_url) for k, v in example.items() if k.startswith("MINUTED_")}
    host.pop("MINUTED_DATA_DIR")  # systemd's StateDirectory; here each process has its own
    host["MINUTED_SECRET_KEY"] = "the same key on every machine"
    services = compose({**example, "MINUTED_SECRET_KEY": host["MINUTED_SECRET_KEY"]})

    def from_compose(name):
        return {k: pointed(str(v), postgres_url, redis_url) for k, v in services[name]["environment"].items()}

    web_unit = shlex.split(unit("minuted-web.service")["Service"]["ExecStart"][0])
    worker_unit = shlex.split(unit("minuted-worker@.service")["Service"]["ExecStart"][0])
    ports = [free_port(), free_port(), free_port()]
    processes = [
        Process("web-systemd", web_unit, host, tmp_path, port=ports[0]),
        Process("web-compose", services["web"]["command"], from_compose("web"), tmp_path, port=ports[1],
                host="127.0.0.1"),
        Process("worker-systemd", worker_unit, host, tmp_path),
        Process("worker-compose", services["worker"]["command"], from_compose("worker"), tmp_path,
                metrics_port=ports[2], metrics_host="127.0.0.1"),
    ]
    a, b = (f"http://127.0.0.1:{port}" for port in ports[:2])
    try:
        ready(a, processes[0])
        ready(b, processes[1])
        # the operator adds a family with the CLI, on the web server's settings
        add = subprocess.run([processes[0].proc.args[0], "user", "add", "family@example.org", "--password-stdin"],
                             input=PASSWORD + "\n", env=processes[0].env, capture_output=True, text=True, timeout=60)
        assert add.returncode == 0, add.stderr
        # signed in on one web server, the family carries on on the other (the key and the database are shared)
        s = requests.Session()
        token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{a}/login").text).group(1)
        r = s.post(f"{a}/login", data={"email": "family@example.org", "password": PASSWORD, "csrf_token": token},
                   allow_redirects=False)
        assert r.status_code == 302, r.text
        page = s.get(f"{b}/", allow_redirects=False)
        assert page.status_code == 200
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

        def api(base, method, path, **kwargs):
            r = s.request(method, f"{base}/api/v1{path}", headers={"X-CSRFToken": csrf}, timeout=30, **kwargs)
            assert r.status_code < 300, (r.status_code, r.text)
            return r.json()
        child = api(b, "POST", "/children", json={"name": "S.J.", "jurisdiction": "england", "plan_type": "ehcp"})
        meeting = api(a, "POST", "/meetings", json={"child_id": child["id"], "kind": "ehcp_annual_review",
                                                     "starts_at": "2026-12-01T09:30:00Z"})
        # a recording uploaded to one web server is transcribed by a worker: no folder in common
        with open(SPEECH, "rb") as f:
            api(b, "POST", f"/meetings/{meeting['id']}/uploads", files={"file": ("memo.wav", f, "audio/wav")})
        transcript = wait_for(
            lambda: (t := api(a, "GET", f"/meetings/{meeting['id']}/transcript"))["status"] in ("done", "failed") and t,
            timeout=240, what="the transcript")
        assert transcript["status"] == "done", transcript
        words = " ".join(seg["text"] for seg in transcript["segments"]).lower()
        assert "comparatively modern" in words  # LJ001-0002: "in being comparatively modern."
        assert not list((tmp_path / "web-systemd").rglob("*.wav")) and not list((tmp_path / "web-compose").rglob("*.wav"))
        # the compose worker's metrics, and JSON logs where the compose file asks for them
        metrics = requests.get(f"http://127.0.0.1:{ports[2]}/metrics", timeout=10).text
        assert "minuted_" in metrics
        lines = [line for line in processes[1].output().splitlines() if line.startswith("{")]
        assert lines and all("ts" in json.loads(line) for line in lines)
    finally:
        # SIGTERM, as systemd and Docker send: every process exits well within its stop timeout
        took = {p.name: p.stop() for p in processes}
        empty_database(make_app(tmp_path / "cleanup", DATABASE_URL=postgres_url))  # the next test starts empty
    assert all(seconds < 30 for seconds in took.values()), took
    assert all(p.proc.returncode in (0, -signal.SIGTERM) for p in processes), {
        p.name: (p.proc.returncode, p.output()[-2000:]) for p in processes}

