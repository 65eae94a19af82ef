"""The roster's care plans, fixed duties and duty rota, applied inside the roster import.

Like the rest of the import, rows are compared before they are written: importing the
same file twice writes nothing the second time. A plan's state is the bot's (pause,
resume and end are made there and kept); the file owns its definition. When the
definition changes in a way that moves or re-addresses reminders, the plan's upcoming
visits and their pending steps are cancelled, and the bot arms the plan again from the
new definition (it arms every active plan that has no pending step). A file plan that
left the file is ended, its history kept. The rota is the file's entirely.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.roster_spec import PlanSpec, Roster, ShiftSpec
from bot.domain.rota import format_hours
from bot.domain.visits import PlanState
from storage.plan_queries import cancel_upcoming
from storage.tables import (
    branches,
    care_plan_visitors,
    care_plans,
    duty_shifts,
    people,
    plan_events,
)

SOURCE_FILE = "file"
SOURCE_BOT = "bot"
REMOVED = "removed from the roster file"
BACK = "back in the roster file"
# The columns the file owns (state, created_by and timestamps are not the file's).
PLAN_COLUMNS = (
    "branch_id",
    "kind",
    "cared_for",
    "note",
    "rule",
    "start",
    "remind_days_before",
    "grace",
    "remind_on_duty",
    "source",
)
# Changes after which the armed reminders no longer fit: when, how often, to whom.
REARM = frozenset({"rule", "start", "remind_days_before", "grace", "remind_on_duty", "visitors"})


@dataclass
class PlanCounts:
    created: int = 0
    updated: int = 0
    ended: int = 0
    unchanged: int = 0
    cancelled_visits: int = 0  # upcoming visits cancelled for the bot to re-arm

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.ended or self.cancelled_visits)


@dataclass
class ShiftCounts:
    added: int = 0
    removed: int = 0
    adopted: int = 0  # a shift made in the bot that the file also has: now the file's
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.adopted)


async def apply_plans(
    conn: AsyncConnection,
    roster: Roster,
    ids: dict[str, int],
    branch_ids: dict[str, int],
    now: datetime,
) -> tuple[PlanCounts, list[str]]:
    """Make ``care_plans`` (and their visitors) match the file's plans and duties.

    Returns the counts and one line per plan made in the bot that the file took over.
    """
    counts = PlanCounts()
    overridden: list[str] = []
    rows = {r.key: r for r in await conn.execute(select(care_plans))}
    have_visitors: dict[int, dict[int, int]] = {}  # plan -> person -> position
    for r in await conn.execute(select(care_plan_visitors)):
        have_visitors.setdefault(r.plan_id, {})[r.person_id] = r.position
    ended_by_file = await _ended_by_file(
        conn, [r.id for r in rows.values() if r.state == PlanState.ENDED.value]
    )

    for spec in roster.plans:
        values = _plan_values(spec, branch_ids)
        wanted = {ids[key]: position for position, key in enumerate(spec.visitors)}
        row = rows.get(spec.key)
        if row is None:
            result = await conn.execute(
                insert(care_plans).values(
                    key=spec.key,
                    **values,
                    state=PlanState.ACTIVE.value,
                    created_at=now,
                    updated_at=now,
                )
            )
            plan_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            await _set_visitors(conn, plan_id, {}, wanted)
            await _event(conn, plan_id, "created", now, {"source": SOURCE_FILE})
            counts.created += 1
            continue

        diff = {name: value for name, value in values.items() if _column(row, name) != value}
        fields = sorted(diff)
        if have_visitors.get(row.id, {}) != wanted:
            fields.append("visitors")
        revive = row.id in ended_by_file
        if not fields and not revive:
            counts.unchanged += 1
            continue
        if row.source == SOURCE_BOT:
            overridden.append(await _taken_over(conn, spec.key, row.created_by_id))
        if revive:
            diff["state"] = PlanState.ACTIVE.value
        await conn.execute(
            update(care_plans).where(care_plans.c.id == row.id).values(**diff, updated_at=now)
        )
        if "visitors" in fields:
            await _set_visitors(conn, row.id, have_visitors.get(row.id, {}), wanted)
        if fields:
            await _event(conn, row.id, "changed", now, {"source": SOURCE_FILE, "fields": fields})
        if revive:
            await _event(conn, row.id, "resumed", now, {"source": SOURCE_FILE, "reason": BACK})
        if REARM.intersection(fields):
            counts.cancelled_visits += await cancel_upcoming(conn, row.id, now)
        counts.updated += 1

    in_file = {spec.key for spec in roster.plans}
    for key, row in rows.items():
        if key in in_file or row.source != SOURCE_FILE or row.state == PlanState.ENDED.value:
            continue
        await conn.execute(
            update(care_plans)
            .where(care_plans.c.id == row.id)
            .values(state=PlanState.ENDED.value, updated_at=now)
        )
        await _event(conn, row.id, "ended", now, {"reason": REMOVED})
        counts.cancelled_visits += await cancel_upcoming(conn, row.id, now)
        counts.ended += 1
    return counts, overridden


def _plan_values(spec: PlanSpec, branch_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "branch_id": branch_ids[spec.branch],
        "kind": spec.kind,
        "cared_for": spec.cared_for,
        "note": spec.note,
        "rule": spec.rule,
        "start": spec.start,
        "remind_days_before": spec.remind_days_before,
        "grace": spec.grace,
        "remind_on_duty": spec.remind_on_duty,
        "source": SOURCE_FILE,
    }


def _column(row: Any, name: str) -> Any:
    value = getattr(row, name)
    return bool(value) if name == "remind_on_duty" else value


async def _ended_by_file(conn: AsyncConnection, plan_ids: list[int]) -> set[int]:
    """Ended plans whose last end was an import's (the plan had left the file)."""
    if not plan_ids:
        return set()
    last: dict[int, Any] = {}
    for r in await conn.execute(
        select(plan_events.c.plan_id, plan_events.c.data)
        .where(plan_events.c.plan_id.in_(plan_ids), plan_events.c.type == "ended")
        .order_by(plan_events.c.id)
    ):
        last[r.plan_id] = r.data
    return {
        plan_id
        for plan_id, data in last.items()
        if isinstance(data, dict) and data.get("reason") == REMOVED
    }


