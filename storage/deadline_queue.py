"""The deadlines' SQL: when the next one is due, claiming those due, putting one off.

The deadline engine (``schedules/deadlines.py``) fires what this claims; a claim is a
conditional update (pending -> fired) in the transaction that records the effects, so a
deadline fires once even with two engines on one database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.lifecycle import State
from storage.tables import deadlines, requests


@dataclass(frozen=True)
class Deadline:
    id: int
    kind: str
    request_id: int | None
    due_at: datetime
    data: dict[str, Any]
    visit_id: int | None = None  # a care-plan step: the visit it belongs to


async def earliest(conn: AsyncConnection) -> datetime | None:
    """When the next pending deadline is due (one indexed min, however many are open)."""
    found = await conn.scalar(
        select(func.min(deadlines.c.due_at)).where(deadlines.c.status == "pending")
    )
    return found if isinstance(found, datetime) else None


async def claim_due(conn: AsyncConnection, now: datetime, limit: int) -> list[Deadline]:
    """Mark up to ``limit`` due rows fired, oldest first: whoever changes a row owns its
    effect. Returned oldest first."""
    due = (
        select(deadlines.c.id)
        .where(deadlines.c.status == "pending", deadlines.c.due_at <= now)
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    rows = (
        await conn.execute(
            update(deadlines)
            .where(deadlines.c.id.in_(due), deadlines.c.status == "pending")
            .values(status="fired", fired_at=now)
            .returning(
                deadlines.c.id,
                deadlines.c.kind,
                deadlines.c.request_id,
                deadlines.c.due_at,
                deadlines.c.data,
                deadlines.c.visit_id,
            )
        )
    ).all()
    return sorted(
        (
            Deadline(r.id, r.kind, r.request_id, r.due_at, dict(r.data or {}), r.visit_id)
            for r in rows
        ),
        key=lambda d: (d.due_at, d.id),
    )


async def pending_of_kind(conn: AsyncConnection, kind: str) -> bool:
    """Whether a deadline of ``kind`` is pending (a recurring one keeps exactly one)."""
    found = await conn.scalar(
        select(deadlines.c.id).where(deadlines.c.kind == kind, deadlines.c.status == "pending")
    )
    return found is not None


async def open_without_step(conn: AsyncConnection, kind: str, limit: int) -> list[Any]:
    """Open requests (id, level) with no pending deadline of ``kind``: left without a
    next step by a fault, to be given one."""
    pending = exists().where(
        deadlines.c.request_id == requests.c.id,
        deadlines.c.kind == kind,
        deadlines.c.status == "pending",
    )
    rows = await conn.execute(
        select(requests.c.id, requests.c.level)
        .where(requests.c.state == State.OPEN.value, ~pending)
        .limit(limit)
    )
    return list(rows.all())


async def put_off(conn: AsyncConnection, deadline_id: int, due_at: datetime) -> None:
    """A deadline whose effect failed: pending again, due at ``due_at`` (never dropped)."""
    await conn.execute(
        update(deadlines)
        .where(deadlines.c.id == deadline_id)
        .values(status="pending", due_at=due_at, fired_at=None)
    )
