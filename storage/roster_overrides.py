"""What an import does to roster changes made in the bot: the file wins, and says so.

Before an import, the bot-made changes no import has seen yet are read; after it, each is
compared with what the file left in place. Those the file undid are listed in the
import's report and marked "overridden", the rest "kept", so the next import reports
nothing twice. Family members a worker added in the bot are not the file's to remove:
the file does not list families, so they stay while their employee does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import people, roster_events


@dataclass(frozen=True)
class Pending:
    id: int
    type: str
    key: str
    person_id: int
    actor: str | None
    reason: str
    data: dict[str, Any]


async def pending(conn: AsyncConnection) -> list[Pending]:
    actors = people.alias("actors")
    rows = await conn.execute(
        select(
            roster_events.c.id,
            roster_events.c.type,
            roster_events.c.person_id,
            roster_events.c.reason,
            roster_events.c.data,
            people.c.key,
            actors.c.name,
        )
        .join(people, people.c.id == roster_events.c.person_id)
        .outerjoin(actors, actors.c.id == roster_events.c.actor_id)
        .where(roster_events.c.source == "bot", roster_events.c.import_outcome.is_(None))
        .order_by(roster_events.c.id)
    )
    return [Pending(r.id, r.type, r.key, r.person_id, r.name, r.reason, r.data) for r in rows]


def bot_family(found: list[Pending]) -> set[str]:
    """Keys of family members added in the bot: an import leaves them be."""
    return {p.key for p in found if p.type == "family-added"}


def _undone(event: Pending, row: Any) -> bool:
    if event.type == "handles":
        return sorted(row.handles or []) != sorted(event.data.get("handles", []))
    if event.type == "removed":
        return bool(row.active)
    if event.type in ("added", "family-added"):
        return not row.active
    return False  # away, nudged: the file says nothing about them


def describe(event: Pending) -> str:
    """One line of the import's report (the log's language: plain English keys)."""
    what = {
        "handles": "handles set to " + ", ".join(event.data.get("handles", [])),
        "removed": "removed",
        "added": "added as " + str(event.data.get("role", "?")),
        "family-added": "added as family",
    }.get(event.type, event.type)
    by = f" by {event.actor}" if event.actor else ""
    why = f" ({event.reason})" if event.reason else ""
    return f"{event.key}: {what}{by}{why}"


async def settle(conn: AsyncConnection, found: list[Pending]) -> list[str]:
    """Mark each bot-made change kept or overridden; describe the overridden ones."""
    if not found:
        return []
    rows = {
        r.id: r
        for r in await conn.execute(
            select(people.c.id, people.c.handles, people.c.active).where(
                people.c.id.in_({p.person_id for p in found})
            )
        )
    }
    overridden: list[str] = []
    for event in found:
        undone = _undone(event, rows[event.person_id])
        if undone:
            overridden.append(describe(event))
        await conn.execute(
            update(roster_events)
            .where(roster_events.c.id == event.id)
            .values(import_outcome="overridden" if undone else "kept")
        )
    return overridden


async def log_import(conn: AsyncConnection, changed: dict[int, list[str]], now: datetime) -> None:
    """One timeline row per person the file changed, with the fields it wrote."""
    if changed:
        await conn.execute(
            insert(roster_events),
            [
                {
                    "at": now,
                    "type": "imported",
                    "source": "file",
                    "person_id": person_id,
                    "reason": "",
                    "data": {"fields": fields},
                    "import_outcome": "file",
                }
                for person_id, fields in changed.items()
            ],
        )
