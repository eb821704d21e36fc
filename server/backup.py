"""Back up and restore an installation: ``minuted backup FILE`` and ``minuted restore FILE``.

A backup is one .tar.gz:

* ``manifest.json``: the format, when, the database kind and its migration revision;
* the database: SQLite copied with SQLite's own online backup (consistent while the
  server runs), or PostgreSQL dumped by ``pg_dump`` (custom format: audio kept in the
  database, ``MINUTED_STORAGE=database``, is inside it);
* ``files/``: the data directory's own files (the audio in local storage, the secret
  key that signs sessions), without the database, the queue or caches.

Restore puts them back (stop the server first): into an empty database, or over one that
already holds accounts only when told to (``--force``), then migrates to this version.
The queue is not kept: jobs left queued or running are queued again when a worker starts.
"""
import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from glob import glob
from pathlib import Path

import sqlalchemy as sa

FORMAT = 1
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# never copied from the data directory: the database (copied its own way), the queue, caches and locks
_SKIP_NAMES = {"minuted.sqlite3", "queue.sqlite3", "cache"}
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".migrate-lock")


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with a sentence saying why."""


def _kind(url):
    backend = url.get_backend_name()
    if backend not in DB_MEMBER:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def _pg_tool(name):
    found = shutil.which(name) or (sorted(glob(f"/usr/lib/postgresql/*/bin/{name}")) or [None])[-1]
    if not found:
        raise BackupError(f"{name} is needed for a PostgreSQL backup (Debian: apt install postgresql-client).")
    return found


def _libpq_url(url):
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _revision(engine):
    with engine.connect() as conn:
        try:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            return None


def _files(app):
    """(path on disk, name in the archive) for the data directory's own files and the audio directory."""
    data = Path(app.config["DATA_DIR"])
    audio = Path(app.config["AUDIO_DIR"])
    out = []
    for root, dirs, names in os.walk(data):
        dirs[:] = [d for d in dirs if not (Path(root) == data and d in _SKIP_NAMES) and Path(root, d) != audio]
        for name in names:
            if Path(root) == data and (name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES)):
                continue
            path = Path(root, name)
            out.append((path, "files/" + path.relative_to(data).as_posix()))
    if audio.is_dir():
        for path in sorted(p for p in audio.rglob("*") if p.is_file()):
            out.append((path, "files/audio/" + path.relative_to(audio).as_posix()))
    return out


def backup(app, out_path):
    """Write the installation to ``out_path`` (.tar.gz); return the manifest."""
    from .db import db

    with app.app_context():
        engine = db.engine
        kind = _kind(engine.url)
        manifest = {"format": FORMAT, "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"), "database": kind, "revision": _revision(engine),
            "storage": app.config.get("STORAGE", "local")}
        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / DB_MEMBER[kind]
            if kind == "sqlite":
                source = sqlite3.connect(engine.url.database)
                target = sqlite3.connect(dump)
                try:
                    source.backup(target)  # a consistent copy, even while the server writes
                finally:
                    target.close()
                    source.close()
            else:
                result = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                         "--file", str(dump), _libpq_url(engine.url)], capture_output=True, text=True)
                if result.returncode:
                    raise BackupError(f"pg_dump failed: {result.stderr.strip()[-500:]}")
            partial = Path(f"{out_path}.partial")
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mtime = len(data), int(datetime.datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, DB_MEMBER[kind])
                for path, name in _files(app):
                    tar.add(path, name)
            os.replace(partial, out_path)  # a backup is there whole or not at all
    return manifest


def _has_accounts(engine):
    with engine.connect() as conn:
        try:
            return bool(conn.execute(sa.text('SELECT 1 FROM "user" LIMIT 1')).first())
        except sa.exc.DBAPIError:
            return False


def restore(app, in_path, force=False):
    """Put a backup back into this installation's database and data directory; return its manifest.

    Refuses a database that already holds accounts unless ``force``. The caller migrates afterwards.
    """
    from .db import db

    try:
        tar = tarfile.open(in_path, "r:gz")
    except (tarfile.TarError, OSError) as e:
        raise BackupError(f"{in_path} is not a Minuted backup ({type(e).__name__}).") from None
    with tar, app.app_context():
        try:
            manifest = json.load(tar.extractfile("manifest.json"))
        except (KeyError, ValueError, AttributeError):
            raise BackupError(f"{in_path} is not a Minuted backup (no manifest).") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"This backup's format ({manifest.get('format')}) is not one this version reads.")
        engine = db.engine
        kind = _kind(engine.url)
        if manifest.get("database") != kind:
            raise BackupError(f"This backup holds a {manifest.get('database')} database; this installation uses "
                              f"{kind}. Restore it into the same kind, then move the data.")
        if _has_accounts(engine) and not force:
            raise BackupError("This installation already holds accounts: restoring would replace them. "
                              "Use --force to replace them.")
        members = [m for m in tar.getmembers() if m.name.startswith("files/") and m.isfile()]
        with tempfile.TemporaryDirectory() as tmp:
            # everything out of the archive first, checked (no absolute paths, no "..", no links out): a bad
            # archive is refused before the database is touched
            staging = Path(tmp) / "staging"
            try:
                tar.extract(DB_MEMBER[kind], tmp, filter="data")
                tar.extractall(staging, members, filter="data")
            except KeyError:
                raise BackupError(f"{in_path} holds no {kind} database.") from None
            except (tarfile.TarError, OSError) as e:
                raise BackupError(f"{in_path} cannot be restored safely ({type(e).__name__}: {e}).") from None
            dump = Path(tmp) / DB_MEMBER[kind]
            db.session.remove()
            engine.dispose()
            if kind == "sqlite":
                target = Path(engine.url.database)
                for suffix in ("-wal", "-shm", "-journal"):
                    Path(f"{target}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(dump, f"{target}.restoring")
                os.replace(f"{target}.restoring", target)
            else:
                result = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                                         "--no-privileges", "--single-transaction", "--dbname",
                                         _libpq_url(engine.url), str(dump)], capture_output=True, text=True)
                if result.returncode:
                    raise BackupError(f"pg_restore failed: {result.stderr.strip()[-500:]}")
            data, audio = Path(app.config["DATA_DIR"]), Path(app.config["AUDIO_DIR"])
            for member in members:
                relative = Path(member.name).relative_to("files")
                base = audio if relative.parts[0] == "audio" else data
                target = base.joinpath(*relative.parts[1:]) if base is audio else data / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / member.name, target)
    return manifest
