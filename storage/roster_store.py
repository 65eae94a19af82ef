"""Apply a parsed roster to the database, in one transaction, touching only what changed.

Rows are compared before they are written, so importing the same file twice writes
nothing the second time (and the report says so). People and branches that leave the
file are deactivated, never deleted: requests and their timelines point at them.
Core statements only, select-then-insert/update, so any dialect runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain.roster_spec import PersonSpec, Roster
from storage import plan_store, roster_overrides
from storage.db import writing
from storage.plan_store import PlanCounts, ShiftCounts
from storage.tables import branch_departments, branch_members, branches, people, policies, roles

ROLE_COMMITTEE = "committee"
ROLE_SUPERVISOR = "supervisor"
POLICY_ESCALATION = "escalation"
POLICY_EXTRAS = "extras"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


@dataclass
class ImportReport:
    """What an import did; ``links`` counts department, member, role and policy rows written."""

    people: Counts = field(default_factory=Counts)
    branches: Counts = field(default_factory=Counts)
    links: int = 0
    # Care plans and fixed duties (storage/plan_store.py), and the rota's shifts.
    plans: PlanCounts = field(default_factory=PlanCounts)
    shifts: ShiftCounts = field(default_factory=ShiftCounts)
    # People the file took off the roster: what they had taken is handed back after.
    deactivated_ids: list[int] = field(default_factory=list)
    # People whose invite-bound Telegram account the file gave to someone else.
    unbound: list[str] = field(default_factory=list)
    # Roster changes made in the bot that the file undid (the file wins; see
    # storage/roster_overrides.py), one line each.
    overridden: list[str] = field(default_factory=list)
    # Per person id, the fields the file wrote (for the roster's timeline).
    written: dict[int, list[str]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return (
            self.people.changed
            or self.branches.changed
            or self.links > 0
            or self.plans.changed
            or self.shifts.changed
            or bool(self.unbound)
            or bool(self.overridden)
        )


async def apply_roster(conn: AsyncConnection, roster: Roster, now: datetime) -> ImportReport:
    """Make the database match ``roster``, in the caller's transaction (the roster import
    use case's unit of work: ``bot/usecases/roster/roster_import.py``)."""
    report = ImportReport()
    bot_made = await roster_overrides.pending(conn)
    families = roster_overrides.bot_family(bot_made)
    ids = await _apply_people(conn, roster, now, report, families)
    branch_ids = await _apply_branches(conn, roster, ids, report)
    report.links += await _sync_departments(conn, roster, branch_ids)
    report.links += await _sync_members(conn, roster, ids, branch_ids)
    report.links += await _sync_roles(conn, roster, ids)
    report.links += await _sync_policies(conn, roster)
    report.plans, taken_over = await plan_store.apply_plans(conn, roster, ids, branch_ids, now)
    report.shifts, replaced = await plan_store.apply_rota(conn, roster, ids, branch_ids, now)
    await roster_overrides.log_import(conn, report.written, now)
    report.overridden = await roster_overrides.settle(conn, bot_made)
    report.overridden += taken_over + replaced
    return report


async def import_roster(engine: AsyncEngine, roster: Roster, *, now: datetime) -> ImportReport:
    """``apply_roster`` in a transaction of its own: how the demo and the tests seed a
    fresh database. ``helpline roster import`` runs the use case instead, which also hands
    back what people taken off had taken, in the same transaction."""
    async with writing(engine) as conn:
        return await apply_roster(conn, roster, now)


def _person_values(
    spec: PersonSpec, telegram_id: int | None, family_of_id: int | None
) -> dict[str, Any]:
    return {
        "name": spec.name,
        "telegram_id": telegram_id,
        "department": spec.department,
        "handles": list(spec.handles),
        "family_of_id": family_of_id,
        "active": True,
    }


