"""Meeting mode: tap → committed to IndexedDB, in headless Chromium on a 390×844 phone, against a real `minuted serve`.

    python bench/taps.py [--taps 600] [--online] [--slowdown 4]

A signed-in phone opens a prepared meeting's live screen, starts the meeting and
(by default) goes offline, as in a meeting room with no signal. The page's JS
then taps, one after another, a speaker chip and a marker button (one tap: a
marker opens no sheet), and times each tap from the click to

- committed: the `complete` event of the IndexedDB transaction that wrote the
  event (a wrapper on IDBDatabase.transaction, installed before the app loads);
- shown: committed and on screen, i.e. the later of that and the DOM change
  that shows it (the chip's aria-pressed, the marker bar's "Saved · Add words"
  naming the new event), caught by a MutationObserver; the browser paints it in
  the next frame.

The next tap follows 5 ms after both.

The baseline, in the same page and run: a bare `put` of a record of the same
shape (a copy of one of the events just written) into a separate database, with
the same `durability: 'strict'`, timed the same way. The ratio says what the app
adds over IndexedDB itself (the current speaker and agenda item, drawing the
tap, the sync kick). Prints p50/p95 for both and the ratios.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

MINUTED = Path(sys.executable).parent / "minuted"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "benchmark password"

# before the app's scripts: resolve window.__nextCommit() when a readwrite transaction on `events` commits
INSTRUMENT = """(() => {
    const orig = IDBDatabase.prototype.transaction;
    let waiter = null;
    window.__nextCommit = () => new Promise((resolve) => { waiter = resolve; });
    IDBDatabase.prototype.transaction = function (names, mode, options) {
        const t = orig.call(this, names, mode, options);
        const list = typeof names === 'string' ? [names] : [...names];
        if (this.name === 'minuted' && mode === 'readwrite' && list.includes('events')) {
            t.addEventListener('complete', () => { const w = waiter; waiter = null; if (w) w(performance.now()); });
        }
        return t;
    };
})()"""

TAPS = """async ([n, start]) => {
    const ids = [...document.querySelectorAll('#speakers [data-attendee-id]')].map((c) => c.dataset.attendeeId);
    const kinds = ['note', 'agreed', 'refused', 'action', 'question', 'quote', 'bookmark'];
    const saved = document.getElementById('marker-saved');
    const out = { speaker: [], marker: [], speakerShown: [], markerShown: [] };
    for (let i = start; i < start + n; i++) {
        const speaker = i % 2 === 0;
        const el = speaker ? document.querySelector(`#speakers [data-attendee-id="${ids[(i / 2) % ids.length]}"]`)
                           : document.querySelector(`[data-marker="${kinds[((i - 1) / 2) % kinds.length]}"]`);
        const before = saved.dataset.eventId;
        const isShown = speaker ? () => el.getAttribute('aria-pressed') === 'true'
                                : () => Boolean(saved.dataset.eventId) && saved.dataset.eventId !== before;
        const shown = new Promise((resolve) => {
            const observer = new MutationObserver(() => {
                if (isShown()) { observer.disconnect(); clearTimeout(giveUp); resolve(performance.now()); }
            });
            observer.observe(speaker ? el : saved, { attributes: true });
            const giveUp = setTimeout(() => { observer.disconnect(); resolve(NaN); }, 5000);
        });
        const committed = window.__nextCommit();
        const t0 = performance.now();
        el.click();
        const [tc, ts] = await Promise.all([committed, shown]);
        (speaker ? out.speaker : out.marker).push(tc - t0);
        (speaker ? out.speakerShown : out.markerShown).push(Math.max(tc, ts) - t0);
        await new Promise((r) => setTimeout(r, 5));
    }
    return out;
}"""

BASELINE = """async (n) => {
    const open = indexedDB.open('bench-baseline', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('events', { keyPath: 'id' });
    const db = await new Promise((resolve, reject) => { open.onsuccess = () => resolve(open.result); open.onerror = () => reject(open.error); });
    const sample = await new Promise((resolve) => {
        const o = indexedDB.open('minuted');
        o.onsuccess = () => { const r = o.result.transaction('events').objectStore('events').getAll();
                              r.onsuccess = () => { resolve(r.result[r.result.length - 1]); o.result.close(); }; };
    });
    const out = [];
    for (let i = 0; i < n; i++) {
        const record = { ...sample, id: crypto.randomUUID(), created: Date.now(), payload: { ...sample.payload } };
        const t0 = performance.now();
        await new Promise((resolve, reject) => {
            const t = db.transaction('events', 'readwrite', { durability: 'strict' });
            t.objectStore('events').put(record);
            t.oncomplete = resolve;
            t.onerror = t.onabort = () => reject(t.error);
        });
        out.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
    }
    db.close();
    return out;
}"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def api(port, token, method, path, body=None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def seen(values):
    """Leave out the taps that were never shown (NaN)."""
    return [v for v in values if v == v]


def summary(name, values):
    return f"{name:<28} n={len(values):<4} p50 {statistics.median(values):6.2f} ms   p95 {percentile(values, 95):6.2f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=600, help="taps in all (half speaker chips, half markers)")
    parser.add_argument("--online", action="store_true", help="stay online (each tap also sends the event)")
    parser.add_argument("--slowdown", type=float, default=1,
                        help="slow the page's CPU down this many times (Chromium's throttling), like a phone")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="minuted-bench-taps-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINUTED_")}
    env.update({"MINUTED_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"})
    subprocess.run([str(MINUTED), "user", "add", "bench@example.org", "--password-stdin"],
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
    token = subprocess.run([str(MINUTED), "token", "bench@example.org"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([str(MINUTED), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        child = api(port, token, "POST", "/children", {"name": "B.M.", "jurisdiction": "england"})
        meeting = api(port, token, "POST", "/meetings", {"child_id": child["id"], "kind": "ehcp_annual_review",
                                                         "starts_at": "2026-12-01T09:30:00Z"})
        mid = meeting["id"]
        for name, role in [("Ms Patel", "senco"), ("Mr Jones", "class_teacher"), ("Ms Green", "la_sen_officer")]:
            api(port, token, "POST", f"/meetings/{mid}/attendees", {"name": name, "role": role})
        api(port, token, "POST", f"/meetings/{mid}/agenda", {"title": "Reading support", "detail": ""})

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          base_url=f"http://127.0.0.1:{port}")
            context.add_init_script(INSTRUMENT)
            page = context.new_page()
            page.goto("/login")
            page.get_by_label("Email").fill("bench@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(f"/meetings/{mid}/live")
            page.evaluate("window.minutedLive.ready")
            page.locator("#start-meeting").click()
            page.locator("#live-main").wait_for()
            if not args.online:
                context.set_offline(True)
            if args.slowdown > 1:
                page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": args.slowdown})
            page.evaluate(TAPS, [20, 0])  # warm-up, not counted
            taps = {"speaker": [], "marker": [], "speakerShown": [], "markerShown": []}
            done = 20
            while done < 20 + args.taps:
                n = min(100, 20 + args.taps - done)
                got = page.evaluate(TAPS, [n, done])
                for key in taps:
                    taps[key] += got[key]
                done += n
            events = page.evaluate("window.minutedLive.state().events")
            baseline = page.evaluate(BASELINE, args.taps)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data, ignore_errors=True)

    every = taps["speaker"] + taps["marker"]
    shown = taps["speakerShown"] + taps["markerShown"]
    lost = sum(1 for v in shown if v != v)  # NaN: never shown within 5 s
    shown = seen(shown)
    print(f"Chromium headless, 390x844, {'online' if args.online else 'offline'}, CPU slowed {args.slowdown:g}x; "
          f"{len(every)} measured taps ({events} events on the phone at the end; {lost} never shown)")
    print(summary("tap -> IDB commit (all)", every))
    print(summary("  speaker chip", taps["speaker"]))
    print(summary("  marker button", taps["marker"]))
    print(summary("  first 100 taps", taps["speaker"][:50] + taps["marker"][:50]))
    print(summary("  last 100 taps", taps["speaker"][-50:] + taps["marker"][-50:]))
    print(summary("tap -> committed + shown", shown))
    print(summary("  speaker chip", seen(taps["speakerShown"])))
    print(summary("  marker button", seen(taps["markerShown"])))
    print(summary("  last 100 taps", seen(taps["speakerShown"][-50:] + taps["markerShown"][-50:])))
    print(summary("baseline: bare IDB put", baseline))
    print(f"ratio (commit) p50 {statistics.median(every) / statistics.median(baseline):.2f}x   "
          f"p95 {percentile(every, 95) / percentile(baseline, 95):.2f}x")
    print(f"ratio (shown)  p50 {statistics.median(shown) / statistics.median(baseline):.2f}x   "
          f"p95 {percentile(shown, 95) / percentile(baseline, 95):.2f}x")


if __name__ == "__main__":
    main()
