"""After a restart: the committee hears, once, that the line was down, for how long, and
how many deadlines (escalations, reminders) fall due late because of it.

The running bot marks itself alive every minute (``Runtime``); the first transaction after
a start compares that mark with now. A gap longer than ``HELPLINE_DOWN_GAP`` is told; the
mark moves to now in the same transaction, so the next start does not tell it again.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.priority import Priority
from bot.domain.purposes import Purpose
from bot.i18n import t
from bot.texts import render
from bot.usecases import common
from bot.usecases.common import Ctx
from storage import status_queries
from storage.uow import UnitOfWork


async def after_start(uow: UnitOfWork, ctx: Ctx, gap: timedelta) -> int:
    """Tell the committee about a downtime longer than ``gap``; return how many were told."""
    last = await status_queries.last_alive(uow.conn)
    await status_queries.mark_alive(uow.conn, uow.now)
    if last is None or uow.now - last <= gap:
        return 0
    late = await status_queries.overdue_deadlines(uow.conn, uow.now)
    text = t(
        ctx.lang,
        "⚠ The help line was down from {since} to {until} ({duration}). {late} deadlines "
        "(escalations, reminders) fell due meanwhile and fire now, late.",
        since=render.clock_text(last, ctx.tz),
        until=render.clock_text(uow.now, ctx.tz),
        duration=render.age_text(ctx.lang, uow.now - last),
        late=late,
    )
    return await common.tell_committee(uow, text, purpose=Purpose.DOWNTIME, priority=Priority.HIGH)


async def still_alive(uow: UnitOfWork) -> None:
    """The running bot's mark, every minute and at a clean stop."""
    await status_queries.mark_alive(uow.conn, uow.now)