async def _apply_people(
    conn: AsyncConnection, roster: Roster, now: datetime, report: ImportReport, families: set[str]
) -> dict[str, int]:
    """Make people match the file; ``families``: family members added in the bot."""
    rows = {r.key: r for r in (await conn.execute(select(people))).all()}
    # New people first (without links), so family_of can point at anyone by id.
    ids = {key: row.id for key, row in rows.items()}
    for spec in roster.people:
        if spec.key not in rows:
            result = await conn.execute(
                insert(people).values(
                    key=spec.key, name=spec.name, handles=[], active=True, updated_at=now
                )
            )
            ids[spec.key] = int(result.inserted_primary_key[0])  # type: ignore[index]
            report.people.created += 1

    # The file is authoritative where it gives an id; where it gives none, an id bound
    # through an invite stays.
    wanted_tg: dict[str, int | None] = {}
    for spec in roster.people:
        old = rows.get(spec.key)
        keep = old.telegram_id if old is not None else None
        wanted_tg[spec.key] = spec.telegram_id if spec.telegram_id is not None else keep
    given = {spec.telegram_id: spec.key for spec in roster.people if spec.telegram_id is not None}
    for key, tg in list(wanted_tg.items()):
        if tg is not None and given.get(tg, key) != key:
            wanted_tg[key] = None  # the file gave this account to someone else
            report.unbound.append(key)

    desired: dict[str, dict[str, Any]] = {}
    for spec in roster.people:
        family_id = ids[spec.family_of] if spec.family_of is not None else None
        desired[spec.key] = _person_values(spec, wanted_tg[spec.key], family_id)
    in_file = set(desired)
    employees = {ids[key] for key in in_file}
    for key, row in rows.items():
        if key in in_file or (key in families and row.family_of_id in employees):
            continue
        values: dict[str, Any] = {"active": False}
        if row.telegram_id is not None and row.telegram_id in given:
            values["telegram_id"] = None  # a departed person's account, now someone else's
        if any(getattr(row, name) != value for name, value in values.items()):
            desired[key] = {**_current(row), **values}
            if row.active:
                report.people.deactivated += 1
                report.deactivated_ids.append(int(row.id))
            else:
                report.people.updated += 1

    changed: dict[str, dict[str, Any]] = {}
    for key, values in desired.items():
        old = rows.get(key)
        if old is None or _current(old) != values:
            changed[key] = values
            if old is not None and key in in_file:
                report.people.updated += 1
        elif key in in_file:
            report.people.unchanged += 1

    # Clear every Telegram id that moves before setting any, so two people swapping
    # accounts never collide with the unique constraint half-way.
    moving = [
        ids[key]
        for key, values in changed.items()
        if key in rows
        and rows[key].telegram_id is not None
        and rows[key].telegram_id != values["telegram_id"]
    ]
    if moving:
        await conn.execute(update(people).where(people.c.id.in_(moving)).values(telegram_id=None))
    for key, values in changed.items():
        # Only the columns that differ: a concurrent write to another column (an invite
        # bound meanwhile by the running bot) is not overwritten with what we read.
        old = rows.get(key)
        before = _current(old) if old is not None else {}
        diff = {name: value for name, value in values.items() if before.get(name, ...) != value}
        report.written[ids[key]] = sorted(diff)
        await conn.execute(
            update(people).where(people.c.id == ids[key]).values(**diff, updated_at=now)
        )
    return ids


def _current(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "telegram_id": row.telegram_id,
        "department": row.department,
        "handles": list(row.handles or []),
        "family_of_id": row.family_of_id,
        "active": bool(row.active),
    }


async def _apply_branches(
    conn: AsyncConnection, roster: Roster, ids: dict[str, int], report: ImportReport
) -> dict[str, int]:
    rows = {r.key: r for r in (await conn.execute(select(branches))).all()}
    branch_ids = {key: row.id for key, row in rows.items()}
    for spec in roster.branches:
        values = {"name": spec.name, "secretary_id": ids[spec.secretary], "active": True}
        row = rows.get(spec.key)
        if row is None:
            result = await conn.execute(insert(branches).values(key=spec.key, **values))
            branch_ids[spec.key] = int(result.inserted_primary_key[0])  # type: ignore[index]
            report.branches.created += 1
        elif (row.name, row.secretary_id, bool(row.active)) != (
            spec.name,
            ids[spec.secretary],
            True,
        ):
            await conn.execute(update(branches).where(branches.c.id == row.id).values(**values))
            report.branches.updated += 1
        else:
            report.branches.unchanged += 1
    in_file = {spec.key for spec in roster.branches}
    gone = [row.id for key, row in rows.items() if key not in in_file and row.active]
    if gone:
        await conn.execute(update(branches).where(branches.c.id.in_(gone)).values(active=False))
        report.branches.deactivated += len(gone)
    return {key: branch_ids[key] for key in in_file}


