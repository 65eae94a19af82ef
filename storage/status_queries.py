"""What the status server reads from the database at each scrape (``schedules/status.py``):
requests by kind and state, the outbox's backlog, alerts sent and undeliverable, and how
long requests waited to be taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.purposes import Purpose
from storage.tables import deadlines, outbox, requests, service_marks

ALIVE = "alive"


async def ping(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT 1"))


async def requests_by_kind_and_state(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    rows = await conn.execute(
        select(requests.c.kind, requests.c.state, func.count()).group_by(
            requests.c.kind, requests.c.state
        )
    )
    return {(str(r[0]), str(r[1])): int(r[2]) for r in rows.all()}


async def pending_by_priority(conn: AsyncConnection) -> dict[int, int]:
    rows = await conn.execute(
        select(outbox.c.priority, func.count())
        .where(outbox.c.status == "pending")
        .group_by(outbox.c.priority)
    )
    return {int(r[0]): int(r[1]) for r in rows.all()}


async def oldest_pending_alert(conn: AsyncConnection) -> datetime | None:
    """When the oldest alert not yet out was queued."""
    found = await conn.scalar(
        select(func.min(outbox.c.created_at)).where(
            outbox.c.purpose == Purpose.ALERT,
            outbox.c.status.in_(("pending", "sending", "bundled")),
        )
    )
    return found if isinstance(found, datetime) else None


async def alerts_by_status(conn: AsyncConnection) -> dict[str, int]:
    """Alerts that went out ('sent') and that could not be delivered ('failed'). An alert
    is a row written with an escalation level: its purpose changes as the request moves
    (the taker's alert becomes their own message, retired at the close), and a counter
    that went down at each take and up at each close would read as resets."""
    rows = await conn.execute(
        select(outbox.c.status, func.count())
        .where(outbox.c.level.is_not(None), outbox.c.status.in_(("sent", "failed")))
        .group_by(outbox.c.status)
    )
    return {str(r[0]): int(r[1]) for r in rows.all()}


async def take_times(
    conn: AsyncConnection, bounds: tuple[float, ...]
) -> dict[str, tuple[list[int], float]]:
    """Per kind, how many taken requests waited at most each bound (cumulative, one count
    per bound), and the seconds they waited in all. Read from the requests themselves, so
    the histogram survives a restart and every instance serves the same one."""
    # Whole seconds, as the column holds them (a fractional bound would be cut by a driver).
    columns = [
        func.sum(case((requests.c.take_seconds <= int(bound), 1), else_=0)) for bound in bounds
    ]
    rows = await conn.execute(
        select(requests.c.kind, func.count(), func.sum(requests.c.take_seconds), *columns)
        .where(requests.c.take_seconds.is_not(None))
        .group_by(requests.c.kind)
    )
    return {
        str(r[0]): ([int(n or 0) for n in r[3:]] + [int(r[1])], float(r[2] or 0))
        for r in rows.all()
    }


async def last_alive(conn: AsyncConnection) -> datetime | None:
    """When the bot last marked itself alive (None: never, a new database)."""
    found = await conn.scalar(select(service_marks.c.at).where(service_marks.c.name == ALIVE))
    return found if isinstance(found, datetime) else None


async def mark_alive(conn: AsyncConnection, at: datetime) -> None:
    done = await conn.execute(
        update(service_marks).where(service_marks.c.name == ALIVE).values(at=at)
    )
    if done.rowcount == 0:
        await conn.execute(service_marks.insert().values(name=ALIVE, at=at))


async def overdue_deadlines(conn: AsyncConnection, now: datetime) -> int:
    """Pending deadlines already due: what fires late right after a restart."""
    found = await conn.scalar(
        select(func.count()).where(deadlines.c.status == "pending", deadlines.c.due_at <= now)
    )
    return int(found or 0)
