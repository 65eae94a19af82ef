"""The inbox: each incoming update is a row, keyed by update_id, before it is acted on.

A repeat of an update is dropped; one recorded but not finished (the process died) is
finished after the restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Update, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.callbacks import Verb, unpack
from storage.db import reading, writing
from storage.tables import inbox


def stored(update: dict[str, Any]) -> dict[str, Any]:
    """What of an update is kept: all of it, except a survey answer's press, which would
    tie the presser to the answer (it is handled from memory; after a crash it is not
    replayed - the button is still there to press again)."""
    query = update.get("callback_query")
    data = query.get("data") if isinstance(query, dict) else None
    button = unpack(data) if isinstance(data, str) else None
    if button is not None and button.verb is Verb.SURVEY:
        return {"update_id": update.get("update_id"), "redacted": "survey"}
    return update


async def record(conn: AsyncConnection, updates: list[dict[str, Any]], now: datetime) -> list[int]:
    """Store new updates in the caller's transaction; return the ids not already known."""
    if not updates:
        return []
    ids = [int(u["update_id"]) for u in updates]
    known: set[int] = set(
        await conn.scalars(select(inbox.c.update_id).where(inbox.c.update_id.in_(ids)))
    )
    rows: list[dict[str, Any]] = []
    for u in updates:
        uid = int(u["update_id"])
        if uid in known:
            continue
        known.add(uid)
        rows.append(
            {"update_id": uid, "received_at": now, "status": "received", "payload": stored(u)}
        )
    if rows:
        await conn.execute(inbox.insert(), rows)
    return [int(r["update_id"]) for r in rows]


async def begin(
    conn: AsyncConnection, update_id: int, payload: dict[str, Any], now: datetime
) -> bool:
    """Claim an update for processing, in the caller's transaction; False if it was
    already processed or is being processed."""
    status = await conn.scalar(select(inbox.c.status).where(inbox.c.update_id == update_id))
    if status is None:
        await conn.execute(
            inbox.insert().values(
                update_id=update_id,
                received_at=now,
                status="processing",
                payload=stored(payload),
            )
        )
        return True
    result = await conn.execute(
        update(inbox)
        .where(inbox.c.update_id == update_id, inbox.c.status == "received")
        .values(status="processing")
    )
    return result.rowcount == 1


async def mark_done(conn: AsyncConnection, update_ids: list[int]) -> None:
    """In the caller's transaction: these updates need nothing more (kept, not acted on)."""
    if update_ids:
        await conn.execute(
            update(inbox).where(inbox.c.update_id.in_(update_ids)).values(status="done")
        )


async def finish(engine: AsyncEngine, update_id: int) -> None:
    async with writing(engine) as conn:
        await conn.execute(
            update(inbox).where(inbox.c.update_id == update_id).values(status="done")
        )


def failed(update_id: int) -> Update:
    """Keep an update that could not be handled after every retry: never replayed, never
    deleted (the committee was told; the row is the record)."""
    return update(inbox).where(inbox.c.update_id == update_id).values(status="failed")


async def unfinished(engine: AsyncEngine) -> list[dict[str, Any]]:
    """Updates left behind by a crash, oldest first, reset to be processed again."""
    async with writing(engine) as conn:
        rows = (
            await conn.execute(
                select(inbox.c.update_id, inbox.c.payload)
                .where(inbox.c.status.in_(("received", "processing")))
                .order_by(inbox.c.update_id)
            )
        ).all()
        await conn.execute(
            update(inbox).where(inbox.c.status == "processing").values(status="received")
        )
    return [dict(r.payload) for r in rows]


async def last_update_id(engine: AsyncEngine) -> int | None:
    from sqlalchemy import func

    async with reading(engine) as conn:
        found = await conn.scalar(select(func.max(inbox.c.update_id)))
    return int(found) if found is not None else None