async def _sync_departments(
    conn: AsyncConnection, roster: Roster, branch_ids: dict[str, int]
) -> int:
    """The table is exactly the file's mapping: a removed branch serves no department."""
    wanted = {d: branch_ids[b.key] for b in roster.branches for d in b.departments}
    have = {r.department: r.branch_id for r in (await conn.execute(select(branch_departments)))}
    writes = 0
    stale = [d for d, b in have.items() if wanted.get(d) != b]
    if stale:
        await conn.execute(
            delete(branch_departments).where(branch_departments.c.department.in_(stale))
        )
        writes += len(stale)
    for department, branch_id in wanted.items():
        if have.get(department) != branch_id:
            await conn.execute(
                insert(branch_departments).values(department=department, branch_id=branch_id)
            )
            writes += 1
    return writes


async def _sync_members(
    conn: AsyncConnection, roster: Roster, ids: dict[str, int], branch_ids: dict[str, int]
) -> int:
    wanted = {
        (branch_ids[b.key], ids[m]): pos for b in roster.branches for pos, m in enumerate(b.members)
    }
    have = {
        (r.branch_id, r.person_id): r.position for r in (await conn.execute(select(branch_members)))
    }
    writes = 0
    for branch_id, person_id in have:
        if (branch_id, person_id) not in wanted:
            await conn.execute(
                delete(branch_members).where(
                    and_(
                        branch_members.c.branch_id == branch_id,
                        branch_members.c.person_id == person_id,
                    )
                )
            )
            writes += 1
    for (branch_id, person_id), position in wanted.items():
        if (branch_id, person_id) not in have:
            await conn.execute(
                insert(branch_members).values(
                    branch_id=branch_id, person_id=person_id, position=position
                )
            )
            writes += 1
        elif have[(branch_id, person_id)] != position:
            await conn.execute(
                update(branch_members)
                .where(
                    and_(
                        branch_members.c.branch_id == branch_id,
                        branch_members.c.person_id == person_id,
                    )
                )
                .values(position=position)
            )
            writes += 1
    return writes


async def _sync_roles(conn: AsyncConnection, roster: Roster, ids: dict[str, int]) -> int:
    wanted = {(ids[k], ROLE_COMMITTEE) for k in roster.committee} | {
        (ids[k], ROLE_SUPERVISOR) for k in roster.supervisors
    }
    have = {(r.person_id, r.role) for r in (await conn.execute(select(roles)))}
    for person_id, role in have - wanted:
        await conn.execute(
            delete(roles).where(and_(roles.c.person_id == person_id, roles.c.role == role))
        )
    for person_id, role in wanted - have:
        await conn.execute(insert(roles).values(person_id=person_id, role=role))
    return len(have ^ wanted)


async def _sync_policies(conn: AsyncConnection, roster: Roster) -> int:
    """Only the roster's own keys are written; other features' policies are left alone."""
    wanted = {
        POLICY_ESCALATION: {
            str(u.value): c.to_json() for u, c in sorted(roster.escalation.items())
        },
        POLICY_EXTRAS: json_safe(roster.extras),
    }
    have = {
        r.key: r.value
        for r in await conn.execute(select(policies).where(policies.c.key.in_(list(wanted))))
    }
    writes = 0
    for key, value in wanted.items():
        if key not in have:
            await conn.execute(insert(policies).values(key=key, value=value))
            writes += 1
        elif have[key] != value:
            await conn.execute(update(policies).where(policies.c.key == key).values(value=value))
            writes += 1
    return writes


def json_safe(value: Any) -> Any:
    """The roster's extra sections made JSON-storable: dates as ISO text, keys as text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
