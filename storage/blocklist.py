"""Blocked Telegram accounts: their updates are stored and not acted on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import blocked_chats


async def blocked_among(conn: AsyncConnection, chat_ids: list[int]) -> set[int]:
    """Which of ``chat_ids`` are blocked (one read for a whole batch of updates)."""
    if not chat_ids:
        return set()
    found: Any = await conn.scalars(
        select(blocked_chats.c.chat_id).where(blocked_chats.c.chat_id.in_(chat_ids))
    )
    return {int(c) for c in found}


async def block(
    conn: AsyncConnection, chat_id: int, by_id: int | None, reason: str, now: datetime
) -> bool:
    """Block ``chat_id``; False when it was blocked already."""
    if await blocked_among(conn, [chat_id]):
        return False
    await conn.execute(
        insert(blocked_chats).values(
            chat_id=chat_id, blocked_by_id=by_id, reason=reason, blocked_at=now
        )
    )
    return True


async def unblock(conn: AsyncConnection, chat_id: int) -> bool:
    """Unblock ``chat_id``; False when it was not blocked."""
    result = await conn.execute(delete(blocked_chats).where(blocked_chats.c.chat_id == chat_id))
    return bool(result.rowcount)
