"""Durable deadlines: every escalation step and reminder is a row; this fires them.

Due rows are claimed by a conditional update (pending -> fired) in the same transaction
that records their effects, so a deadline fires once even with two engines on one
database, and one that lost a race with a Take (which cancels it) does nothing. Rows are
claimed in bounded batches, oldest first, one transaction per batch whose appended rows are
written with one statement per table, so a thousand falling due together cost a handful
of commits; if one effect fails, the batch is redone one deadline per transaction so only
the failing one is retried later. The in-process scheduler only caches the next wake-up
(see ``schedules.runner``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from storage.db import reading
from storage.tables import deadlines
from storage.uow import UTC_ZONE, UnitOfWork, Wakeups

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = timedelta(seconds=30)


@dataclass(frozen=True)
class Deadline:
    id: int
    kind: str
    request_id: int | None
    due_at: datetime
    data: dict[str, Any]
    visit_id: int | None = None  # a care-plan step: the visit it belongs to


# An effect receives the deadlines of its kind that fell due together, oldest first, so
# it can load what they need with one query instead of one per deadline.
Effect = Callable[[UnitOfWork, list[Deadline]], Awaitable[None]]


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
        """Claim a batch and apply it in one transaction; if an effect fails, apply the
        batch again one deadline per transaction so only the failing one is retried."""
        try:
            async with self._uow(now, batch=True) as uow:
                rows = await self._claim(uow, now)
                for _kind, run in groupby(rows, key=lambda d: d.kind):
                    await self._apply(uow, list(run))
            return len(rows), len(rows)
        except Exception:
            log.exception("a deadline batch failed; firing them one by one")
        fired = seen = 0
        while seen < self._batch:
            async with self._uow(now) as uow:
                one = await self._claim(uow, now, limit=1)
                if not one:
                    break
                seen += 1
                savepoint = await uow.conn.begin_nested()
                try:
                    await self._apply(uow, one)
                    await savepoint.commit()
                    fired += 1
                except Exception:
                    await savepoint.rollback()
                    log.exception("deadline %s (%s) failed; retrying later", one[0].id, one[0].kind)
                    # Never lose a step: try again shortly rather than drop it.
                    await uow.conn.execute(
                        update(deadlines)
                        .where(deadlines.c.id == one[0].id)
                        .values(status="pending", due_at=now + RETRY_AFTER_FAILURE, fired_at=None)
                    )
        return fired, seen

    def _uow(self, now: datetime, *, batch: bool = False) -> UnitOfWork:
        return UnitOfWork(self._engine, self._wakeups, now, self._tz, batch=batch)

    async def _claim(self, uow: UnitOfWork, now: datetime, limit: int = 0) -> list[Deadline]:
        """Mark due rows fired (pending -> fired): whoever changes a row owns its effect."""
        due = (
            select(deadlines.c.id)
            .where(deadlines.c.status == "pending", deadlines.c.due_at <= now)
            .order_by(deadlines.c.due_at, deadlines.c.id)
            .limit(limit or self._batch)
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

    async def _apply(self, uow: UnitOfWork, run: list[Deadline]) -> None:
        effect = self._effects.get(run[0].kind)
        if effect is None:
            log.error("no effect for deadline kind %r (rows %s)", run[0].kind, [d.id for d in run])
            return
        await effect(uow, run)
