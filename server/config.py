"""Configuration: defaults → instance/config.py → MINUTED_* environment."""
import os
import secrets
import tempfile
from pathlib import Path

import platformdirs


def default_data_dir():
    """Return the data directory: MINUTED_DATA_DIR or a per-user data directory."""
    env = os.environ.get("MINUTED_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("minuted", appauthor=False))


def defaults():
    """Return the default settings; paths are derived from DATA_DIR in finalise()."""
    return {
        "DATA_DIR": str(default_data_dir()),
        "DATABASE_URL": None,  # None → sqlite:///<DATA_DIR>/minuted.sqlite3
        "QUEUE_URL": None,  # None → a SQLite-backed Huey queue in DATA_DIR
        # where audio lives (server/audio_store.py): "local" files in DATA_DIR/audio, or "database"
        # (rows every web server and worker reaches: no shared file system needed)
        "STORAGE": "local",
        "SECRET_KEY": None,  # None → generated once and kept in DATA_DIR/secret_key
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": "auto",  # Secure whenever the request came over HTTPS
        "TRUSTED_PROXIES": 0,  # how many reverse proxies to believe X-Forwarded-* from
        "SESSION_COOKIE_NAME": "minuted_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
        # request bodies, refused unread when bigger (server/__init__.py: limit_body)
        "MAX_CONTENT_LENGTH": 200 * 1024 * 1024,  # whole-file audio uploads only
        "MAX_CHUNK_BYTES": 8 * 1024 * 1024,  # one audio chunk from a phone
        "MAX_JSON_BYTES": 2 * 1024 * 1024,  # any other body, JSON or form (200,000 characters of minutes fit)
        # a batch of events: the PWA sends up to 500, each at most 4,000 characters (12,000 bytes) of text
        "MAX_EVENTS_BYTES": 8 * 1024 * 1024,
        "MAX_TEXT_CHARS": 4000,
        # argon2id cost (OWASP's minimum is 2 passes over 19 MiB; these are stronger)
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_KIB": 65536,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        # failed sign-ins (per email, per address) and join-code tries (per address) kept in the
        # database: this many within the window (seconds), then 429 until the oldest leaves it
        "LOGIN_TRIES": 10,
        "LOGIN_TRIES_WINDOW": 15 * 60,
        "SESSION_ABSOLUTE_LIFETIME": 60 * 60 * 24 * 90,  # a sign-in ends after this, however often it is used
        "PASSWORD_RESET_MAX_AGE": 60 * 60,  # an emailed reset link works once, for this long
        "PUBLIC_URL": None,  # e.g. https://minuted.example.org: where reset links point (else this machine's names)
        "INVITE_DAYS": 14,  # an invite link (/admin/families) makes one account, within this many days
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_SSL_STRICT": False,  # same-origin is enforced by SameSite cookies + Origin check
        "CORRECTION_WORKING_DAYS": 5,
        "WHISPER_ENGINE": "faster-whisper",
        "WHISPER_MODEL": None,  # None → the bundled tiny.en; "base" → Whisper base from the base extra
        "WHISPER_DEVICE": "cpu",
        "WHISPER_COMPUTE_TYPE": None,  # None → int8 (tiny.en), float32 (base)
        "WHISPER_BEAM_SIZE": 5,
        "WHISPER_BATCH_SIZE": 4,  # windows decoded side by side when audio has piled up
        "WHISPER_WORKERS": 0,  # windows of a batch run in parallel; 0 → min(4, cores) on a CPU
        "WHISPER_THREADS": 0,  # threads per worker; 0 → cores / workers on a CPU
        "WHISPER_GREEDY_MIN_LOGPROB": -0.4,  # windows read greedily get the beam below this; "none": the beam for all
        "WHISPER_VOCABULARY": "none",  # the prompt: none | names | names+glossary (bench/attribution.py)
        "VOICES": True,  # voice embeddings while transcribing, to fill in speakers nobody tapped
        "RUN_WORKER": False,  # `minuted serve` consumes the queue in-process
        # a running transcription job's lease (seconds), renewed by its worker every third of it: a worker
        # that stops renewing (killed, its machine gone) has its job taken over after about this long
        "JOB_LEASE_S": 30,
        # how often each consumer re-queues jobs left queued or running by a worker that is gone (seconds): what a
        # Redis queue that restarted without its messages needs
        "JOB_RECOVER_S": 60,
        # start-up: `server:create_app()` migrates the database (under a lock: the first process to start does
        # it, the others wait); every process waits this long (seconds, with backoff) for the database to answer
        "AUTO_MIGRATE": True,
        "DB_WAIT_S": 60,
        "DB_CONNECT_TIMEOUT_S": 10,  # PostgreSQL: give up on a connection attempt after this (then retry)
        # PostgreSQL: a statement running longer than this is cancelled (the request answers 503); 0: no limit.
        # Migrations run without it.
        "DB_STATEMENT_TIMEOUT_MS": 30000,
        # the connection pool of each process (PostgreSQL): kept open, more when busy, how long a request waits
        # for one (then 503), and the age at which a connection is replaced (docs/hosting.md: sizing)
        "DB_POOL_SIZE": 5,
        "DB_MAX_OVERFLOW": 10,
        "DB_POOL_TIMEOUT_S": 10,
        "DB_POOL_RECYCLE_S": 1800,
        # Redis: a command not answered within this many seconds fails, and is sent again this many times
        # with a short backoff (a blip); a queue still away leaves the job in the database for recover()
        "QUEUE_TIMEOUT_S": 2,
        "QUEUE_RETRIES": 2,
        # logs: one line per record with a UTC timestamp and the request id, as key=value "text" or "json"
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "INFO",
        # GET /metrics (Prometheus) answers only with 'Authorization: Bearer <this>'; None: /metrics is off (404)
        "METRICS_TOKEN": None,
    }


def finalise(app):
    """Derive paths and secrets that depend on the data directory."""
    cfg = app.config
    data = Path(cfg["DATA_DIR"]).expanduser().resolve()
    data.mkdir(parents=True, exist_ok=True)
    cfg["DATA_DIR"] = str(data)
    cfg.setdefault("AUDIO_DIR", str(data / "audio"))
    Path(cfg["AUDIO_DIR"]).mkdir(parents=True, exist_ok=True)
    if not cfg.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = f"sqlite:///{data / 'minuted.sqlite3'}"
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _secret_key(data / "secret_key")


def _secret_key(path):
    """Read the secret key from path, creating it (mode 0600) the first time.

    Processes starting together on a new data directory agree on one key: each
    writes its own to a temp file and links it into place, which only the
    first can do; the others read that one (never a half-written file).
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip()
        return key
    finally:
        os.unlink(tmp)
