"""Durable deadlines: every escalation step and reminder is a row; this fires them.

A due row is claimed by a conditional update (pending -> fired) in the same transaction
that records its effect, so a deadline fires once even with two engines on one database,
and one that lost a race with a Take (which cancels it) does nothing. The in-process
scheduler only caches the next wake-up (see ``schedules.runner``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.usecases.uow import UnitOfWork, Wakeups
from storage.db import reading
from storage.tables import deadlines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deadline:
    id: int
    kind: str
    request_id: int | None
    due_at: datetime
    data: dict[str, Any]


Effect = Callable[[UnitOfWork, Deadline], Awaitable[None]]


class DeadlineEngine:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        wakeups: Wakeups,
        effects: dict[str, Effect],
        *,
        batch: int = 500,
    ) -> None:
        self._engine, self._clock, self._wakeups = engine, clock, wakeups
        self._effects = effects
        self._batch = batch

    async def next_due(self) -> datetime | None:
        async with reading(self._engine) as conn:
            found = await conn.scalar(
                select(func.min(deadlines.c.due_at)).where(deadlines.c.status == "pending")
            )
        return found if isinstance(found, datetime) else None

    async def tick(self) -> int:
        """Fire every deadline due now, oldest first; return how many fired."""
        fired = 0
        while True:
            now = self._clock.now()
            async with reading(self._engine) as conn:
                rows = (
                    await conn.execute(
                        select(deadlines)
                        .where(deadlines.c.status == "pending", deadlines.c.due_at <= now)
                        .order_by(deadlines.c.due_at, deadlines.c.id)
                        .limit(self._batch)
                    )
                ).all()
            for r in rows:
                deadline = Deadline(r.id, r.kind, r.request_id, r.due_at, dict(r.data or {}))
                if await self._fire(deadline, now):
                    fired += 1
            if len(rows) < self._batch:
                return fired

    async def _fire(self, deadline: Deadline, now: datetime) -> bool:
        effect = self._effects.get(deadline.kind)
        try:
            async with UnitOfWork(self._engine, self._wakeups, now) as uow:
                claimed = await uow.conn.execute(
                    update(deadlines)
                    .where(deadlines.c.id == deadline.id, deadlines.c.status == "pending")
                    .values(status="fired", fired_at=now)
                )
                if claimed.rowcount != 1:
                    return False  # another engine fired it, or a take cancelled it
                if effect is None:
                    log.error("no effect for deadline kind %r (row %s)", deadline.kind, deadline.id)
                else:
                    await effect(uow, deadline)
        except Exception:
            log.exception("deadline %s (%s) failed; it stays pending", deadline.id, deadline.kind)
            return False
        return True
