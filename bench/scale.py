"""Many phones syncing as the app does, open-loop, against a real `minuted serve` on loopback (issue 19).

    python bench/scale.py [--phones 100] [--seconds 30] [--threads 8] [--database-url postgresql+psycopg://…]

Open-loop: each phone sends its outbox every 1-2 s (a batch of 1-3 new events,
and now and then the same batch twice at once, as a retry racing its original),
whether or not the server has kept up. A request's latency counts from when it
was due, so a server falling behind shows in the p99 instead of slowing the
phones down. Then saturation, closed-loop with as many clients as server
threads: event batches per second against an authenticated no-op (GET of an
empty list: the token check and one small query), on the same server.

Last (unless --backlog 0), a `minuted worker` is started on the same data and
database, --backlog uploads of tests/data/audio/jfk.flac (11 s each) are
queued, and then a live meeting streams the same audio as one WebM chunk and
ends: its finish->transcript time is what a parent waits with a backlog queued.

Prints p50/p99 for the phones (target: p99 <= 100 ms), errors by status, the
two throughputs with their ratio, and the live meeting's wait. Exits 1 on any error.
"""
import argparse
import collections
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sync import MINUTED  # the same helpers as the one-burst sync bench
from sync import free_port
from sync import percentile


class Client:
    """One keep-alive connection with a bearer token (reconnecting after an error)."""

    def __init__(self, port, token):
        self.port, self.token, self.conn = port, token, None

    def call(self, method, path, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise


def batch(device, start_ms, n):
    return [{"id": str(uuid.uuid4()), "kind": "note", "at_ms": start_ms + i, "device_id": device, "version": 1,
             "payload": {"text": f"note {start_ms + i} from {device}"}} for i in range(n)]


def phones(port, token, meetings, count, seconds):
    """Run `count` open-loop phones for `seconds`; return (latencies, statuses, requests due)."""
    latencies, statuses = [], collections.Counter()
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def send(client, path, events, due):
        status, _ = client.call("POST", path, {"events": events})
        with lock:
            latencies.append(time.monotonic() - due)
            statuses[status] += 1

    def phone(index):
        rng = random.Random(index)
        client, twin = Client(port, token), Client(port, token)
        path = f"/api/v1/meetings/{meetings[index % len(meetings)]}/events"
        device = f"phone-{index}"
        due = time.monotonic() + rng.uniform(0, 2)  # phones do not start in step
        sent = 0
        while due < end:
            time.sleep(max(0.0, due - time.monotonic()))
            events = batch(device, sent * 10, rng.randint(1, 3))
            sent += 1
            if rng.random() < 0.05:  # a retry racing its original: the same batch twice at once
                other = threading.Thread(target=send, args=(twin, path, events, due))
                other.start()
                send(client, path, events, due)
                other.join()
            else:
                send(client, path, events, due)
            due += rng.uniform(1.0, 2.0)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def saturate(port, token, clients, seconds, request):
    """Closed-loop: `clients` threads sending request(client, i) back to back; return (requests/s, statuses)."""
    statuses = collections.Counter()
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def run(index):
        client, n = Client(port, token), 0
        while time.monotonic() < end:
            status, _ = request(client, index, n)
            n += 1
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(statuses.values()) / (time.monotonic() - start), statuses


JFK = Path(__file__).resolve().parent.parent / "tests" / "data" / "audio" / "jfk.flac"


def multipart(name, data, mime):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {mime}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def live_after_backlog(port, token, env, child_id, backlog, timeout=900):
    """Queue `backlog` uploads, stream and end a live meeting, start a worker; return finish->transcript seconds."""
    import io

    sys.path.insert(0, str(JFK.parents[3]))  # the package, not bench/transcribe.py beside this file
    sys.modules.pop("transcribe", None)
    from transcribe.audio import decode
    from transcribe.audio import encode

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    auth = {"Authorization": f"Bearer {token}"}

    def call(method, path, body=None, headers=None):
        conn.request(method, path, body=body, headers={**auth, **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def meeting():
        _, m = call("POST", "/api/v1/meetings", json.dumps({
            "child_id": child_id, "kind": "ehcp_annual_review", "starts_at": "2026-12-01T09:30:00Z"}).encode(),
            {"Content-Type": "application/json"})
        return m["id"]

    flac = JFK.read_bytes()
    body, mime = multipart("jfk.flac", flac, "audio/flac")
    for _ in range(backlog):
        status, _ = call("POST", f"/api/v1/meetings/{meeting()}/uploads", body, {"Content-Type": mime})
        assert status == 202, status
    worker = subprocess.Popen([str(MINUTED), "worker", "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # the worker is busy with the backlog when the live meeting ends
        out = io.BytesIO()
        encode(decode(str(JFK)), out, container="webm", codec="libopus")
        live, rid = meeting(), str(uuid.uuid4())
        call("PUT", f"/api/v1/meetings/{live}/recordings/{rid}", json.dumps({"mime": "audio/webm"}).encode(),
             {"Content-Type": "application/json"})
        call("PUT", f"/api/v1/meetings/{live}/recordings/{rid}/chunks/0", out.getvalue(),
             {"Content-Type": "audio/webm"})
        ended = time.monotonic()
        call("POST", f"/api/v1/meetings/{live}/recordings/{rid}/finish")
        while time.monotonic() - ended < timeout:
            _, transcript = call("GET", f"/api/v1/meetings/{live}/transcript")
            if transcript["status"] in ("done", "failed"):
                return time.monotonic() - ended, transcript["status"]
            time.sleep(0.2)
        return float("nan"), "timed out"
    finally:
        worker.terminate()
        worker.wait(30)
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30, help="how long the phones sync")
    parser.add_argument("--saturation-seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=8, help="server request threads")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary data directory")
    parser.add_argument("--backlog", type=int, default=6, help="uploads queued before the live meeting ends "
                        "(0: skip this part)")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="minuted-scale-"))
    env = {**os.environ, "MINUTED_DATA_DIR": str(data), "MINUTED_LOGIN_RATE_LIMIT": "1000 per minute",
           "MINUTED_LOG_LEVEL": "WARNING"}
    if args.database_url:
        env["MINUTED_DATABASE_URL"] = args.database_url
    email = f"scale-{uuid.uuid4().hex[:8]}@example.org"
    subprocess.run([str(MINUTED), "user", "add", email, "--password-stdin"], input="benchmark password\n",
                   text=True, env=env, check=True, capture_output=True)
    token = subprocess.run([str(MINUTED), "token", email], env=env, check=True, capture_output=True,
                           text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([str(MINUTED), "serve", "--no-worker", "--port", str(port),
                               "--threads", str(args.threads)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        setup = Client(port, token)
        _, child = setup.call("POST", "/api/v1/children", {"name": "B.M."})
        child_id = json.loads(child)["id"]
        meetings = []
        for _ in range(max(1, args.phones // 4)):  # a room holds about four phones
            _, meeting = setup.call("POST", "/api/v1/meetings", {
                "child_id": child_id, "kind": "ehcp_annual_review", "starts_at": "2026-12-01T09:30:00Z"})
            meetings.append(json.loads(meeting)["id"])

        latencies, statuses = phones(port, token, meetings, args.phones, args.seconds)
        noop_rate, noop_statuses = saturate(
            port, token, args.threads, args.saturation_seconds,
            lambda client, i, n: client.call("GET", "/api/v1/meetings/" + meetings[0] + "/join-codes"))
        sync_rate, sync_statuses = saturate(
            port, token, args.threads, args.saturation_seconds,
            lambda client, i, n: client.call("POST", f"/api/v1/meetings/{meetings[i % len(meetings)]}/events",
                                             {"events": batch(f"sat-{i}", n * 10, 2)}))
        waited = live_after_backlog(port, token, env, child_id, args.backlog) if args.backlog else None
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(data, ignore_errors=True)

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{args.phones} phones, each syncing every 1-2 s for {args.seconds:.0f} s (open-loop, 5% sent twice at "
          f"once); {database}; server threads {args.threads}; {os.cpu_count()} CPUs")
    p99 = percentile(latencies, 99) * 1000
    print(f"phones    requests={len(latencies):6d} rate={len(latencies) / args.seconds:6.1f}/s "
          f"p50={percentile(latencies, 50) * 1000:6.1f} ms p99={p99:6.1f} ms "
          f"({'within' if p99 <= 100 else 'OVER'} the 100-ms target) statuses={dict(statuses)}")
    print(f"saturation: authenticated no-op {noop_rate:7.1f} req/s {dict(noop_statuses)}; "
          f"event batches {sync_rate:7.1f} req/s {dict(sync_statuses)}; ratio {sync_rate / noop_rate:.2f}")
    if waited is not None:
        print(f"live meeting: transcript {waited[1]} {waited[0]:.1f} s after it ended, behind {args.backlog} "
              f"uploads of 11 s (one worker thread)")
    bad = sum(n for s, n in (statuses + noop_statuses + sync_statuses).items() if s >= 300)
    if waited is not None and waited[1] != "done":
        bad += 1
    if bad:
        print(f"{bad} requests were not answered 2xx")
        sys.exit(1)


if __name__ == "__main__":
    main()
