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
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from schedules.watch import Watch
from storage import deadline_queue
from storage.db import reading
from storage.deadline_queue import Deadline
from storage.uow import UTC_ZONE, UnitOfWork, Wakeups

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = timedelta(seconds=30)


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
        watch: Watch | None = None,
    ) -> None:
        self._engine, self._clock, self._wakeups, self._tz = engine, clock, wakeups, tz
        self._effects = effects
        self.watch = watch or Watch()
        self._batch = batch

    async def next_due(self) -> datetime | None:
        async with reading(self._engine) as conn:
            return await deadline_queue.earliest(conn)

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
                for deadline in rows:
                    self.watch.lateness.observe(max((now - deadline.due_at).total_seconds(), 0))
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
                    await deadline_queue.put_off(uow.conn, one[0].id, now + RETRY_AFTER_FAILURE)
        return fired, seen

    def _uow(self, now: datetime, *, batch: bool = False) -> UnitOfWork:
        return UnitOfWork(self._engine, self._wakeups, now, self._tz, batch=batch)

    async def _claim(self, uow: UnitOfWork, now: datetime, limit: int = 0) -> list[Deadline]:
        """Mark due rows fired (pending -> fired): whoever changes a row owns its effect."""
        return await deadline_queue.claim_due(uow.conn, now, limit or self._batch)

    async def _apply(self, uow: UnitOfWork, run: list[Deadline]) -> None:
        effect = self._effects.get(run[0].kind)
        if effect is None:
            log.error("no effect for deadline kind %r (rows %s)", run[0].kind, [d.id for d in run])
            return
        await effect(uow, run)
