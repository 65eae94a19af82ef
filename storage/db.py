"""Engine creation and schema migration.

SQLite gets WAL (readers never block the writer), a busy timeout (two processes on one
file wait instead of failing) and foreign keys; other dialects need none of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(path_or_url: str) -> str:
    """Turn ``HELPLINE_DB`` (a file path or a full URL) into an async SQLAlchemy URL."""
    if "://" in path_or_url:
        return path_or_url
    return f"sqlite+aiosqlite:///{path_or_url}"


def make_engine(path_or_url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite connections get the pragmas this project relies on."""
    url = database_url(path_or_url)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def _upgrade(sync_conn: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
