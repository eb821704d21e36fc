"""The `minuted` command: serve, worker, user add/password/admin, token (new, list, revoke), storage, migrate,
transcribe."""
import os
import sys

import click

from . import logs


def _app(data):
    """Build the app for the data directory given on the command line (or the environment)."""
    if data:
        os.environ["MINUTED_DATA_DIR"] = str(data)
    # the bundled model is a local path: never reach for a model hub at run time
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from . import create_app

    return create_app(migrate=False)  # each command migrates itself (_upgrade), saying why when it cannot


def _upgrade(app):
    """Wait for the database (``DB_WAIT_S``, with backoff), then migrate it under the migration lock."""
    import sqlalchemy as sa

    from .db import upgrade
    from .db import wait_for_database

    try:
        wait_for_database(app)
    except sa.exc.DBAPIError as e:
        raise click.ClickException(
            f"The database did not answer within {app.config.get('DB_WAIT_S')} s ({type(e.orig or e).__name__})."
        ) from None
    with app.app_context():
        upgrade()


data_option = click.option(
    "--data",
    type=click.Path(file_okay=False),
    envvar="MINUTED_DATA_DIR",
    help="Data directory (database, audio, secret key). Default: MINUTED_DATA_DIR or a per-user data directory.",
)


def _few_malloc_arenas(arenas=2):
    """Cap glibc's malloc arenas for this process (like MALLOC_ARENA_MAX=2).

    glibc gives each thread that allocates its own arena, up to 8 per core, and
    memory freed by one (a Whisper window's buffers) is not reused by another:
    a transcribing worker peaked ~70 MB higher without this. A no-op off glibc.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX
    except (OSError, AttributeError):
        pass


@click.group()
def main():
    """Minuted: prepare, record and minute SEN school meetings."""
    _few_malloc_arenas()


@main.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for the LAN).")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads.")
@click.option("--https", "use_https", is_flag=True,
              help="Serve over TLS with a local CA made for this machine (phones need HTTPS for the microphone).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="A real certificate (PEM) instead.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="The private key for --cert.")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Transcribe in this process (turn off when `minuted worker` processes do it).")
@click.option("--workers", default=1, show_default=True, type=int, help="Transcription threads in this process.")
def serve(data, host, port, threads, use_https, cert, key, worker, workers):
    """Run the web app (migrating the database first) and, unless --no-worker, the transcription queue."""
    import signal

    from cheroot import wsgi

    from . import jobs

    if bool(cert) != bool(key):
        raise click.UsageError("--cert and --key go together.")
    app = _app(data)
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    _upgrade(app)
    consumer = None
    if worker:
        # the consumer installs its own signal handlers; keep Ctrl+C for the web server
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        consumer = jobs.create_consumer(app, workers=workers)
        consumer.start()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

    def stop_on_sigterm(signum, frame):
        raise KeyboardInterrupt  # systemd and Docker stop with SIGTERM: shut down as Ctrl+C does

    signal.signal(signal.SIGTERM, stop_on_sigterm)  # jobs go back to the queue at their last saved window
    # a meeting room of phones reconnecting at once must not overflow the listen backlog
    server = wsgi.Server((host, port), app, numthreads=threads, server_name="minuted", request_queue_size=512)
    scheme = "http"
    if use_https or cert:
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        from . import tls

        if not cert:
            try:
                made = tls.ensure_server_cert(app.config["DATA_DIR"],
                                              extra_names=[] if host in ("0.0.0.0", "::") else [host])
            except tls.NameNotPermitted as e:
                raise click.ClickException(str(e)) from None
            cert, key = str(made.cert), str(made.key)
        server.ssl_adapter = BuiltinSSLAdapter(cert, key)
        scheme = "https"
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"Minuted is running on {scheme}://{shown}:{port}/  (data: {app.config['DATA_DIR']})")
    if use_https:
        click.echo(f"To set up a phone, open {scheme}://{shown}:{port}/connect on this computer.")
    click.echo("Press Ctrl+C to stop.")
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if consumer is not None:
            consumer.stop(graceful=True)


@main.command()
@data_option
@click.option("--workers", default=1, show_default=True, type=int, help="Jobs run at once (threads).")
@click.option("--metrics-port", type=int, default=None, help="Serve Prometheus metrics on this port (no token: "
              "bind it where only operators reach, --metrics-host).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Address for --metrics-port.")
def worker(data, workers, metrics_port, metrics_host):
    """Run transcription workers only (the SQLite queue in the data directory, or MINUTED_QUEUE_URL)."""
    from . import jobs

    app = _app(data)
    logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    if metrics_port:
        from . import metrics

        metrics.serve(metrics_port, metrics_host)
    _upgrade(app)  # waits for the database (DB_WAIT_S) rather than exiting when it is not up yet
    queue = "Redis" if app.config.get("QUEUE_URL") else "SQLite"
    click.echo(f"Minuted worker: {workers} thread(s) on the {queue} queue (data: {app.config['DATA_DIR']})")
    jobs.create_consumer(app, workers=workers).run()


@main.group()
def user():
    """Manage accounts."""


@user.command("add")
@data_option
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", "make_admin", is_flag=True,
              help="Make it an admin: it invites families (/admin/families). While there is none, it is one anyway.")
def user_add(data, email, password_stdin, make_admin):
    """Create an account for EMAIL (an admin with --admin, or when there is no admin yet)."""
    from . import auth
    from . import invites
    from .db import db
    from .errors import ValidationError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app(data)
    _upgrade(app)
    with app.app_context():
        # as at first-run setup: an installation's first account runs it (someone must be able to invite families)
        make_admin = make_admin or invites.admin_count() == 0
        try:
            account = auth.create_user(email, password)
        except ValidationError as e:
            raise click.ClickException(" ".join(e.fields.values())) from None
        account.is_admin = make_admin
        db.session.commit()
    click.echo(f"Created an account for {auth.normalise_email(email)}.")
    if make_admin:
        click.echo("It is an admin: it invites families at /admin/families.")


@user.command("admin")
@data_option
@click.argument("email")
@click.option("--remove", is_flag=True, help="Make it no longer an admin (refused for the last admin).")
def user_admin(data, email, remove):
    """Make EMAIL's account an admin, which invites families at /admin/families (or, with --remove, not one)."""
    from . import auth
    from . import invites
    from .db import db

    app = _app(data)
    _upgrade(app)
    with app.app_context():
        account = _account(email)
        try:
            changed = invites.set_admin(account, not remove)
        except invites.AdminError as e:
            raise click.ClickException(str(e)) from None
        db.session.commit()
    email = auth.normalise_email(email)
    if remove:
        click.echo(f"{email} is no longer an admin." if changed else f"{email} was not an admin.")
    else:
        click.echo(f"{email} is now an admin: it invites families at /admin/families." if changed
                   else f"{email} is an admin already.")


