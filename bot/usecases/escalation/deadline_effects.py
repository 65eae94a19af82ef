"""What a deadline does when it falls due: escalate, chase a silent owner, chase an
unresolved or unconfirmed request (DESIGN.md §4). Each effect re-checks the request, so a
step armed before a change that made it moot does nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.lifecycle import State
from bot.domain.people import Person
from bot.domain.purposes import Purpose
from bot.domain.requests import Request
from bot.i18n import t
from bot.texts import render
from bot.usecases.care_plans import visit_steps
from bot.usecases.common import Ctx, notify, notify_people, retire_with_owner, set_state
from bot.usecases.desk import digest
from bot.usecases.escalation.escalate import escalate, escalate_many
from bot.usecases.escalation.timing import due_after
from bot.usecases.figures import assessment
from bot.usecases.surveys import surveys
from storage import queries
from storage.deadline_queue import Deadline
from storage.uow import UnitOfWork

# What the deadline engine runs: the deadlines of one kind now due, in one transaction.
Effect = Callable[[UnitOfWork, list[Deadline]], Awaitable[None]]
# An effect as written: the same, given the context (language, time zone) first.
CtxEffect = Callable[[Ctx, UnitOfWork, list[Deadline]], Awaitable[None]]
OneEffect = Callable[[Ctx, UnitOfWork, Deadline], Awaitable[None]]


def each(effect: OneEffect) -> CtxEffect:
    """Apply a per-deadline effect to every deadline of a run."""

    async def run(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
        for deadline in due:
            await effect(ctx, uow, deadline)

    return run


async def _request(uow: UnitOfWork, deadline: Deadline, state: State) -> Request | None:
    if deadline.request_id is None:
        return None
    req = await queries.load_request(uow.conn, deadline.request_id)
    if req is None or req.state is not state:
        return None
    owner = deadline.data.get("owner")
    if owner is not None and req.owner_id != owner:
        return None
    return req


async def _taken(uow: UnitOfWork, deadline: Deadline) -> tuple[Request, Person | None] | None:
    """The request a taken-request deadline is about, still taken by the same owner, and
    that owner; None when the step is moot."""
    req = await _request(uow, deadline, State.TAKEN)
    if req is None or req.owner_id is None:
        return None
    return req, await queries.person_by_id(uow.conn, req.owner_id)


async def _secretary(uow: UnitOfWork, req: Request) -> Person | None:
    if req.branch_id is None:
        return None
    sec_id = await queries.secretary_of_branch(uow.conn, req.branch_id)
    found = await queries.person_by_id(uow.conn, sec_id) if sec_id else None
    return found if found and found.telegram_id else None


async def _people_to_tell(uow: UnitOfWork, req: Request) -> list[Person]:
    """The secretary, or the committee for a request no branch serves."""
    sec = await _secretary(uow, req)
    if sec is not None:
        return [sec]
    found = await queries.people_by_ids(uow.conn, await queries.committee_ids(uow.conn))
    return [p for p in found.values() if p.telegram_id]


async def _remind_owner(
    uow: UnitOfWork,
    ctx: Ctx,
    req: Request,
    owner: Person | None,
    text: str,
    deadline: Deadline,
    then: timedelta,
) -> None:
    """First stage of an owner's deadline: remind them, and arm the second stage."""
    if owner and owner.telegram_id:
        await notify(
            uow,
            req,
            owner.telegram_id,
            text,
            buttons=render.owner_buttons(ctx.lang, req.id),
            purpose=Purpose.OWNER,
            recipient_id=owner.id,
        )
    await uow.arm(
        deadline.kind,
        await due_after(uow, req, deadline.due_at, then),
        request_id=req.id,
        stage=2,
        owner=req.owner_id,
    )
    await uow.event(req.id, "reminded", reason=deadline.kind)


async def on_escalate(ctx: Ctx, uow: UnitOfWork, due: list[Deadline]) -> None:
    found = await queries.requests_by_ids(
        uow.conn, [d.request_id for d in due if d.request_id is not None]
    )
    steps = []
    for deadline in due:
        req = found.get(deadline.request_id or 0)
        # Taken, closed or already moved on since this step was armed: nothing to do.
        if req and req.state is State.OPEN and req.level == deadline.data.get("level"):
            steps.append((req, deadline.due_at))
    await escalate_many(uow, ctx, steps, reason="timeout")


