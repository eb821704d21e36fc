"""Database migrations (Alembic, through Flask-Migrate)."""
