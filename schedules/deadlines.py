"""Durable deadlines: every escalation step and reminder is a row; this fires them.

Due rows are claimed by a conditional update (pending -> fired) in the same transaction
that records their effects, so a deadline fires once even with two engines on one
database, and one that lost a race with a Take (which cancels it) does nothing. Rows are
claimed in bounded batches, oldest first, one transaction per batch and a savepoint per
deadline, so a thousand falling due together cost a handful of commits and one failing
effect does not undo the others. The in-process scheduler only caches the next wake-up
(see ``schedules.runner``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.usecases.uow import UTC_ZONE, UnitOfWork, Wakeups
from storage.db import reading
from storage.tables import deadlines

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = timedelta(seconds=30)


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
        tz: ZoneInfo = UTC_ZONE,
        batch: int = 100,
    ) -> None:
        self._engine, self._clock, self._wakeups, self._tz = engine, clock, wakeups, tz
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
            # A fired step may arm the next one already due (after downtime): loop until
            # a batch finds nothing.
            claimed, seen = await self._fire_batch(self._clock.now())
            fired += claimed
            if not seen:
                return fired

    async def _fire_batch(self, now: datetime) -> tuple[int, int]:
        fired = 0
        async with UnitOfWork(self._engine, self._wakeups, now, self._tz) as uow:
            due = (
                select(deadlines.c.id)
                .where(deadlines.c.status == "pending", deadlines.c.due_at <= now)
                .order_by(deadlines.c.due_at, deadlines.c.id)
                .limit(self._batch)
                .scalar_subquery()
            )
            rows = (
                await uow.conn.execute(
                    update(deadlines)
                    .where(deadlines.c.id.in_(due), deadlines.c.status == "pending")
                    .values(status="fired", fired_at=now)
                    .returning(
                        deadlines.c.id,
                        deadlines.c.kind,
                        deadlines.c.request_id,
                        deadlines.c.due_at,
                        deadlines.c.data,
                    )
                )
            ).all()
            for r in sorted(rows, key=lambda r: (r.due_at, r.id)):
                deadline = Deadline(r.id, r.kind, r.request_id, r.due_at, dict(r.data or {}))
                if await self._apply(uow, deadline):
                    fired += 1
        return fired, len(rows)

    async def _apply(self, uow: UnitOfWork, deadline: Deadline) -> bool:
        effect = self._effects.get(deadline.kind)
        if effect is None:
            log.error("no effect for deadline kind %r (row %s)", deadline.kind, deadline.id)
            return False
        savepoint = await uow.conn.begin_nested()
        try:
            await effect(uow, deadline)
        except Exception:
            await savepoint.rollback()
            # Never lose a step: try again shortly rather than drop it.
            await uow.conn.execute(
                update(deadlines)
                .where(deadlines.c.id == deadline.id)
                .values(status="pending", due_at=uow.now + RETRY_AFTER_FAILURE, fired_at=None)
            )
            log.exception("deadline %s (%s) failed; retrying", deadline.id, deadline.kind)
            return False
        await savepoint.commit()
        return True