async def on_owner_silent(ctx: Ctx, uow: UnitOfWork, deadline: Deadline) -> None:
    found = await _taken(uow, deadline)
    if found is None:
        return
    req, owner = found
    if deadline.data.get("stage") == 1:
        text = t(
            ctx.lang,
            "⏰ You took request #{number} but have not written to {worker} yet. Reply to "
            "the request's message, or release it so someone else can help.",
            number=req.id,
            worker=req.requester_name,
        )
        await _remind_owner(uow, ctx, req, owner, text, deadline, req.chain.take_timeout)
        return
    # Still silent: the request goes back into escalation at the next level.
    if not await set_state(uow, req, State.TAKEN, state=State.OPEN.value, owner_id=None):
        return
    await uow.event(req.id, "released", actor_id=req.owner_id, reason="owner-silent")
    await uow.disarm(req.id)
    name = owner.name if owner else "?"
    # the silent owner's own message loses its Resolved/Release buttons too
    await retire_with_owner(
        uow, ctx, req, t(ctx.lang, "↩ Released: {name} did not respond", name=name)
    )
    if owner and owner.telegram_id:
        await notify(
            uow,
            req,
            owner.telegram_id,
            t(
                ctx.lang,
                "Request #{number} was passed on because you did not respond.",
                number=req.id,
            ),
        )
    reopened = await queries.load_request(uow.conn, req.id)
    assert reopened is not None
    await escalate(uow, ctx, reopened, reason="owner-silent")


async def on_resolve_due(ctx: Ctx, uow: UnitOfWork, deadline: Deadline) -> None:
    found = await _taken(uow, deadline)
    if found is None:
        return
    req, owner = found
    if deadline.data.get("stage") == 1:
        text = t(
            ctx.lang,
            "⏰ Request #{number} should be resolved by now. Press Resolved when it is.",
            number=req.id,
        )
        await _remind_owner(uow, ctx, req, owner, text, deadline, req.chain.resolve_within / 2)
        return
    text = t(
        ctx.lang,
        "⚠ Request #{number} ({worker}) taken by {owner} is overdue and still not "
        "resolved. /status {number}",
        number=req.id,
        worker=req.requester_name,
        owner=owner.name if owner else "?",
    )
    told = await notify_people(uow, req, await _people_to_tell(uow, req), text)
    await uow.event(req.id, "overdue", to=told)


async def on_confirm_due(ctx: Ctx, uow: UnitOfWork, deadline: Deadline) -> None:
    req = await _request(uow, deadline, State.RESOLVED)
    if req is None:
        return
    if deadline.data.get("stage") == 1:
        await notify(
            uow,
            req,
            req.requester_chat_id,
            t(
                ctx.lang,
                "Request #{number} was marked resolved. Is your trouble over?",
                number=req.id,
            ),
            buttons=render.confirm_buttons(ctx.lang, req.id),
            purpose=Purpose.CONFIRM,
        )
        await uow.event(req.id, "reminded", reason="confirm-due")
        return
    text = t(
        ctx.lang,
        "❓ {worker} has not confirmed request #{number} for days. Confirm it on their "
        "behalf with /confirm {number} and the reason, or reopen it.",
        worker=req.requester_name,
        number=req.id,
    )
    told = await notify_people(
        uow,
        req,
        await _people_to_tell(uow, req),
        text,
        buttons=render.oversight_buttons(ctx.lang, req.id),
        purpose=Purpose.OVERSIGHT,
    )
    await uow.event(req.id, "unconfirmed", to=told)


# Every deadline kind and what it does when due: one table (a test checks it is whole).
EFFECTS: dict[DeadlineKind, CtxEffect] = {
    DeadlineKind.ESCALATE: on_escalate,
    DeadlineKind.OWNER_SILENT: each(on_owner_silent),
    DeadlineKind.RESOLVE_DUE: each(on_resolve_due),
    DeadlineKind.CONFIRM_DUE: each(on_confirm_due),
    DeadlineKind.VISIT_AHEAD: visit_steps.on_ahead,
    DeadlineKind.VISIT_REMIND: visit_steps.on_remind,
    DeadlineKind.VISIT_DAY: visit_steps.on_day,
    DeadlineKind.VISIT_GRACE: visit_steps.on_grace,
    DeadlineKind.VISIT_ESCALATE: visit_steps.on_escalate,
    DeadlineKind.DIGEST: digest.on_digest,
    DeadlineKind.ASSESSMENT: assessment.on_assessment,
    DeadlineKind.SURVEY_REMIND: surveys.on_remind,
}


def effects(ctx: Ctx) -> dict[str, Effect]:
    """The table with the context bound, as the deadline engine takes it (bot/app.py)."""
    return {kind: functools.partial(effect, ctx) for kind, effect in EFFECTS.items()}
