"""Integration fixtures: a fresh, migrated SQLite database per test, and a table dump."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import make_engine, migrate
from storage.tables import metadata

Dump = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(str(tmp_path / "t.db"))
    await migrate(eng)
    yield eng
    await eng.dispose()


async def dump_tables(engine: AsyncEngine) -> Dump:
    """Every row of every table, in a stable order: equal dumps mean nothing changed."""
    out: Dump = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


@pytest.fixture
def dump(engine: AsyncEngine) -> Callable[[], Awaitable[Dump]]:
    async def _dump() -> Dump:
        return await dump_tables(engine)

    return _dump


@pytest.fixture
def dump_file() -> Callable[[Path], Dump]:
    """`dump_tables` for synchronous tests (the CLI runs its own event loop)."""

    def _dump(db: Path) -> Dump:
        async def go() -> Dump:
            eng = make_engine(str(db))
            try:
                return await dump_tables(eng)
            finally:
                await eng.dispose()

        return asyncio.run(go())

    return _dump