async def _taken_over(conn: AsyncConnection, key: str, creator_id: int | None) -> str:
    """One line of the import's report (plain English, like roster_overrides.describe)."""
    name = None
    if creator_id is not None:
        name = await conn.scalar(select(people.c.name).where(people.c.id == creator_id))
    by = f" by {name}" if name else ""
    return f"care plan {key} made in the bot{by}: replaced by the file's"


async def _set_visitors(
    conn: AsyncConnection, plan_id: int, have: dict[int, int], wanted: dict[int, int]
) -> None:
    """Visitors (person -> position: the file's order), touching only the rows that differ."""
    gone = [p for p in have if p not in wanted]
    if gone:
        await conn.execute(
            delete(care_plan_visitors).where(
                and_(
                    care_plan_visitors.c.plan_id == plan_id,
                    care_plan_visitors.c.person_id.in_(gone),
                )
            )
        )
    for person_id, position in wanted.items():
        if person_id not in have:
            await conn.execute(
                insert(care_plan_visitors).values(
                    plan_id=plan_id, person_id=person_id, position=position
                )
            )
        elif have[person_id] != position:
            await conn.execute(
                update(care_plan_visitors)
                .where(
                    and_(
                        care_plan_visitors.c.plan_id == plan_id,
                        care_plan_visitors.c.person_id == person_id,
                    )
                )
                .values(position=position)
            )


async def _event(
    conn: AsyncConnection, plan_id: int, type_: str, now: datetime, data: dict[str, Any]
) -> None:
    await conn.execute(
        insert(plan_events).values(plan_id=plan_id, at=now, type=type_, actor_id=None, data=data)
    )


# --- the rota ------------------------------------------------------------------------


ShiftKey = tuple[int, int, str, Any, str, str]  # branch, person, rule, start, begins, ends


def _shift_key(spec: ShiftSpec, ids: dict[str, int], branch_ids: dict[str, int]) -> ShiftKey:
    hours = format_hours(spec.begins, spec.ends)
    begins, ends = hours.split("-")
    return (branch_ids[spec.branch], ids[spec.person], spec.rule, spec.start, begins, ends)


async def apply_rota(
    conn: AsyncConnection,
    roster: Roster,
    ids: dict[str, int],
    branch_ids: dict[str, int],
    now: datetime,
) -> tuple[ShiftCounts, list[str]]:
    """Make ``duty_shifts`` equal to the file's shifts, every branch's (the file wins).

    Returns the counts and one line per branch whose shifts made in the bot were replaced.
    """
    counts = ShiftCounts()
    wanted = Counter(_shift_key(spec, ids, branch_ids) for spec in roster.shifts)
    rows = list(await conn.execute(select(duty_shifts).order_by(duty_shifts.c.id)))
    # Keep the file's own rows first, then adopt identical rows made in the bot.
    left = Counter(wanted)
    keep: list[Any] = []
    adopt: list[Any] = []
    for source in (SOURCE_FILE, SOURCE_BOT):
        for row in rows:
            if row.source != source:
                continue
            key = (row.branch_id, row.person_id, row.rule, row.start, row.begins, row.ends)
            if left[key] > 0:
                left[key] -= 1
                (keep if source == SOURCE_FILE else adopt).append(row)
    matched = {row.id for row in keep + adopt}
    stale = [row for row in rows if row.id not in matched]
    counts.unchanged = len(keep)
    if adopt:
        await conn.execute(
            update(duty_shifts)
            .where(duty_shifts.c.id.in_([row.id for row in adopt]))
            .values(source=SOURCE_FILE)
        )
        counts.adopted = len(adopt)
    if stale:
        await conn.execute(delete(duty_shifts).where(duty_shifts.c.id.in_([r.id for r in stale])))
        counts.removed = len(stale)
    new = [key for key, n in left.items() for _ in range(n)]
    if new:
        await conn.execute(
            insert(duty_shifts),
            [
                {
                    "branch_id": branch_id,
                    "person_id": person_id,
                    "rule": rule,
                    "start": start,
                    "begins": begins,
                    "ends": ends,
                    "source": SOURCE_FILE,
                    "created_at": now,
                }
                for branch_id, person_id, rule, start, begins, ends in new
            ],
        )
        counts.added = len(new)
    replaced = sorted({row.branch_id for row in stale if row.source == SOURCE_BOT})
    overridden: list[str] = []
    if replaced:
        keys = {
            r.id: r.key
            for r in await conn.execute(
                select(branches.c.id, branches.c.key).where(branches.c.id.in_(replaced))
            )
        }
        overridden = [
            f"rota of {keys.get(branch_id, branch_id)} edited in the bot: replaced by the file's"
            for branch_id in replaced
        ]
    return counts, overridden