@user.command("password")
@data_option
@click.argument("email")
@click.option("--stdin", "--password-stdin", "from_stdin", is_flag=True,
              help="Read the new password from standard input (one line) instead of asking twice.")
def user_password(data, email, from_stdin):
    """Set a new password for EMAIL (a reset): every session of the account ends; API tokens stay."""
    from . import auth
    from .db import db
    from .errors import ValidationError

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    app = _app(data)
    _upgrade(app)
    with app.app_context():
        account = _account(email)
        try:
            auth.set_password(account, password)
        except ValidationError as e:
            raise click.ClickException(" ".join(e.fields.values())) from None
        db.session.commit()
    click.echo(f"Changed the password for {auth.normalise_email(email)}; it is signed out everywhere.")


def _account(email):
    """Return the account for email (inside an app context), or stop with a message."""
    from . import auth

    account = auth.find_user(email)
    if account is None:
        raise click.ClickException(f"No account for {email}.")
    return account


class _TokenGroup(click.Group):
    """`minuted token EMAIL` is short for `minuted token new EMAIL` (how tokens were always made)."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] != "--help":
            args = ["new", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_TokenGroup)
def token():
    """API tokens: make one (`minuted token EMAIL`), list them, revoke one."""


@token.command("new")
@data_option
@click.argument("email")
@click.option("--name", help="A label for the token.")
@click.option("--expires-days", type=click.IntRange(1, 3650),
              help="Stop working after this many days (default: until revoked).")
def token_new(data, email, name, expires_days):
    """Print a new API token for EMAIL's account."""
    from . import auth
    from .db import db

    app = _app(data)
    _upgrade(app)
    with app.app_context():
        value = auth.new_token(_account(email), name=name, expires_days=expires_days)
        db.session.commit()
    click.echo(value)


