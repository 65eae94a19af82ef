"""The slow safety sweep: what no event would otherwise catch.

An open request left without a pending escalation step (a bug, a manual database edit)
gets one again; an alert stuck in the outbox for over a minute (rate limits, retries) is
reported to the branch secretary, once.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.lifecycle import State
from bot.i18n import t
from bot.usecases.common import Ctx, notify
from storage import deadline_queue, queries, request_alerts
from storage.uow import UnitOfWork

STUCK_AFTER = timedelta(minutes=1)


async def rearm_orphans(uow: UnitOfWork) -> int:
    """Give every open request without a pending escalation step one, due now."""
    rows = await deadline_queue.open_without_step(uow.conn, DeadlineKind.ESCALATE, 500)
    for row in rows:
        await uow.arm(DeadlineKind.ESCALATE, uow.now, request_id=row.id, level=row.level)
        await uow.event(row.id, "rearmed")
    return len(rows)


async def report_stuck_alerts(uow: UnitOfWork, ctx: Ctx) -> int:
    """Tell secretaries about alerts that could not be delivered for over a minute."""
    rows = await request_alerts.stuck(uow.conn, uow.now - STUCK_AFTER, 200)
    for row in rows:
        await request_alerts.reported_late(uow.conn, row.id, uow.now)
        req = await queries.load_request(uow.conn, row.request_id)
        if req is None or req.branch_id is None or req.state is not State.OPEN:
            continue
        sec_id = await queries.secretary_of_branch(uow.conn, req.branch_id)
        sec = await queries.person_by_id(uow.conn, sec_id) if sec_id else None
        member = (
            await queries.person_by_id(uow.conn, row.recipient_id) if row.recipient_id else None
        )
        if sec is None or sec.telegram_id is None or (member and member.id == sec.id):
            continue
        await notify(
            uow,
            req,
            sec.telegram_id,
            t(
                ctx.lang,
                "⏳ The alert for request #{number} to {name} has not been delivered for "
                "over a minute ({reason}). /status {number}",
                number=req.id,
                name=member.name if member else "?",
                reason=row.error or "queued",
            ),
        )
    return len(rows)
