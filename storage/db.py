"""Engine creation and schema migration.

SQLite gets WAL (readers never block the writer), a busy timeout (two processes on one
file wait instead of failing) and foreign keys. Transactions are begun by us, not by the
driver: a writing transaction starts with BEGIN IMMEDIATE, so it holds the write lock from
its first read and two processes can never both act on what they read (a deferred one
would fail with "database is locked" when it tries to upgrade). Read-only work opens a
connection with ``reading()`` and gets a plain, non-blocking snapshot.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

_MIGRATIONS = Path(__file__).parent / "migrations"
READONLY = "helpline_readonly"


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
            dbapi_conn.isolation_level = None  # we say when a transaction begins

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Connection) -> None:
            readonly = conn.get_execution_options().get(READONLY, False)
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

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


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only: it never takes the write lock."""
    async with engine.connect() as conn:
        await conn.execution_options(**{READONLY: True})
        yield conn


_WRITE_LOCKS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


def write_lock(engine: AsyncEngine) -> asyncio.Lock:
    """One writer at a time in this process, first come first served.

    SQLite admits one writer anyway; queueing here instead of in SQLite's busy handler
    (which sleeps in growing steps) keeps a short write from waiting behind a long sleep,
    and lets the dispatcher take its turn between two batches of deadlines.
    """
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        lock = _WRITE_LOCKS[engine] = asyncio.Lock()
    return lock


# How many use cases may wait for the write lock at once (besides the one holding it).
# The outbox dispatcher and the poller take the lock without this gate, so when fifty
# handlers store fifty emergencies the dispatcher waits behind at most two of them to
# claim the alerts already stored. Handlers still run side by side (a report's charts
# off the event loop hold no slot); only their turns at the database queue here.
# Measured with `python -m bench --quick --only intake`, how much later than Telegram's
# pace the 50th first alert left: about 150 ms with 1, 220 ms with 4, 550 ms ungated.
USE_CASES_QUEUED = 1
_USE_CASE_GATES: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def use_case_gate(engine: AsyncEngine) -> asyncio.Semaphore:
    """Taken by a unit of work before the write lock (see ``USE_CASES_QUEUED``)."""
    gate = _USE_CASE_GATES.get(engine)
    if gate is None:
        gate = _USE_CASE_GATES[engine] = asyncio.Semaphore(USE_CASES_QUEUED)
    return gate


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction, taken in turn with this process's other writers."""
    async with write_lock(engine), engine.begin() as conn:
        yield conn


# What SQLite says when the file itself is broken: no retry mends it, a restore does.
_BROKEN_FILE = ("file is not a database", "database disk image is malformed")


def fatal_reason(exc: BaseException) -> str | None:
    """Why ``exc`` means the database cannot be used at all (None: worth retrying).

    A locked database, a full disk or a dropped connection pass; a file that is not a
    database, or is corrupt, does not get better by waiting."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen).lower()
        for marker in _BROKEN_FILE:
            if marker in text:
                return f"the database cannot be used: {marker}"
        seen = seen.__cause__ or seen.__context__
    return None
