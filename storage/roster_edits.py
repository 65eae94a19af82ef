"""The roster changed from the phone (``bot/usecases/roster/roster_desk.py``): people
added, their handles and absences set, people taken off. The file import is
``roster_store.py``; both write the same tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import branch_departments, branch_members, branches, people, roster_events


async def key_taken(conn: AsyncConnection, key: str) -> bool:
    return await conn.scalar(select(people.c.id).where(people.c.key == key)) is not None


async def first_department(conn: AsyncConnection, branch_id: int) -> str | None:
    """The department a newcomer of the branch is put in (the first it serves)."""
    found: str | None = await conn.scalar(
        select(func.min(branch_departments.c.department)).where(
            branch_departments.c.branch_id == branch_id
        )
    )
    return found


async def add_person(
    conn: AsyncConnection,
    *,
    key: str,
    name: str,
    now: datetime,
    department: str | None = None,
    family_of_id: int | None = None,
) -> int:
    """A new active person handling nothing yet; their id."""
    result = await conn.execute(
        insert(people).values(
            key=key,
            name=name,
            department=department,
            handles=[],
            family_of_id=family_of_id,
            active=True,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def add_member(conn: AsyncConnection, branch_id: int, person_id: int) -> None:
    """The person joins the branch's members, last in its order."""
    last = await conn.scalar(
        select(func.max(branch_members.c.position)).where(branch_members.c.branch_id == branch_id)
    )
    await conn.execute(
        insert(branch_members).values(
            branch_id=branch_id, person_id=person_id, position=(last or 0) + 1
        )
    )


async def member_branch(conn: AsyncConnection, person_id: int) -> int | None:
    """A branch the person is a member of (None: not a member)."""
    found: int | None = await conn.scalar(
        select(branch_members.c.branch_id).where(branch_members.c.person_id == person_id)
    )
    return found


async def set_handles(
    conn: AsyncConnection, person_id: int, topics: list[str], now: datetime
) -> None:
    await conn.execute(
        update(people).where(people.c.id == person_id).values(handles=topics, updated_at=now)
    )


async def set_away(conn: AsyncConnection, person_id: int, until: datetime | None) -> None:
    await conn.execute(update(people).where(people.c.id == person_id).values(away_until=until))


async def branch_led_by(conn: AsyncConnection, person_id: int) -> int | None:
    """An active branch whose secretary the person is."""
    found: int | None = await conn.scalar(
        select(branches.c.id).where(
            branches.c.secretary_id == person_id, branches.c.active.is_(True)
        )
    )
    return found


async def active_family(conn: AsyncConnection, person_id: int) -> list[int]:
    found: Any = await conn.scalars(
        select(people.c.id).where(people.c.family_of_id == person_id, people.c.active.is_(True))
    )
    return [int(i) for i in found]


async def family_count(conn: AsyncConnection, person_id: int) -> int:
    """How many family members the person ever registered (the removed too)."""
    found = await conn.scalar(
        select(func.count()).select_from(people).where(people.c.family_of_id == person_id)
    )
    return int(found or 0)


async def deactivate(conn: AsyncConnection, person_ids: list[int], now: datetime) -> None:
    """Off the roster; their history stays."""
    await conn.execute(
        update(people).where(people.c.id.in_(person_ids)).values(active=False, updated_at=now)
    )


async def is_active(conn: AsyncConnection, person_id: int) -> bool:
    return bool(await conn.scalar(select(people.c.active).where(people.c.id == person_id)))


async def log_change(conn: AsyncConnection, **row: Any) -> None:
    """One line of the roster's timeline (``roster_events``)."""
    await conn.execute(insert(roster_events).values(**row))
