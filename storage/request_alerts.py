"""A request's alerts in the outbox: who still has one, and the alert a taker turns into
their own message (it then carries the owner's buttons, and is retired with the owner's
messages when the request goes back to everyone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.purposes import Purpose
from storage.bundles import ALIVE
from storage.tables import outbox


async def alert_row(conn: AsyncConnection, row_id: int) -> Any:
    """An alert's status, chat and payload."""
    return (
        await conn.execute(
            select(outbox.c.status, outbox.c.chat_id, outbox.c.payload).where(outbox.c.id == row_id)
        )
    ).one()


async def make_owners(
    conn: AsyncConnection, row_id: int, payload: dict[str, Any] | None = None
) -> None:
    """The alert is now the owner's message (with a new payload, if it has not left)."""
    values: dict[str, Any] = {"purpose": Purpose.OWNER}
    if payload is not None:
        values["payload"] = payload
    await conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))


async def owners_back_to_alerts(conn: AsyncConnection, request_id: int) -> None:
    """The owner's messages of a request count as its alerts again (to be retired)."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.request_id == request_id, outbox.c.purpose == Purpose.OWNER)
        .values(purpose=Purpose.ALERT)
    )


async def alerted_people(conn: AsyncConnection, request_id: int) -> list[int]:
    """Who holds an alert of the request still alive (sent, on its way or bundled)."""
    rows = await conn.execute(
        select(outbox.c.recipient_id)
        .where(outbox.c.request_id == request_id, outbox.c.purpose == Purpose.ALERT)
        .where(outbox.c.status.in_(ALIVE))
        .distinct()
    )
    return [int(r.recipient_id) for r in rows if r.recipient_id is not None]


async def alive_alerts(conn: AsyncConnection, request_id: int) -> list[Any]:
    """The request's alerts still alive (id, status, recipient, chat, payload, and the
    bundle carrying it, if one does)."""
    rows = await conn.execute(
        select(
            outbox.c.id,
            outbox.c.status,
            outbox.c.recipient_id,
            outbox.c.chat_id,
            outbox.c.payload,
            outbox.c.ref_id,
        )
        .where(outbox.c.request_id == request_id, outbox.c.purpose == Purpose.ALERT)
        .where(outbox.c.status.in_(ALIVE))
    )
    return list(rows.all())


async def questions(conn: AsyncConnection, request_id: int) -> list[Any]:
    """The worker's "is your trouble over?" messages of a request, sent or on their way
    (id, status, chat, payload): their Confirm / Not resolved buttons."""
    rows = await conn.execute(
        select(outbox.c.id, outbox.c.status, outbox.c.chat_id, outbox.c.payload).where(
            outbox.c.request_id == request_id,
            outbox.c.purpose == Purpose.CONFIRM,
            outbox.c.status.in_(("pending", "sending", "sent")),
        )
    )
    return list(rows.all())


async def cancel(conn: AsyncConnection, row_id: int) -> None:
    """An alert that has not left yet never will."""
    await conn.execute(update(outbox).where(outbox.c.id == row_id).values(status="cancelled"))


async def retired(conn: AsyncConnection, row_id: int) -> None:
    """An alert edited to say the request moved on: no longer one to act on."""
    await conn.execute(
        update(outbox).where(outbox.c.id == row_id).values(purpose=Purpose.ALERT_RETIRED)
    )


async def alive_at_level(conn: AsyncConnection, request_id: int, level: int) -> bool:
    """Whether an alert of the request at ``level`` may still reach someone."""
    found = await conn.scalar(
        select(outbox.c.id).where(
            outbox.c.request_id == request_id,
            outbox.c.purpose == Purpose.ALERT,
            outbox.c.level == level,
            outbox.c.status.in_(ALIVE),
        )
    )
    return found is not None


async def stuck(conn: AsyncConnection, created_before: datetime, limit: int) -> list[Any]:
    """Alerts not out yet, queued before ``created_before`` and not reported as late."""
    rows = await conn.execute(
        select(outbox.c.id, outbox.c.request_id, outbox.c.recipient_id, outbox.c.error)
        .where(
            outbox.c.purpose == Purpose.ALERT,
            outbox.c.status.in_(("pending", "sending", "bundled")),
            outbox.c.created_at <= created_before,
            outbox.c.delay_reported_at.is_(None),
        )
        .limit(limit)
    )
    return list(rows.all())


async def reported_late(conn: AsyncConnection, row_id: int, now: datetime) -> None:
    await conn.execute(update(outbox).where(outbox.c.id == row_id).values(delay_reported_at=now))
