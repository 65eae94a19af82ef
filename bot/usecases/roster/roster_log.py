"""The roster's timeline: one ``roster_events`` row per change made in the bot."""

from __future__ import annotations

from typing import Any

from bot.domain.authz import Actor
from storage import roster_edits
from storage.uow import UnitOfWork


async def record(
    uow: UnitOfWork,
    type_: str,
    actor: Actor,
    person_id: int,
    *,
    branch_id: int | None = None,
    reason: str = "",
    **data: Any,
) -> None:
    """Append to the roster's timeline (a change made in the bot)."""
    await roster_edits.log_change(
        uow.conn,
        at=uow.now,
        type=type_,
        source="bot",
        actor_id=actor.person_id,
        person_id=person_id,
        branch_id=branch_id,
        reason=reason,
        data=data,
    )
