"""The figures' facts on each request, kept from its timeline as events are appended.

One rule per event type, applied by ``UnitOfWork.event`` whenever it appends to a
request's timeline, so no use case has to remember them: how long until it was first
taken, until it was (last) marked resolved and until it was closed; who closed it; how
often it was sent back; whether it ever went past level 0. Seconds are worked out here in
Python, so the report's SQL needs no dialect's date arithmetic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import requests

# A secretary's reassignment of an open request is its first take as much as a Take is.
TIMED = {
    "taken": "take_seconds",
    "reassigned": "take_seconds",
    "resolved": "resolve_seconds",
    "closed": "close_seconds",
}
FACT_EVENTS = {*TIMED, "reopened", "escalated", "alerted"}


def _escalated(type_: str, data: dict[str, Any]) -> bool:
    """Past level 0: escalated, or alerted above it at once (nobody at level 0 could be
    alerted, or the sender is not in the roster)."""
    return type_ == "escalated" or (type_ == "alerted" and int(data.get("level") or 0) > 0)


async def apply(
    conn: AsyncConnection, changes: list[tuple[int, str, dict[str, Any]]], now: datetime
) -> None:
    """Record the facts that ``changes`` (request id, event type, event data) imply."""
    escalated = sorted({rid for rid, type_, data in changes if _escalated(type_, data)})
    if escalated:
        await conn.execute(
            update(requests)
            .where(requests.c.id.in_(escalated), requests.c.escalated.is_(False))
            .values(escalated=True)
        )
    for rid, type_, data in changes:
        if type_ == "reopened":
            await conn.execute(
                update(requests)
                .where(requests.c.id == rid)
                .values(reopen_count=requests.c.reopen_count + 1)
            )
        elif type_ in TIMED:
            await _timed(conn, rid, type_, data, now)


async def _timed(
    conn: AsyncConnection, rid: int, type_: str, data: dict[str, Any], now: datetime
) -> None:
    created = await conn.scalar(select(requests.c.created_at).where(requests.c.id == rid))
    if not isinstance(created, datetime):
        return
    column = requests.c[TIMED[type_]]
    values: dict[str, Any] = {column.name: max(0, int((now - created).total_seconds()))}
    stmt = update(requests).where(requests.c.id == rid)
    if column.name == "take_seconds":
        stmt = stmt.where(column.is_(None))  # the first take counts, not a later one
    if type_ == "closed":
        values["closed_by"] = "secretary" if data.get("on_behalf") else "worker"
    await conn.execute(stmt.values(**values))
