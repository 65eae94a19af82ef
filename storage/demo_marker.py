"""The mark a demo database carries, so the demo never empties anything else.

``helpline demo --db FILE`` deletes FILE on every reset. Pointed at the line's own
database by mistake, it would wipe a year of requests; so a demo database is marked when
it is seeded, and the demo refuses a file that exists, holds tables and lacks the mark.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import policies

MARK = "demo_database"


async def mark_demo(conn: AsyncConnection) -> None:
    await conn.execute(delete(policies).where(policies.c.key == MARK))  # seeded again
    await conn.execute(insert(policies).values(key=MARK, value=True))


def foreign_to_demo(path: Path) -> bool:
    """True when ``path`` holds something a demo must not touch: tables without the mark,
    or a file that is not an SQLite database at all. A missing or empty file is fine."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
            if "policies" not in tables:
                return bool(tables)
            found = conn.execute("SELECT 1 FROM policies WHERE key = ?", (MARK,)).fetchone()
            return found is None
    except sqlite3.DatabaseError:
        return True
