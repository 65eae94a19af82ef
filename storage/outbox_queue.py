"""The outbox's SQL: which rows are due and in what order, claiming them, their outcomes.

The dispatcher (``schedules/outbox.py``) decides what to send and when; every statement
it runs on the ``outbox`` and ``outbox_media`` tables is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import outbox, outbox_media, people, requests


@dataclass(frozen=True)
class Row:
    """A message waiting in the outbox, as the dispatcher handles it."""

    id: int
    chat_id: int
    method: str
    payload: dict[str, Any]
    purpose: str
    request_id: int | None
    recipient_id: int | None
    ref_id: int | None
    attempts: int
    level: int | None = None


def row_of(r: Any) -> Row:
    return Row(
        r.id,
        r.chat_id,
        r.method,
        dict(r.payload),
        r.purpose,
        r.request_id,
        r.recipient_id,
        r.ref_id,
        r.attempts,
        r.level,
    )


# How many of the most urgent due rows requesters take turns among: enough for every
# first alert of a crane falling, few enough that a backlog of 100,000 costs nothing.
FAIR_WINDOW = 2000


def _due_in_turns(now: datetime, limit: int) -> Select[Any]:
    who = func.coalesce(requests.c.requester_chat_id, outbox.c.chat_id)
    due = (
        select(outbox.c.id, outbox.c.priority, who.label("who"))
        .select_from(outbox.outerjoin(requests, requests.c.id == outbox.c.request_id))
        .where(outbox.c.status == "pending", outbox.c.not_before <= now)
        .order_by(outbox.c.priority, outbox.c.id)
        .limit(FAIR_WINDOW)
        .subquery()
    )
    turn = func.row_number().over(partition_by=(due.c.priority, due.c.who), order_by=due.c.id)
    ranked = select(due.c.id, due.c.who, turn.label("turn")).subquery()
    return (
        select(outbox, ranked.c.who, ranked.c.turn)
        .join(ranked, ranked.c.id == outbox.c.id)
        .order_by(outbox.c.priority, ranked.c.turn, outbox.c.id)
        .limit(limit)
    )


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[Any]:
    """Due rows, most urgent first and, within one priority, requesters in turn: one
    worker's hundred messages cannot stand in front of another worker's first one.
    A requester's own messages keep their order (turns follow the row id). Each row
    carries ``who`` (the requester, else the chat) and its ``turn``."""
    return list((await conn.execute(_due_in_turns(now, limit))).all())


async def next_not_before(conn: AsyncConnection, now: datetime) -> datetime | None:
    """When the next row held back for later becomes due."""
    found: datetime | None = await conn.scalar(
        select(func.min(outbox.c.not_before)).where(
            outbox.c.status == "pending", outbox.c.not_before > now
        )
    )
    return found


async def put_off_chats(conn: AsyncConnection, now: datetime) -> set[int]:
    """Chats with a message put off (a 429, a network error) and not yet due again: per
    chat, messages leave in the order they were written, so these chats wait for it."""
    found: Any = await conn.scalars(
        select(outbox.c.chat_id)
        .where(outbox.c.status == "pending", outbox.c.attempts > 0, outbox.c.not_before > now)
        .distinct()
    )
    return {int(c) for c in found}


async def recipients_gone(conn: AsyncConnection, rows: Sequence[Any]) -> set[int]:
    """Rows whose recipient left the roster since they were queued: checked when they
    are due, so nothing of a request reaches someone removed meanwhile (a worker still
    hears about their own request)."""
    ids = [r.id for r in rows if r.recipient_id is not None]
    if not ids:
        return set()
    found: Any = await conn.scalars(
        select(outbox.c.id)
        .join(people, people.c.id == outbox.c.recipient_id)
        .outerjoin(requests, requests.c.id == outbox.c.request_id)
        .where(outbox.c.id.in_(ids), people.c.active.is_(False))
        .where(
            or_(
                requests.c.requester_id.is_(None),
                requests.c.requester_id != outbox.c.recipient_id,
            )
        )
    )
    return {int(i) for i in found}


async def claim(conn: AsyncConnection, ids: list[int]) -> set[int]:
    """Mark rows 'sending' (those still pending); return the ids claimed."""
    rows = await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), outbox.c.status == "pending")
        .values(status="sending", attempts=outbox.c.attempts + 1)
        .returning(outbox.c.id)
    )
    return {int(r.id) for r in rows}


async def record(conn: AsyncConnection, row_id: int, **values: Any) -> None:
    """A row's outcome (status, message id, error, when to try again, ...)."""
    await conn.execute(update(outbox).where(outbox.c.id == row_id).values(**values))


async def cut_off(conn: AsyncConnection) -> list[Any]:
    """Rows left 'sending' by a process that died: they may have reached Telegram."""
    return list((await conn.execute(select(outbox).where(outbox.c.status == "sending"))).all())


async def sent_to(conn: AsyncConnection, row_id: int) -> tuple[str, int | None]:
    """A row's status and, once sent, its message's id (what an edit of it applies to)."""
    ref = (
        await conn.execute(
            select(outbox.c.status, outbox.c.message_id).where(outbox.c.id == row_id)
        )
    ).one()
    return str(ref.status), ref.message_id


async def picture(conn: AsyncConnection, media_id: int) -> tuple[str | None, bytes]:
    """A stored picture: Telegram's file_id once uploaded, and its bytes."""
    row = (
        await conn.execute(
            select(outbox_media.c.file_id, outbox_media.c.png).where(outbox_media.c.id == media_id)
        )
    ).one()
    return row.file_id, bytes(row.png)


async def uploaded(conn: AsyncConnection, media_id: int, file_id: str) -> None:
    """Remember the file_id of a picture's first upload: the rest send it by reference."""
    await conn.execute(
        update(outbox_media)
        .where(outbox_media.c.id == media_id, outbox_media.c.file_id.is_(None))
        .values(file_id=file_id)
    )
