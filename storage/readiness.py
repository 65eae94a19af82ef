"""What ``helpline run`` checks before it listens: is there anyone to ring?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import branch_members, branches, people, roles


@dataclass(frozen=True)
class Reach:
    people: int  # active people in the roster
    committee_reachable: int  # committee members with a Telegram account
    unreachable_branches: list[str]  # branches where no member and no secretary has one


async def reach(conn: AsyncConnection) -> Reach:
    active = await conn.scalar(select(func.count()).select_from(people).where(people.c.active))
    committee = await conn.scalar(
        select(func.count())
        .select_from(roles.join(people, people.c.id == roles.c.person_id))
        .where(roles.c.role == "committee", people.c.active, people.c.telegram_id.is_not(None))
    )
    reachable = (
        select(branches.c.id)
        .join(branch_members, branch_members.c.branch_id == branches.c.id, isouter=True)
        .join(
            people,
            or_(people.c.id == branch_members.c.person_id, people.c.id == branches.c.secretary_id),
        )
        .where(people.c.active, people.c.telegram_id.is_not(None))
    )
    names: Any = await conn.scalars(
        select(branches.c.name)
        .where(branches.c.active, branches.c.id.not_in(reachable))
        .order_by(branches.c.name)
    )
    return Reach(int(active or 0), int(committee or 0), list(names))
