"""Browser tests: the real `minuted serve` in a subprocess, driven by Debian's /usr/bin/chromium.

Playwright never downloads a browser here (no `playwright install`): the
`browser_type_launch_args` override points it at the system Chromium.
Every test in tests/browser carries the `browser` marker.
"""
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from click.testing import CliRunner

from server.cli import main as cli_main

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# keep Chromium off the network it cannot reach (the fake-microphone flags are added by fake_mic_args)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# a phone: the size the app is designed for first
MOBILE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
PASSWORD = "correct horse battery staple"
MINUTED = Path(sys.executable).parent / "minuted"

_emails = itertools.count(1)


def pytest_collection_modifyitems(items):
    """Mark every test under tests/browser as a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`minuted serve` on a free port with its own data directory; stop() and start() take it down for real."""

    def __init__(self, data_dir):
        self.data = Path(data_dir)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.data.parent / f"{self.data.name}-server.log"
        self.proc = None

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINUTED_")}
        env["HF_HUB_OFFLINE"] = "1"
        return env

    def start(self, timeout=30):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(MINUTED), "serve", "--data", str(self.data), "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"minuted serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                urllib.request.urlopen(self.url + "/login", timeout=1).close()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"minuted serve did not answer within {timeout}s:\n{self.output()}")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            self.proc = None

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def cli(self, *args, stdin=None):
        """Run `minuted ARGS --data DIR` against this server's data (works while it runs: SQLite WAL)."""
        result = subprocess.run(
            [str(MINUTED), *args, "--data", str(self.data)],
            input=stdin,
            capture_output=True,
            text=True,
            env=self._env(),
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def add_user(self, email=None, password=PASSWORD):
        """Create an account with the CLI's `user add` and return its email.

        The command runs in this process (click's runner) rather than as a new one: the same code against
        the same data, without a second of imports for every account a test makes.
        """
        email = email or f"parent{next(_emails)}@example.org"
        env = {k: None for k in os.environ if k.startswith("MINUTED_")} | {"MINUTED_DATA_DIR": None}
        result = CliRunner().invoke(cli_main, ["user", "add", email, "--password-stdin", "--data", str(self.data)],
                                    input=password + "\n", env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return email


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh server and data directory for each test module."""
    assert MINUTED.exists(), f"{MINUTED} is missing: install the project into this environment"
    s = Server(tmp_path_factory.mktemp("minuted") / "data")
    s.start()
    yield s
    s.stop()


# what the fake microphone says, over and over (the file loops)
SPEECH = (
    "Good morning everyone. Thank you for coming to the annual review. "
    "First on the agenda is reading support, five hours a week with a teaching assistant."
)
UNRELATED_SPEECH = "The quick brown fox jumps over the lazy dog, while seven purple kites drift slowly east."


def espeak_wav(path, text):
    """Write text as speech with espeak-ng (22050 Hz mono wav) and return the path."""
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory):
    """The fake microphone's source: a few sentences of espeak-ng speech (None when espeak-ng is missing)."""
    if not shutil.which("espeak-ng"):
        return None
    return espeak_wav(tmp_path_factory.mktemp("audio") / "speech.wav", SPEECH)


def fake_mic_args(wav):
    """Chromium flags for a microphone that plays wav (auto-accepted; the default beep when wav is None)."""
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if wav:
        args.append(f"--use-file-for-fake-audio-capture={wav}")
    return args


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, speech_wav):
    """Use Debian's Chromium (overrides pytest-playwright's fixture; keeps --headed and --slowmo), with a fake mic."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS + fake_mic_args(speech_wav)}


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright's own (an instance-method fixture that pytest 9 warns about).

    The real address is per module: browser_context_args sets it from the server.
    """
    return None


@pytest.fixture
def browser_context_args(browser_context_args, server):
    """Every context is a phone pointed at this module's server: page.goto("/setup") works."""
    return {**browser_context_args, **MOBILE, "base_url": server.url}


class _StaysOffline:
    """Chromium forgets an emulated "no signal" in a page loaded while offline: after a reload the service worker
    answers, ``navigator.onLine`` reads true (seen on Debian's Chromium 150), which no phone without a signal does.
    While a context is offline, each of its pages is told again, on a CDP session of its own, after each load (going
    offline again fires the page's "offline" event, as a phone losing its signal would)."""

    def __init__(self):
        self.sessions = {}  # page -> its CDP session
        self.offline = set()  # the contexts set offline
        self.watched = set()

    def tell(self, page):
        if page.is_closed():
            return
        session = self.sessions.get(page)
        if session is None:
            session = self.sessions[page] = page.context.new_cdp_session(page)
        session.send("Network.emulateNetworkConditions",
                     {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})

    def forget(self, page):
        """Drop this page's own "offline" (the context's own setting holds, and says when it changes)."""
        session = self.sessions.pop(page, None)
        if session is not None and not page.is_closed():
            session.detach()

    def watch(self, page):
        if page in self.watched:
            return
        self.watched.add(page)

        def loaded():
            if page.context in self.offline:
                self.tell(page)

        page.on("load", loaded)

    def set_offline(self, real, context, offline):
        for page in context.pages:
            self.watch(page)
        if offline:
            real(context, True)
            self.offline.add(context)
            for page in context.pages:
                self.tell(page)
        else:
            self.offline.discard(context)
            real(context, False)
            for page in context.pages:
                self.forget(page)


@pytest.fixture(scope="session", autouse=True)
def _offline_stays_offline():
    from playwright.sync_api import BrowserContext

    real = BrowserContext.set_offline
    stays = _StaysOffline()
    BrowserContext.set_offline = lambda context, offline: stays.set_offline(real, context, offline)
    yield
    BrowserContext.set_offline = real


@pytest.fixture(autouse=True)
def _no_script_errors(request):
    """Fail a test whose page threw an uncaught JavaScript error."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def check_a11y():
    """Return check(page): run axe-core on the page as it is now, failing with its report on any violation."""
    axe = Axe()

    def check(page):
        results = axe.run(page)
        assert results.violations_count == 0, f"axe on {page.url}:\n{results.generate_report()}"

    return check


@pytest.fixture
def sign_in(server):
    """Return sign_in(page, email=None): sign in through /login (a new CLI-made account when no email is given)."""

    def sign_in(page, email=None, password=PASSWORD):
        email = email or server.add_user(password=password)
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return email

    return sign_in


# The pages' CSP blocks eval, which Playwright's wait_for_function needs once it has to poll: waits poll
# page.evaluate from Python instead.
def poll(page, expression, predicate=bool, timeout=20, interval=0.1, message=""):
    """Evaluate expression until predicate(value) holds; return the value (CSP forbids wait_for_function)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if predicate(value):
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message or expression}: last value {value!r}")


def wait_controlled(page):
    """Wait until the service worker is active and controls this page. A page whose navigation began before the
    worker took over (its clients.claim() ran mid-navigation, as a busy machine can make it) stays uncontrolled until
    it loads again, as a parent's next page would be: it is reloaded once."""
    controlled = "navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)"
    try:
        poll(page, controlled, timeout=10, message="the service worker")
    except AssertionError:
        page.reload()
        poll(page, controlled, message="the service worker, after a reload")
