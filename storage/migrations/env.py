"""Alembic environment: runs on a connection handed over by ``storage.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Offline use (``alembic revision --autogenerate``) against a throwaway SQLite file.
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///alembic-dev.db"
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