@token.command("list")
@data_option
@click.argument("email")
def token_list(data, email):
    """List EMAIL's API tokens: id, name, created, last used, expires (the tokens themselves are never kept)."""
    from . import auth
    from .db import now_utc

    def when(moment):
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    app = _app(data)
    _upgrade(app)
    with app.app_context():
        rows = auth.tokens_of(_account(email))
        now = now_utc()
        if not rows:
            click.echo(f"{auth.normalise_email(email)} has no API tokens.")
        for row in rows:
            if row.expires_at is None:
                expires = "expires never"
            else:
                expires = f"{'expired' if row.expires_at <= now else 'expires'} {when(row.expires_at)}"
            used = f"last used {when(row.last_used_at)}"
            click.echo(f"{row.id}\t{row.name or '-'}\tcreated {when(row.created_at)}\t{used}\t{expires}")


@token.command("revoke")
@data_option
@click.argument("email")
@click.argument("token_id", type=int)
def token_revoke(data, email, token_id):
    """Revoke EMAIL's API token TOKEN_ID (from `minuted token list`): it answers 401 from now on."""
    from . import auth
    from .db import db

    app = _app(data)
    _upgrade(app)
    with app.app_context():
        if not auth.revoke_token(_account(email), token_id):
            raise click.ClickException(f"{auth.normalise_email(email)} has no token {token_id}.")
        db.session.commit()
    click.echo(f"Revoked token {token_id}.")


@main.group()
def storage():
    """Audio storage (MINUTED_STORAGE: local files, or the database every machine reaches)."""


@storage.command("copy-to-database")
@data_option
def storage_copy_to_database(data):
    """Copy the audio kept as files in the data directory into the database (before MINUTED_STORAGE=database)."""
    from . import audio_store

    app = _app(data)
    _upgrade(app)
    with app.app_context():
        copied, missing, damaged = audio_store.copy_files_to_database()
    click.echo(f"Copied {copied} chunk(s) into the database.")
    if missing:
        click.echo(f"{missing} chunk(s) have no file in {app.config['AUDIO_DIR']}: run this where they were stored.")
    if damaged:
        click.echo(f"{damaged} file(s) differ from their checksum and were not copied.")


@main.command()
@data_option
def migrate(data):
    """Apply database migrations, under a lock (every process does this at start; this does only that)."""
    app = _app(data)
    _upgrade(app)
    click.echo("The database is up to date.")


@main.command("backup")
@data_option
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(data, file):
    """Write everything this installation holds to FILE (.tar.gz): a consistent copy of the database (SQLite's
    online backup, or pg_dump), the audio and the secret key. Safe while the server runs."""
    from . import backup

    app = _app(data)
    try:
        manifest = backup.backup(app, file)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Backed up the {manifest['database']} database and the data directory to {file}.")


@main.command("restore")
@data_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds accounts.")
def restore_command(data, file, force):
    """Put a backup made by `minuted backup` back (stop the server first), then migrate it to this version."""
    from . import backup

    app = _app(data)
    try:
        backup.restore(app, file, force=force)
    except backup.BackupError as e:
        raise click.ClickException(str(e)) from None
    _upgrade(app)
    click.echo(f"Restored {file}. Start the server; transcriptions left waiting are queued again by the workers.")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["txt", "vtt", "srt", "json"]), default="txt", show_default=True)
@click.option("--model", envvar="MINUTED_WHISPER_MODEL", help="Model directory or name (default: the bundled tiny.en).")
@click.option("--engine", envvar="MINUTED_WHISPER_ENGINE", type=click.Choice(["faster-whisper", "whisper"]),
              default="faster-whisper", show_default=True, help="whisper needs pip install '.[whisper]'.")
@click.option("--beam-size", default=5, show_default=True, type=int)
@click.option("--vocabulary", multiple=True, help="A name or term to listen for (repeatable).")
def transcribe(file, fmt, model, engine, beam_size, vocabulary):
    """Transcribe an audio FILE (wav, flac, mp3, m4a, ogg, webm, mp4) to standard output."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transcribe import AudioDecodeError
    from transcribe import transcribe_file

    settings = {"model": model} if model else {}
    try:
        text = transcribe_file(
            file, fmt, engine=engine, beam_size=beam_size, vocabulary=list(vocabulary) or None, **settings
        )
    except AudioDecodeError as e:
        raise click.ClickException(str(e)) from None
    click.echo(text, nl=not text.endswith("\n"))
