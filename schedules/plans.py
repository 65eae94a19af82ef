"""Care plans kept armed: every active plan has its next visit waiting as a deadline.

Run at start (in the background, so the deadlines already due fire first) and by the
slow sweep (a roster import in another process may have added or changed plans).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.usecases.care_plans import plan_schedule
from storage import plan_queries
from storage.db import reading
from storage.uow import Clock, UnitOfWork, Wakeups


async def arm_plans(engine: AsyncEngine, wakeups: Wakeups, clock: Clock, tz: ZoneInfo) -> int:
    """Give every active plan its next visit, a bounded batch per transaction so that
    an escalation due meanwhile takes the write lock between batches; return how many
    batches it took."""
    batches, last = 0, 0
    while True:
        # Looking costs no write lock: the sweep every 30 s mostly finds nothing.
        async with reading(engine) as conn:
            if not await plan_queries.unarmed_active_plans(conn, 1, after_id=last):
                return batches
        # A batch unit of work: the plans' deadline rows go out in one executemany.
        async with UnitOfWork(engine, wakeups, clock.now(), tz, batch=True) as uow:
            last = await plan_schedule.ensure_armed(uow, after_id=last)
        if not last:
            return batches
        batches += 1
