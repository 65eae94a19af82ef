"""Importing the roster's care plans, duties and rota into a real (temporary) database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.files.roster import Roster, parse_roster
from storage.roster_store import import_roster
from storage.tables import (
    branches,
    care_plan_visitors,
    care_plans,
    deadlines,
    duty_shifts,
    people,
    plan_events,
    visits,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)

BASE = """\
committee: [chen]
branches:
  - key: warehouse
    name: 仓储部支部
    departments: [仓储部]
    secretary: wang
    members: [li, zhao, qian]
  - key: dock
    name: 码头机修支部
    departments: [机修车间]
    secretary: zhou
    members: [wu]
people:
  - {key: chen, name: 陈主任, telegram_id: 1000}
  - {key: wang, name: 王芳, telegram_id: 1001}
  - {key: li, name: 李强, telegram_id: 1002}
  - {key: zhao, name: 赵敏, telegram_id: 1003}
  - {key: qian, name: 钱卫东, telegram_id: 1004}
  - {key: zhou, name: 周海涛, telegram_id: 1101}
  - {key: wu, name: 吴建华, telegram_id: 1102}
"""
PLANS = """\
care_plans:
  - key: sun-guardian
    branch: warehouse
    cared_for: 孙琪伟
    note: 宝山精神卫生中心, 监护探视
    visitors: [li, zhao]
    rule: "FREQ=MONTHLY;BYDAY=1SA"
    start: 2026-12-01
    remind_days_before: 2
    grace: 3d
  - key: retired-fang
    branch: dock
    cared_for: 方师傅
    visitors: [wu]
    rule: "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    start: 2026-12-01
duties:
  - key: reception-warehouse
    kind: reception
    branch: warehouse
    title: 接待日
    rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"
    start: 2026-12-03
    remind: on-duty
  - key: committee-visit-dock
    kind: department-visit
    branch: dock
    title: 委员会走访码头机修
    visitors: [chen]
    rule: "FREQ=MONTHLY;BYDAY=2TU"
    start: 2026-12-01
rota:
  warehouse:
    hours: "08:00-20:00"
    weekly: {mon: [li], tue: [zhao], wed: [qian], thu: [li, zhao], fri: [qian]}
    shifts:
      - person: qian
        rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU"
        start: 2026-12-05
        hours: "20:00-08:00"
"""
GOOD = BASE + PLANS
WITHOUT_FANG = GOOD.replace(
    """  - key: retired-fang
    branch: dock
    cared_for: 方师傅
    visitors: [wu]
    rule: "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    start: 2026-12-01
