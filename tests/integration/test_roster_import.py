"""Roster import against a real (temporary) SQLite database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.files.roster import Roster, parse_roster
from storage.roster_store import import_roster
from storage.tables import (
    branch_departments,
    branch_members,
    branches,
    people,
    policies,
    roles,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)

BASE = """\
committee: [chen]
supervisors: [gu]
branches:
  - key: warehouse
    name: 仓储部支部
    departments: [仓储部]
    secretary: wang
    members: [li, zhao]
people:
  - {key: chen, name: 陈主任, telegram_id: 1000}
  - {key: wang, name: 王芳, telegram_id: 1001}
  - {key: li, name: 李强, telegram_id: 1002, handles: ["120", "110", reimbursement]}
  - {key: zhao, name: 赵敏, telegram_id: 1003, handles: [insurance, "110"]}
  - {key: mao, name: 茅建国, telegram_id: 2001, department: 仓储部}
  - {key: gu, name: 顾明, telegram_id: 3001}
escalation:
  critical: {levels: [2m, 3m], repeat: 5m}
"""

Dump = Callable[[], Awaitable[dict[str, list[tuple[Any, ...]]]]]


def roster(text: str = BASE) -> Roster:
    return parse_roster(text, "r.yaml")


async def rows(engine: AsyncEngine, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def person(engine: AsyncEngine, key: str) -> Any:
    (row,) = await rows(engine, select(people).where(people.c.key == key))
    return row


async def test_first_import_creates_everything(engine: AsyncEngine) -> None:
    report = await import_roster(engine, roster(), now=T0)
    assert report.changed
    assert (report.people.created, report.branches.created) == (6, 1)
    li = await person(engine, "li")
    assert li.name == "李强" and li.telegram_id == 1002 and li.active
    assert li.handles == ["120", "110", "reimbursement"] and li.updated_at == T0
    wang = await person(engine, "wang")
    (branch,) = await rows(engine, select(branches))
    assert branch.key == "warehouse" and branch.secretary_id == wang.id and branch.active
    assert [tuple(r) for r in await rows(engine, select(branch_departments))] == [
        ("仓储部", branch.id)
    ]
    members = await rows(engine, select(branch_members).order_by(branch_members.c.position))
    assert [(m.person_id, m.position) for m in members] == [
        (li.id, 0),
        ((await person(engine, "zhao")).id, 1),
    ]
    role_rows = {(r.person_id, r.role) for r in await rows(engine, select(roles))}
    assert role_rows == {
        ((await person(engine, "chen")).id, "committee"),
        ((await person(engine, "gu")).id, "supervisor"),
    }
    policy = {r.key: r.value for r in await rows(engine, select(policies))}
    assert policy["escalation"]["critical"] == {"waits": [120, 180], "repeat": 300}
    assert policy["escalation"]["normal"] == {"waits": [14400, 28800], "repeat": 86400}
    assert policy["extras"] == {}


async def test_import_is_idempotent(engine: AsyncEngine, dump: Dump) -> None:
    await import_roster(engine, roster(), now=T0)
    before = await dump()
    report = await import_roster(engine, roster(), now=T1)
    assert not report.changed
    assert report.people.unchanged == 6 and report.branches.unchanged == 1
    assert report.links == 0
    assert await dump() == before


async def test_example_roster_imports_twice(engine: AsyncEngine, dump: Dump) -> None:
    example = parse_roster(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    first = await import_roster(engine, example, now=T0)
    assert first.changed and first.people.created == len(example.people)
    before = await dump()
    assert not (await import_roster(engine, example, now=T1)).changed
    assert await dump() == before
    family = await person(engine, "sun-mother")
    assert family.family_of_id == (await person(engine, "sun")).id


async def test_edit_updates_and_deactivates_without_deleting(engine: AsyncEngine) -> None:
    await import_roster(engine, roster(), now=T0)
    edited = (
        BASE.replace("李强", "李强强")
        .replace("members: [li, zhao]", "members: [zhao, li]")
        .replace("  - {key: mao, name: 茅建国, telegram_id: 2001, department: 仓储部}\n", "")
        .replace("supervisors: [gu]\n", "")
    )
    report = await import_roster(engine, roster(edited), now=T1)
    assert report.changed
    assert (report.people.updated, report.people.deactivated) == (1, 1)
    assert report.people.unchanged == 4
    li = await person(engine, "li")
    assert li.name == "李强强" and li.updated_at == T1
    assert (await person(engine, "wang")).updated_at == T0
    mao = await person(engine, "mao")
    assert not mao.active and mao.telegram_id == 2001 and mao.updated_at == T1
    members = await rows(engine, select(branch_members).order_by(branch_members.c.position))
    assert [m.person_id for m in members] == [(await person(engine, "zhao")).id, li.id]
    assert {r.role for r in await rows(engine, select(roles))} == {"committee"}

    # Back in the file: the same row comes back to life.
    report = await import_roster(engine, roster(), now=T1 + timedelta(hours=1))
    assert report.people.updated == 2  # li renamed back, mao reactivated
    assert (await person(engine, "mao")).active


async def test_removed_branch_is_deactivated_and_releases_its_department(
    engine: AsyncEngine,
) -> None:
    two = BASE.replace(
        "people:\n",
        "  - {key: dock, name: 码头支部, departments: [装卸队], secretary: chen, members: []}\n"
        "people:\n",
    )
    await import_roster(engine, roster(two), now=T0)
    report = await import_roster(engine, roster(), now=T1)
    assert report.branches.deactivated == 1 and report.branches.unchanged == 1
    dock = [b for b in await rows(engine, select(branches)) if b.key == "dock"]
    assert len(dock) == 1 and not dock[0].active
    departments = {r.department for r in await rows(engine, select(branch_departments))}
    assert departments == {"仓储部"}


async def test_bad_roster_changes_nothing(engine: AsyncEngine, dump: Dump) -> None:
    await import_roster(engine, roster(), now=T0)
    before = await dump()
    # A roster that passes parsing but fails half-way through applying (after the
    # people were written): the transaction must take the people's changes back too.
    broken = roster(BASE.replace("李强", "李强强"))
    object.__setattr__(broken.branches[0], "secretary", "ghost")  # unknown at apply time
    with pytest.raises(KeyError):
        await import_roster(engine, broken, now=T1)
    assert await dump() == before


async def test_telegram_ids_can_swap(engine: AsyncEngine) -> None:
    await import_roster(engine, roster(), now=T0)
    swapped = BASE.replace("telegram_id: 1002", "telegram_id: X").replace(
        "telegram_id: 1003", "telegram_id: 1002"
    )
    swapped = swapped.replace("telegram_id: X", "telegram_id: 1003")
    report = await import_roster(engine, roster(swapped), now=T1)
    assert report.people.updated == 2
    assert (await person(engine, "li")).telegram_id == 1003
    assert (await person(engine, "zhao")).telegram_id == 1002


async def test_invite_binding_survives_a_file_without_id(engine: AsyncEngine, dump: Dump) -> None:
    text = BASE.replace("{key: gu, name: 顾明, telegram_id: 3001}", "{key: gu, name: 顾明}")
    await import_roster(engine, roster(text), now=T0)
    async with engine.begin() as conn:  # what redeeming an invite does
        await conn.execute(people.update().where(people.c.key == "gu").values(telegram_id=4242))
    before = await dump()
    report = await import_roster(engine, roster(text), now=T1)
    assert not report.changed and await dump() == before
    assert (await person(engine, "gu")).telegram_id == 4242

    # The file explicitly giving that account to someone else wins, and says so.
    moved = text.replace("telegram_id: 2001", "telegram_id: 4242")
    report = await import_roster(engine, roster(moved), now=T1)
    assert report.unbound == ["gu"]
    assert (await person(engine, "gu")).telegram_id is None
    assert (await person(engine, "mao")).telegram_id == 4242


async def test_departed_persons_account_can_be_reused(engine: AsyncEngine) -> None:
    await import_roster(engine, roster(), now=T0)
    without_mao = BASE.replace(
        "  - {key: mao, name: 茅建国, telegram_id: 2001, department: 仓储部}\n", ""
    )
    await import_roster(engine, roster(without_mao), now=T1)
    newcomer = without_mao.replace(
        "  - {key: gu,", "  - {key: niu, name: 牛犇, telegram_id: 2001}\n  - {key: gu,"
    )
    await import_roster(engine, roster(newcomer), now=T1)
    assert (await person(engine, "niu")).telegram_id == 2001
    mao = await person(engine, "mao")
    assert mao.telegram_id is None and not mao.active


async def test_other_policies_are_left_alone(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(policies).values(key="something_else", value={"x": 1}))
    extras = BASE + "holidays: [2026-10-01]\nworking_hours: '08:30-17:30'\n"
    await import_roster(engine, roster(extras), now=T0)
    policy = {r.key: r.value for r in await rows(engine, select(policies))}
    assert policy["something_else"] == {"x": 1}
    assert policy["extras"] == {"holidays": ["2026-10-01"], "working_hours": "08:30-17:30"}
    assert not (await import_roster(engine, roster(extras), now=T1)).changed
