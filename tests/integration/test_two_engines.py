"""A deadline fires once, even with two deadline engines on one database (DESIGN.md §4).

Two ``DeadlineEngine``s on two separate ``AsyncEngine``s over the same SQLite file, as two
processes would have: separate connection pools, separate in-process write locks, so the
only thing that keeps them apart is the database (BEGIN IMMEDIATE and the conditional
claim). Each has its own wake-ups and its own fake clock, showing the same time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.domain.deadline_kinds import DeadlineKind
from bot.domain.kinds import Kind
from bot.files.roster import parse_roster
from bot.usecases.common import Ctx
from bot.usecases.escalation.deadline_effects import effects
from bot.usecases.requests.actions import take
from bot.usecases.requests.raise_request import raise_request
from schedules.deadlines import DeadlineEngine
from schedules.runner import Wakeups
from storage.db import make_engine, migrate
from storage.queries import load_actor
from storage.roster_store import import_roster
from storage.tables import deadlines, events, outbox, people
from storage.uow import NoWakeups, UnitOfWork

ROSTER = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
MAO, LI, WANG = 2001, 1002, 1001  # a worker, a member who handles 120, the secretary
CTX = Ctx(lang="en", tz=ZoneInfo("Asia/Shanghai"))
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
FIRST_WAIT = timedelta(minutes=2)  # examples/roster.yaml: critical levels [2m, 3m]


@dataclass
class Node:
    """What one process would hold: its own engine, clock, wake-ups and deadline engine."""

    engine: AsyncEngine
    clock: FakeClock
    deadlines: DeadlineEngine


@dataclass
class Pair:
    a: Node
    b: Node

    def advance(self, delta: timedelta) -> None:
        self.a.clock.advance(delta)
        self.b.clock.advance(delta)
        assert self.a.clock.now() == self.b.clock.now()


def node(db: Path, batch: int) -> Node:
    engine = make_engine(str(db))
    clock = FakeClock(START)
    engine_deadlines = DeadlineEngine(
        engine, clock, Wakeups(clock), effects(CTX), tz=CTX.tz, batch=batch
    )
    return Node(engine, clock, engine_deadlines)


@pytest.fixture(params=[100, 7], ids=["batch100", "batch7"])
async def pair(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    """Big batches (one engine likely claims all) and small ones (the two interleave)."""
    db = tmp_path / "shared.db"
    batch: int = request.param
    a, b = node(db, batch), node(db, batch)
    await migrate(a.engine)
    # Fifty emergencies from one sender: room in the request budget that would stop a
    # flood from ringing (tests/e2e/test_repeats.py), as this is about two engines.
    text = ROSTER.read_text() + "\nrequest_budget: {count: 1000, per: 1h}\n"
    await import_roster(a.engine, parse_roster(text, str(ROSTER)), now=START)
    try:
        yield Pair(a, b)
    finally:
        await a.engine.dispose()
        await b.engine.dispose()


async def raise_many(n: Node, count: int) -> list[int]:
    numbers = []
    for i in range(count):
        async with UnitOfWork(n.engine, NoWakeups(), n.clock.now(), CTX.tz) as uow:
            actor = await load_actor(uow.conn, MAO)
            raised = await raise_request(
                uow, CTX, actor, kind=Kind.EMERGENCY, text=f"chest pain {i}", update_id=5000 + i
            )
            numbers.append(raised.request.id)
    return numbers


async def scalar(engine: AsyncEngine, query: object) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(query) or 0)  # type: ignore[call-overload]


async def per_request(engine: AsyncEngine, query: object) -> dict[int, int]:
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()  # type: ignore[call-overload]
    return {int(r[0]): int(r[1]) for r in rows}


async def test_fifty_escalations_fire_once_with_two_engines(pair: Pair) -> None:
    numbers = await raise_many(pair.a, 50)
    assert len(numbers) == 50
    wang = await scalar(pair.a.engine, select(people.c.id).where(people.c.telegram_id == WANG))
    assert await pair.a.deadlines.tick() == 0  # nothing is due yet
    assert await pair.b.deadlines.tick() == 0

    pair.advance(FIRST_WAIT + timedelta(seconds=1))
    fired_a, fired_b = await asyncio.gather(pair.a.deadlines.tick(), pair.b.deadlines.tick())
    assert fired_a + fired_b == 50, (fired_a, fired_b)
    print(f"fired by a: {fired_a}, by b: {fired_b}")

    escalated = await per_request(
        pair.b.engine,
        select(events.c.request_id, func.count())
        .where(events.c.type == "escalated")
        .group_by(events.c.request_id),
    )
    assert escalated == dict.fromkeys(numbers, 1)
    level1 = await per_request(
        pair.b.engine,
        select(outbox.c.request_id, func.count())
        .where(outbox.c.purpose == "alert", outbox.c.level == 1)
        .group_by(outbox.c.request_id),
    )
    assert level1 == dict.fromkeys(numbers, 1)  # the secretary, once per request
    to_wang = await scalar(
        pair.a.engine,
        select(func.count()).where(outbox.c.level == 1, outbox.c.recipient_id == wang),
    )
    assert to_wang == 50
    # Each first step fired exactly once; each request has exactly one next step armed.
    fired = await per_request(
        pair.a.engine,
        select(deadlines.c.request_id, func.count())
        .where(deadlines.c.kind == DeadlineKind.ESCALATE, deadlines.c.status == "fired")
        .group_by(deadlines.c.request_id),
    )
    assert fired == dict.fromkeys(numbers, 1)
    pending = await per_request(
        pair.a.engine,
        select(deadlines.c.request_id, func.count())
        .where(deadlines.c.kind == DeadlineKind.ESCALATE, deadlines.c.status == "pending")
        .group_by(deadlines.c.request_id),
    )
    assert pending == dict.fromkeys(numbers, 1)

    # A second round of both, at the same moment, finds nothing left to do.
    again = await asyncio.gather(pair.a.deadlines.tick(), pair.b.deadlines.tick())
    assert list(again) == [0, 0]


async def test_a_take_between_due_and_tick_cancels_the_escalation(pair: Pair) -> None:
    (number,) = await raise_many(pair.a, 1)
    pair.advance(FIRST_WAIT + timedelta(seconds=1))  # the escalation is due now ...
    async with UnitOfWork(pair.b.engine, NoWakeups(), pair.b.clock.now(), CTX.tz) as uow:
        li = await load_actor(uow.conn, LI)
        await take(uow, CTX, li, number)  # ... but li takes it before anyone ticks

    fired = await asyncio.gather(pair.a.deadlines.tick(), pair.b.deadlines.tick())
    assert list(fired) == [0, 0]
    statuses = await per_request(
        pair.a.engine,
        select(deadlines.c.id, func.count())
        .where(deadlines.c.kind == DeadlineKind.ESCALATE, deadlines.c.status == "cancelled")
        .group_by(deadlines.c.id),
    )
    assert len(statuses) == 1
    assert (
        await scalar(
            pair.a.engine,
            select(func.count()).where(
                deadlines.c.kind == DeadlineKind.ESCALATE, deadlines.c.status != "cancelled"
            ),
        )
        == 0
    )
    assert (
        await scalar(pair.a.engine, select(func.count()).where(events.c.type == "escalated")) == 0
    )
    assert (
        await scalar(
            pair.a.engine,
            select(func.count()).where(outbox.c.purpose == "alert", outbox.c.level >= 1),
        )
        == 0
    )