""",
    "",
)

Dump = Callable[[], Awaitable[dict[str, list[tuple[Any, ...]]]]]


def roster(text: str = GOOD) -> Roster:
    return parse_roster(text, "r.yaml", lang="en")


def edited(old: str, new: str, text: str = GOOD) -> Roster:
    assert text.count(old) == 1, old
    return roster(text.replace(old, new))


async def rows(engine: AsyncEngine, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def plan(engine: AsyncEngine, key: str) -> Any:
    (row,) = await rows(engine, select(care_plans).where(care_plans.c.key == key))
    return row


async def person_id(engine: AsyncEngine, key: str) -> int:
    (row,) = await rows(engine, select(people.c.id).where(people.c.key == key))
    return int(row.id)


async def visitors_of(engine: AsyncEngine, plan_id: int) -> list[tuple[str, int]]:
    found = await rows(
        engine,
        select(people.c.key, care_plan_visitors.c.position)
        .join(people, people.c.id == care_plan_visitors.c.person_id)
        .where(care_plan_visitors.c.plan_id == plan_id)
        .order_by(care_plan_visitors.c.position),
    )
    return [(r.key, r.position) for r in found]


async def events_of(engine: AsyncEngine, plan_id: int) -> list[tuple[str, Any]]:
    found = await rows(
        engine,
        select(plan_events.c.type, plan_events.c.data)
        .where(plan_events.c.plan_id == plan_id)
        .order_by(plan_events.c.id),
    )
    return [(r.type, r.data) for r in found]


async def add_visit(
    engine: AsyncEngine, plan_id: int, on: date, state: str = "due"
) -> tuple[int, int]:
    """A visit of the plan and one deadline of it, as the bot would have armed them."""
    async with engine.begin() as conn:
        visit = await conn.execute(
            insert(visits).values(
                plan_id=plan_id,
                occurrence=on,
                due_on=on,
                grace_until=T0 + timedelta(days=40),
                state=state,
                escalation_level=0,
                created_at=T0,
                updated_at=T0,
            )
        )
        visit_id = int(visit.inserted_primary_key[0])  # type: ignore[index]
        deadline = await conn.execute(
            insert(deadlines).values(
                visit_id=visit_id,
                kind="visit-day",
                due_at=T0 + timedelta(days=30),
                status="pending",
                data={},
                created_at=T0,
            )
        )
        return visit_id, int(deadline.inserted_primary_key[0])  # type: ignore[index]


async def visit_and_deadline(engine: AsyncEngine, ids: tuple[int, int]) -> tuple[Any, Any]:
    (visit,) = await rows(engine, select(visits).where(visits.c.id == ids[0]))
    (deadline,) = await rows(engine, select(deadlines).where(deadlines.c.id == ids[1]))
    return visit, deadline


async def test_import_creates_plans_visitors_shifts_and_events(engine: AsyncEngine) -> None:
    report = await import_roster(engine, roster(), now=T0)
    assert report.changed
    assert (report.plans.created, report.plans.updated, report.plans.ended) == (4, 0, 0)
    assert (report.shifts.added, report.shifts.removed) == (7, 0)
    assert report.overridden == []

    sun = await plan(engine, "sun-guardian")
    (warehouse,) = await rows(engine, select(branches).where(branches.c.key == "warehouse"))
    assert (sun.branch_id, sun.kind, sun.cared_for, sun.note) == (
        warehouse.id,
        "care",
        "孙琪伟",
        "宝山精神卫生中心, 监护探视",
    )
    assert (sun.rule, sun.start, sun.remind_days_before, sun.grace) == (
        "FREQ=MONTHLY;BYDAY=1SA",
        date(2026, 12, 1),
        2,
        "3d",
    )
    assert (sun.state, sun.source, sun.remind_on_duty, sun.created_at) == (
        "active",
        "file",
        False,
        T0,
    )
    assert await visitors_of(engine, sun.id) == [("li", 0), ("zhao", 1)]
    assert await events_of(engine, sun.id) == [("created", {"source": "file"})]

    reception = await plan(engine, "reception-warehouse")
    assert (reception.kind, reception.cared_for, reception.remind_on_duty) == (
        "reception",
        "接待日",
        True,
    )
    assert (reception.remind_days_before, reception.grace, reception.note) == (1, "3d", "")
    assert await visitors_of(engine, reception.id) == []
    visit = await plan(engine, "committee-visit-dock")
    assert visit.kind == "department-visit"
    assert await visitors_of(engine, visit.id) == [("chen", 0)]

    shifts = await rows(engine, select(duty_shifts).order_by(duty_shifts.c.id))
    assert {(s.branch_id, s.source, s.created_at) for s in shifts} == {(warehouse.id, "file", T0)}
    li, qian = await person_id(engine, "li"), await person_id(engine, "qian")
    assert (li, "FREQ=WEEKLY;BYDAY=MO", date(2026, 1, 5), "08:00", "20:00") in {
        (s.person_id, s.rule, s.start, s.begins, s.ends) for s in shifts
    }
    night = [s for s in shifts if s.start == date(2026, 12, 5)]
    assert [(s.person_id, s.begins, s.ends) for s in night] == [(qian, "20:00", "08:00")]


async def test_reimport_unchanged_writes_nothing(engine: AsyncEngine, dump: Dump) -> None:
    await import_roster(engine, roster(), now=T0)
    before = await dump()
    again = await import_roster(engine, roster(), now=T1)
    assert not again.changed
    assert (again.plans.unchanged, again.shifts.unchanged) == (4, 7)
    assert await dump() == before


async def test_a_whole_day_shift_is_stored_until_24_00(engine: AsyncEngine) -> None:
    await import_roster(engine, edited('    hours: "08:00-20:00"\n', ""), now=T0)
    shifts = await rows(engine, select(duty_shifts).where(duty_shifts.c.rule.like("%BYDAY=MO")))
    assert [(s.begins, s.ends) for s in shifts] == [("00:00", "24:00")]


async def test_editing_the_rule_cancels_due_visits_and_their_pending_deadlines(
    engine: AsyncEngine,
) -> None:
    await import_roster(engine, roster(), now=T0)
    sun = await plan(engine, "sun-guardian")
    due = await add_visit(engine, sun.id, date(2026, 12, 5))
    done = await add_visit(engine, sun.id, date(2026, 11, 7), state="done")
    other = await add_visit(engine, (await plan(engine, "retired-fang")).id, date(2026, 12, 31))

    report = await import_roster(
        engine, edited('"FREQ=MONTHLY;BYDAY=1SA"', '"FREQ=MONTHLY;BYDAY=1SU"'), now=T1
    )
    assert (report.plans.updated, report.plans.unchanged, report.plans.cancelled_visits) == (
        1,
        3,
        1,
    )
    visit, deadline = await visit_and_deadline(engine, due)
    assert (visit.state, visit.updated_at) == ("cancelled", T1)
    assert (deadline.status, deadline.fired_at) == ("cancelled", T1)
    # A logged visit's pending chain step would plan a visit by the old rule: it goes.
    visit, deadline = await visit_and_deadline(engine, done)
    assert (visit.state, deadline.status) == ("done", "cancelled")
    visit, deadline = await visit_and_deadline(engine, other)
    assert (visit.state, deadline.status, deadline.fired_at) == ("due", "pending", None)
    sun = await plan(engine, "sun-guardian")
    assert (sun.rule, sun.updated_at, sun.state) == ("FREQ=MONTHLY;BYDAY=1SU", T1, "active")
    assert (await events_of(engine, sun.id))[-1] == (
        "changed",
        {"source": "file", "fields": ["rule"]},
    )


async def test_a_note_change_updates_in_place_and_keeps_the_armed_visit(
    engine: AsyncEngine,
) -> None:
    await import_roster(engine, roster(), now=T0)
    sun = await plan(engine, "sun-guardian")
    due = await add_visit(engine, sun.id, date(2026, 12, 5))
    report = await import_roster(engine, edited("监护探视", "监护探视, 带水果"), now=T1)
    assert (report.plans.updated, report.plans.cancelled_visits) == (1, 0)
    assert (await plan(engine, "sun-guardian")).note == "宝山精神卫生中心, 监护探视, 带水果"
    visit, deadline = await visit_and_deadline(engine, due)
    assert (visit.state, deadline.status) == ("due", "pending")


async def test_visitors_follow_the_file_order_and_a_change_rearms(engine: AsyncEngine) -> None:
    await import_roster(engine, roster(), now=T0)
    sun = await plan(engine, "sun-guardian")
    due = await add_visit(engine, sun.id, date(2026, 12, 5))
    report = await import_roster(
        engine, edited("visitors: [li, zhao]", "visitors: [qian, zhao, wang]"), now=T1
    )
    assert report.plans.cancelled_visits == 1
    assert await visitors_of(engine, sun.id) == [("qian", 0), ("zhao", 1), ("wang", 2)]
    visit, _ = await visit_and_deadline(engine, due)
    assert visit.state == "cancelled"
    assert (await events_of(engine, sun.id))[-1][1]["fields"] == ["visitors"]


async def test_a_plan_removed_from_the_file_is_ended_with_its_history_kept(
    engine: AsyncEngine, dump: Dump
) -> None:
    await import_roster(engine, roster(), now=T0)
    fang = await plan(engine, "retired-fang")
    done = await add_visit(engine, fang.id, date(2026, 11, 30), state="done")
    due = await add_visit(engine, fang.id, date(2026, 12, 31))

    report = await import_roster(engine, roster(WITHOUT_FANG), now=T1)
    assert (report.plans.ended, report.plans.unchanged, report.plans.cancelled_visits) == (
        1,
        3,
        1,
    )
    fang = await plan(engine, "retired-fang")
    assert (fang.state, fang.updated_at) == ("ended", T1)
    assert await events_of(engine, fang.id) == [
        ("created", {"source": "file"}),
        ("ended", {"reason": "removed from the roster file"}),
    ]
    assert await visitors_of(engine, fang.id) == [("wu", 0)]
    assert (await visit_and_deadline(engine, done))[0].state == "done"
    visit, deadline = await visit_and_deadline(engine, due)
    assert (visit.state, deadline.status) == ("cancelled", "cancelled")

    before = await dump()
    assert not (await import_roster(engine, roster(WITHOUT_FANG), now=T2)).changed
    assert await dump() == before

    # Back in the file: the plan is active again (an end made by the file, not the bot).
    back = await import_roster(engine, roster(), now=T2)
    assert back.plans.updated == 1
    fang = await plan(engine, "retired-fang")
    assert fang.state == "active"
    assert (await events_of(engine, fang.id))[-1] == (
        "resumed",
        {"source": "file", "reason": "back in the roster file"},
    )


async def test_paused_and_bot_ended_plans_keep_their_state(engine: AsyncEngine, dump: Dump) -> None:
    await import_roster(engine, roster(), now=T0)
    sun = await plan(engine, "sun-guardian")
    fang = await plan(engine, "retired-fang")
    async with engine.begin() as conn:
        await conn.execute(
            update(care_plans).where(care_plans.c.id == sun.id).values(state="paused")
        )
        await conn.execute(
            update(care_plans).where(care_plans.c.id == fang.id).values(state="ended")
        )
        await conn.execute(
            insert(plan_events).values(plan_id=fang.id, at=T0, type="ended", data={})
        )
    before = await dump()
    assert not (await import_roster(engine, roster(), now=T1)).changed
    assert await dump() == before

    text = GOOD.replace("grace: 3d", "grace: 5d").replace("visitors: [wu]", "visitors: [wu, zhou]")
    report = await import_roster(engine, roster(text), now=T1)
    assert report.plans.updated == 2
    sun, fang = await plan(engine, "sun-guardian"), await plan(engine, "retired-fang")
    assert (sun.state, sun.grace) == ("paused", "5d")
    assert fang.state == "ended"  # ended in the bot: the file does not revive it
    assert await visitors_of(engine, fang.id) == [("wu", 0), ("zhou", 1)]


async def test_a_bot_made_plan_with_a_file_key_is_taken_over(engine: AsyncEngine) -> None:
    await import_roster(engine, roster(BASE), now=T0)
    wang, li = await person_id(engine, "wang"), await person_id(engine, "li")
    (warehouse,) = await rows(engine, select(branches).where(branches.c.key == "warehouse"))
    async with engine.begin() as conn:
        made = await conn.execute(
            insert(care_plans).values(
                key="sun-guardian",
                branch_id=warehouse.id,
                kind="care",
                cared_for="孙",
                note="",
                rule="FREQ=WEEKLY",
                start=date(2026, 11, 1),
                remind_days_before=1,
                grace="3d",
                state="paused",
                source="bot",
                created_by_id=wang,
                created_at=T0,
                updated_at=T0,
            )
        )
        plan_id = int(made.inserted_primary_key[0])  # type: ignore[index]
        await conn.execute(
            insert(care_plan_visitors).values(plan_id=plan_id, person_id=li, position=0)
        )
        await conn.execute(
            insert(care_plans).values(
                key="bot-only",
                branch_id=warehouse.id,
                kind="care",
                cared_for="别人",
                note="",
                rule="FREQ=WEEKLY",
                start=date(2026, 11, 1),
                remind_days_before=1,
                grace="3d",
                state="active",
                source="bot",
                created_by_id=wang,
                created_at=T0,
                updated_at=T0,
            )
        )
    due = await add_visit(engine, plan_id, date(2026, 11, 8))

    report = await import_roster(engine, roster(), now=T1)
    assert report.overridden == [
        "care plan sun-guardian made in the bot by 王芳: replaced by the file's"
    ]
    assert (report.plans.created, report.plans.updated) == (3, 1)
    sun = await plan(engine, "sun-guardian")
    assert (sun.id, sun.source, sun.state, sun.cared_for) == (plan_id, "file", "paused", "孙琪伟")
    assert sun.created_by_id == wang  # who made it first stays on record
    assert await visitors_of(engine, plan_id) == [("li", 0), ("zhao", 1)]
    assert (await visit_and_deadline(engine, due))[0].state == "cancelled"
    changed = (await events_of(engine, plan_id))[-1]
    assert changed[0] == "changed" and "source" in changed[1]["fields"]
    bot_only = await plan(engine, "bot-only")
    assert (bot_only.state, bot_only.source, bot_only.updated_at) == ("active", "bot", T0)

    again = await import_roster(engine, roster(), now=T2)
    assert not again.changed and again.overridden == []
    assert (await plan(engine, "bot-only")).state == "active"  # not the file's to end


async def test_bot_made_shifts_are_replaced_by_the_files_and_reported(
    engine: AsyncEngine, dump: Dump
) -> None:
    await import_roster(engine, roster(), now=T0)
    (warehouse,) = await rows(engine, select(branches).where(branches.c.key == "warehouse"))
    (dock,) = await rows(engine, select(branches).where(branches.c.key == "dock"))
    li, zhao, wu = [await person_id(engine, k) for k in ("li", "zhao", "wu")]
    monday = "FREQ=WEEKLY;BYDAY=MO"
    async with engine.begin() as conn:
        # In the bot, a secretary rewrote Monday (now zhao) and kept Tuesday as it was.
        await conn.execute(
            duty_shifts.delete().where(
                duty_shifts.c.branch_id == warehouse.id,
                duty_shifts.c.rule.in_([monday, "FREQ=WEEKLY;BYDAY=TU"]),
            )
        )
        shift = {
            "start": date(2026, 1, 5),
            "begins": "08:00",
            "ends": "20:00",
            "source": "bot",
            "created_at": T1,
        }
        await conn.execute(
            insert(duty_shifts),
            [
                {"branch_id": warehouse.id, "person_id": zhao, "rule": monday, **shift},
                {
                    "branch_id": warehouse.id,
                    "person_id": zhao,
                    "rule": "FREQ=WEEKLY;BYDAY=TU",
                    **shift,
                },
                {"branch_id": warehouse.id, "person_id": li, "rule": "FREQ=DAILY", **shift},
                {"branch_id": dock.id, "person_id": wu, "rule": "FREQ=DAILY", **shift},
            ],
        )

    report = await import_roster(engine, roster(), now=T2)
    assert report.overridden == [
        "rota of warehouse edited in the bot: replaced by the file's",
        "rota of dock edited in the bot: replaced by the file's",
    ]
    assert (report.shifts.added, report.shifts.removed, report.shifts.adopted) == (1, 3, 1)
    shifts = await rows(engine, select(duty_shifts))
    assert len(shifts) == 7 and {s.source for s in shifts} == {"file"}
    assert {s.person_id for s in shifts if s.rule == monday} == {li}
    assert all(s.branch_id == warehouse.id for s in shifts)

    before = await dump()
    again = await import_roster(engine, roster(), now=T2 + timedelta(hours=1))
    assert not again.changed and again.overridden == []
    assert await dump() == before
