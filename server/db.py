"""The database: one SQLAlchemy object, a naming convention, SQLite pragmas, migrations.

What a statement carries (a note, a refusal's reason) never reaches the logs: the
engine hides SQL parameters from its errors and its log, and every log record is
redacted as it is made, so a database error's message (PostgreSQL puts the
failing row there) and SQLAlchemy's DEBUG result rows are left out, whichever
logger or handler they take.
"""
import contextlib
import logging
import time
import traceback
from datetime import datetime
from datetime import timezone
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")

# stable constraint names so Alembic can alter them (SQLite needs batch mode and names)
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS, render_as_batch=True, compare_type=True)


def now_utc():
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware datetime stored as UTC (SQLite keeps no zone of its own)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Turn on foreign keys and WAL for SQLite: it enforces neither by default."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def savepoint():
    """Return a savepoint in the session's transaction (``with savepoint():``), to roll back a lost race.

    pysqlite opens a transaction only before a write, so a SAVEPOINT sent first would open one that
    its RELEASE commits: on SQLite the transaction is begun first. Its first statement is still the
    write, so SQLite waits for the lock (busy_timeout) instead of failing on a stale snapshot.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    return db.session.begin_nested()


# where an exception class comes from → a database error (whose message may quote the data)
DATABASE_MODULES = ("sqlalchemy", "sqlite3", "psycopg", "psycopg2")
HIDDEN = "[hidden: database errors can quote meeting data]"


def _chain(exc):
    """Return exc and the exceptions it was raised from or while handling, newest first."""
    chain = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        exc = exc.__cause__ if exc.__cause__ is not None else (None if exc.__suppress_context__ else exc.__context__)
    return chain


def _from_database(exc):
    return type(exc).__module__.split(".")[0] in DATABASE_MODULES


def _may_quote_data(exc):
    """A driver's error, or SQLAlchemy's wrapping of one (ORM errors about state name no values)."""
    return _from_database(exc) and (
        isinstance(exc, sa.exc.StatementError) or not isinstance(exc, sa.exc.SQLAlchemyError)
    )


def _describe(exc):
    """One exception as a log may show it: a database error keeps its type, SQL (placeholders) and error code.

    SQLite's messages name tables and columns, never values, so they stay; other drivers' go.
    """
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if not _may_quote_data(exc):
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    orig = getattr(exc, "orig", None)
    inner = orig if isinstance(orig, BaseException) else exc
    if type(inner).__module__ == "sqlite3":
        words = str(inner)
    else:
        words = HIDDEN
        code = getattr(inner, "sqlstate", None)
        constraint = getattr(getattr(inner, "diag", None), "constraint_name", None)
        words += "".join(f" [{label}: {value}]" for label, value in (("code", code), ("constraint", constraint))
                         if value)
    if inner is not exc:
        words = f"({type(inner).__module__}.{type(inner).__qualname__}) {words}"
    statement = getattr(exc, "statement", None)
    if isinstance(statement, str):
        words += f"\n[SQL: {statement}]"
    return f"{name}: {words}"


def _format(exc):
    """A traceback like Python's, each exception described by _describe."""
    parts, older = [], None
    for e in reversed(_chain(exc)):
        if older is not None:
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n"
                         if e.__cause__ is older else
                         "\nDuring handling of the above exception, another exception occurred:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(e.__traceback__))
        parts.append(_describe(e) + "\n")
        older = e
    return "".join(parts).rstrip("\n")


def _redact(record):
    """Leave database errors' messages and result rows out of a log record (in place)."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None and any(_may_quote_data(e) for e in _chain(exc)):
        record.exc_text, record.exc_info = _format(exc), None
    if isinstance(record.args, tuple) and any(isinstance(a, BaseException) for a in record.args):
        record.args = tuple(
            _describe(a) if isinstance(a, BaseException) and any(_may_quote_data(e) for e in _chain(a)) else a
            for a in record.args
        )
    if isinstance(record.msg, BaseException) and any(_may_quote_data(e) for e in _chain(record.msg)):
        record.msg = _describe(record.msg)
    if record.name.startswith("sqlalchemy.engine") and record.msg == "Row %r":
        record.msg, record.args = "Row [hidden: rows hold meeting data]", ()


def redact_logs():
    """Redact every log record this process makes (see _redact); once, however many apps are made."""
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts_database_data", False):
        return

    def factory(*args, **kwargs):
        record = make(*args, **kwargs)
        _redact(record)
        return record

    factory.__dict__.update(getattr(make, "__dict__", {}))  # the flags of the factories it wraps
    factory.redacts_database_data = True
    logging.setLogRecordFactory(factory)


def init_app(app):
    """Bind the database and migrations to the app; statements' data stays out of errors and logs."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options["hide_parameters"] = True  # not a setting: the README promises notes never reach the logs
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        # a server that restarted has closed every pooled connection: test each before use, so the first
        # request after a restart does not fail; and never wait forever for one that does not answer
        options.setdefault("pool_pre_ping", True)
        # each process's pool (docs/hosting.md: sizing it against threads and the server's max_connections)
        for option, setting in (("pool_size", "DB_POOL_SIZE"), ("max_overflow", "DB_MAX_OVERFLOW"),
                                ("pool_timeout", "DB_POOL_TIMEOUT_S"), ("pool_recycle", "DB_POOL_RECYCLE_S")):
            if app.config.get(setting) is not None:
                options.setdefault(option, app.config[setting])
        if str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
            connect_args = dict(options.get("connect_args") or {})
            connect_args.setdefault("connect_timeout", int(app.config.get("DB_CONNECT_TIMEOUT_S") or 10))
            # a hung statement (a lock held elsewhere, a runaway query) is cancelled, not waited on forever
            timeout = int(app.config.get("DB_STATEMENT_TIMEOUT_MS") or 0)
            connect_args["options"] = " ".join(
                filter(None, [connect_args.get("options"), f"-c statement_timeout={timeout}"]))
            options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    redact_logs()
    db.init_app(app)
    migrate.init_app(app, db)
    app.register_error_handler(sa.exc.DBAPIError, busy)
    app.register_error_handler(sa.exc.TimeoutError, busy)  # no free connection in the pool in time


