"""Alembic environment for Minuted's migrations (run through Flask-Migrate)."""
from alembic import context
from flask import current_app

config = context.config
db = current_app.extensions["migrate"].db
# logging stays as the app set it up: fileConfig() here would silence the app's loggers
config.set_main_option("sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    """Emit SQL for the migrations without a database connection."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=db.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Apply the migrations on a live connection, in one transaction."""
    conf_args = dict(current_app.extensions["migrate"].configure_args)

    def skip_empty(context, revision, directives):
        # autogenerate without changes writes no empty revision file
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    conf_args.setdefault("process_revision_directives", skip_empty)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # a batch migration copies a table and drops the old one: with foreign keys on,
            # that drop would cascade-delete every child row (SQLite docs, "ALTER TABLE")
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if problems:
                raise RuntimeError(f"migration left {len(problems)} broken foreign keys")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
