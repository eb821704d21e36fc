"""Event-batch sync under many phones at once, against a real `minuted serve` on loopback.

    python bench/sync.py [--devices 200] [--batches 5] [--events 10] [--threads 8]

Each simulated device keeps its own connection and posts batches of events to
one meeting (as a room full of phones would, all at once), then re-sends its
first batch (idempotent). The baseline, measured in the same run with the same
concurrency, is a GET of the cached OpenAPI document: the ratio says what the
timeline costs over the bare server. Prints p50/p99 latency, throughput and errors.
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

MINUTED = Path(sys.executable).parent / "minuted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    return response.status, payload


def run_clients(port, devices, work):
    """Run work(conn, index) on `devices` threads at once; return (latencies, errors, seconds)."""
    latencies, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(devices)

    def client(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        for status, seconds in work(conn, index):
            with lock:
                latencies.append(seconds)
                if status >= 300:
                    errors.append(status)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(devices)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--threads", type=int, default=8, help="server request threads")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="minuted-bench-"))
    env = {**os.environ, "MINUTED_DATA_DIR": str(data), "MINUTED_LOGIN_RATE_LIMIT": "1000 per minute"}
    subprocess.run([str(MINUTED), "user", "add", "bench@example.org", "--password-stdin"],
                   input="benchmark password\n", text=True, env=env, check=True, capture_output=True)
    token = subprocess.run([str(MINUTED), "token", "bench@example.org"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([str(MINUTED), "serve", "--port", str(port), "--threads", str(args.threads)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        _, child = request(conn, "POST", "/api/v1/children", token, {"name": "B.M."})
        child_id = json.loads(child)["id"]
        _, meeting = request(conn, "POST", "/api/v1/meetings", token,
                             {"child_id": child_id, "kind": "ehcp_annual_review", "starts_at": "2026-12-01T09:30:00Z"})
        meeting_id = json.loads(meeting)["id"]
        conn.close()

        def baseline(conn, index):
            for _ in range(args.batches + 1):
                t = time.perf_counter()
                status, _ = request(conn, "GET", "/api/v1/openapi.json", token)
                yield status, time.perf_counter() - t

        def sync(conn, index):
            device = f"bench-{index}"
            first = None
            for b in range(args.batches):
                events = [{
                    "id": str(uuid.uuid4()), "kind": "note", "at_ms": (b * args.events + n) * 1000,
                    "device_id": device, "payload": {"text": f"note {n} from {device}"}, "version": 1,
                } for n in range(args.events)]
                first = first or events
                t = time.perf_counter()
                status, _ = request(conn, "POST", f"/api/v1/meetings/{meeting_id}/events", token,
                                    {"device_id": device, "events": events})
                yield status, time.perf_counter() - t
            t = time.perf_counter()
            status, _ = request(conn, "POST", f"/api/v1/meetings/{meeting_id}/events", token,
                                {"device_id": device, "events": first})  # a resend: idempotent
            yield status, time.perf_counter() - t

        base_lat, base_err, base_s = run_clients(port, args.devices, baseline)
        sync_lat, sync_err, sync_s = run_clients(port, args.devices, sync)

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        _, timeline = request(conn, "GET", f"/api/v1/meetings/{meeting_id}/events", token)
        stored = len(json.loads(timeline)["events"])
        expected = args.devices * args.batches * args.events
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data, ignore_errors=True)

    def line(name, lat, err, seconds):
        print(f"{name:9s} requests={len(lat):5d} errors={len(err):3d} p50={percentile(lat, 50) * 1000:7.1f} ms "
              f"p99={percentile(lat, 99) * 1000:7.1f} ms  throughput={len(lat) / seconds:7.1f} req/s")

    print(f"{args.devices} devices at once, {args.batches} batches of {args.events} events each + 1 resend; "
          f"server threads {args.threads}; {os.cpu_count()} CPUs")
    line("baseline", base_lat, base_err, base_s)
    line("sync", sync_lat, sync_err, sync_s)
    print(f"events/s stored: {expected / sync_s:.0f}; p50 ratio sync/baseline: "
          f"{statistics.median(sync_lat) / statistics.median(base_lat):.1f}x")
    print(f"timeline holds {stored} events, expected {expected}: {'OK' if stored == expected else 'MISMATCH'}")
    if sync_err or base_err or stored != expected:
        sys.exit(1)


if __name__ == "__main__":
    main()