# SQLSTATEs of a statement that may well succeed if sent again: deadlock, serialization failure,
# lock not available, query canceled (the statement timeout), and the connection lost or refused
TRANSIENT = {"40P01", "40001", "55P03", "57014", "08000", "08001", "08003", "08004", "08006", "57P01", "57P03"}


def transient(exc):
    """Whether a database error says "try again" (busy, deadlocked, timed out, reconnecting), not "wrong"."""
    orig = getattr(exc, "orig", exc)
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, sa.exc.TimeoutError):
        return True
    if type(orig).__module__ == "sqlite3":
        return "locked" in str(orig) or "busy" in str(orig)
    return getattr(orig, "sqlstate", None) in TRANSIENT


def busy(e):
    """Answer a database that is busy or away with 503 and Retry-After (the phone's outbox sends it again).

    A resend is safe: every write the phone makes is idempotent, and nothing of this
    request was kept (its transaction is rolled back). Any other database error is a 500.
    """
    from .errors import APIError
    from .errors import handle_api_error
    from .errors import handle_server_error

    if not transient(e):
        return handle_server_error(e)  # an IntegrityError no race explains, a missing table: a 500 as before
    db.session.rollback()
    orig = getattr(e, "orig", None)
    log.warning("database busy or away (%s%s); answered 503, to be sent again", type(orig or e).__name__,
                f" {orig.sqlstate}" if getattr(orig, "sqlstate", None) else "")
    from flask import make_response

    response = make_response(handle_api_error(
        APIError(503, "busy", "The server is busy; this was not saved. Send it again.")))
    response.headers["Retry-After"] = "1"
    return response


MIGRATION_LOCK = 0x4D494E55  # PostgreSQL advisory lock key for migrations ("MINU")
log = logging.getLogger(__name__)


def upgrade():
    """Apply every migration under a lock (the app context must be pushed).

    Processes that start together (web servers, workers, `minuted migrate`)
    take turns: the first migrates, the others wait and find nothing to do.
    """
    import flask_migrate

    with _without_statement_timeout(), migration_lock():
        flask_migrate.upgrade(directory=MIGRATIONS)


@contextlib.contextmanager
def _without_statement_timeout():
    """Let this process's new PostgreSQL connections run without a statement timeout, for a while.

    A migration may rewrite a big table, and a process waiting for the migration lock
    waits as long as the migration takes. The pool is emptied before and after, so
    only the connections made meanwhile go without it.
    """
    engine = db.engine
    if engine.url.get_backend_name() != "postgresql":
        yield
        return

    def unlimited(dbapi_connection, connection_record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
        dbapi_connection.commit()

    engine.dispose()
    sa.event.listen(engine, "connect", unlimited)
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", unlimited)
        engine.dispose()


@contextlib.contextmanager
def migration_lock():
    """Hold the migration lock: a PostgreSQL advisory lock, or a file lock beside a SQLite database.

    Either is let go if the process dies, so a crash never leaves it held.
    """
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        # a connection of its own, outside the pool (a pool of one still leaves the migration one), and
        # without the statement timeout: waiting for the lock lasts as long as another's migration
        from flask import current_app

        args = dict(current_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args") or {})
        args["options"] = " ".join(filter(None, [args.get("options"), "-c statement_timeout=0"]))
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=args)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
                connection.commit()  # the lock is the session's, not the transaction's
                try:
                    yield
                finally:
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                    connection.commit()
        finally:
            engine.dispose()
        return
    path = url.database if url.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    import fcntl

    with open(f"{path}.migrate-lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_for_database(app, timeout=None):
    """Return once the app's database answers, retrying with backoff for up to ``DB_WAIT_S`` seconds.

    Raises:
        sqlalchemy.exc.DBAPIError: The last failure, once the time is up.
    """
    timeout = float(app.config.get("DB_WAIT_S") or 0) if timeout is None else timeout
    deadline = time.monotonic() + timeout
    delay = 0.25
    with app.app_context():
        while True:
            try:
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                return
            except sa.exc.DBAPIError as e:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("the database is not answering yet (%s); trying again in %.1f s",
                            type(e.orig).__name__ if e.orig is not None else type(e).__name__, delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


def migrate_at_start(app):
    """Wait for the database and migrate it (under the lock); what `server:create_app()` does under a WSGI server.

    A database still away after ``DB_WAIT_S`` is logged, not raised: the
    process serves /healthz, and /readyz says what is wrong.
    """
    try:
        wait_for_database(app)
        with app.app_context():
            upgrade()
    except sa.exc.DBAPIError as e:
        log.error("the database could not be reached or migrated at start-up (%s); /readyz says when it is",
                  type(e).__name__)
