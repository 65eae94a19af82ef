"""When the next step of a request is due: wall-clock time, or working time for normal
requests when the roster sets working hours (DESIGN.md §4)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.requests import Request
from bot.domain.worktime import WorkCalendar
from storage.uow import UnitOfWork


async def calendar(uow: UnitOfWork, req: Request) -> WorkCalendar | None:
    """The working calendar, if this request counts working time."""
    if not req.chain.working_time:
        return None
    return (await uow.policy()).calendar


async def due_after(uow: UnitOfWork, req: Request, since: datetime, wait: timedelta) -> datetime:
    cal = await calendar(uow, req)
    return cal.add(since, wait) if cal else since + wait


async def deliver_from(uow: UnitOfWork, req: Request) -> datetime | None:
    """When a normal request's messages may go out: now, or when working time begins."""
    cal = await calendar(uow, req)
    if cal is None:
        return None
    opens = cal.next_open(uow.now)
    return opens if opens > uow.now else None


async def arm_escalation(
    uow: UnitOfWork, req: Request, level: int, *, since: datetime | None = None
) -> None:
    """Arm the next escalation step; its wait counts from when this level was due."""
    due = await due_after(uow, req, since or uow.now, req.chain.wait_after(level))
    await uow.arm(DeadlineKind.ESCALATE, due, request_id=req.id, level=level)


async def arm_after_take(uow: UnitOfWork, req: Request, owner_id: int) -> None:
    """The owner must say something within the take-timeout and resolve within the deadline."""
    chain = req.chain
    await uow.arm(
        DeadlineKind.OWNER_SILENT,
        await due_after(uow, req, uow.now, chain.take_timeout),
        request_id=req.id,
        stage=1,
        owner=owner_id,
    )
    await uow.arm(
        DeadlineKind.RESOLVE_DUE,
        await due_after(uow, req, uow.now, chain.resolve_within),
        request_id=req.id,
        stage=1,
        owner=owner_id,
    )


async def arm_after_resolve(uow: UnitOfWork, req: Request) -> None:
    """Chase an unconfirmed resolution: remind the worker, later ask the secretary."""
    chain = req.chain
    for stage, wait in ((1, chain.confirm_remind), (2, chain.confirm_escalate)):
        await uow.arm(
            DeadlineKind.CONFIRM_DUE,
            await due_after(uow, req, uow.now, wait),
            request_id=req.id,
            stage=stage,
        )
