"""Emergencies arriving together are stored together, and one that fails holds back none.

``storage.group_commit`` on a real SQLite file with the real raise use case: commits are
counted from SQLAlchemy's own events, the inbox and the requests read back from the file.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.domain.authz import Actor
from bot.domain.kinds import Kind
from bot.files.roster import parse_roster
from bot.usecases.common import Ctx
from bot.usecases.requests.raise_request import Raised, raise_or_join
from storage.group_commit import GroupCommit
from storage.roster_store import import_roster
from storage.tables import inbox, outbox, requests
from storage.uow import NoWakeups, UnitOfWork, handling_update

ROSTER = Path(__file__).resolve().parents[2] / "examples" / "roster.yaml"
CTX = Ctx(lang="en", tz=ZoneInfo("Asia/Shanghai"))
AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
FIRST_CHAT = 90_001  # strangers: their requests go to the committee


class Poison(Exception):
    pass


async def _roster(engine: AsyncEngine) -> None:
    text = ROSTER.read_text(encoding="utf-8")
    await import_roster(engine, parse_roster(text, str(ROSTER)), now=AT)


@pytest.fixture
async def group(engine: AsyncEngine) -> GroupCommit:
    await _roster(engine)
    return GroupCommit(engine, NoWakeups(), FakeClock(AT), CTX.tz)


def commits(engine: AsyncEngine) -> list[int]:
    seen: list[int] = []
    event.listen(engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


async def _received(engine: AsyncEngine, update_ids: list[int]) -> None:
    async with UnitOfWork(engine, NoWakeups(), AT, marks_update=False) as uow:
        await uow.conn.execute(
            inbox.insert(),
            [
                {"update_id": u, "received_at": AT, "status": "received", "payload": {}}
                for u in update_ids
            ],
        )


async def _raise(group: GroupCommit, i: int, *, poison: bool = False) -> Raised:
    """One handler: /120 from stranger ``i`` as update ``i``, through the group commit."""

    async def work(uow: UnitOfWork) -> Raised:
        raised = await raise_or_join(
            uow, CTX, Actor(chat_id=FIRST_CHAT + i), kind=Kind.EMERGENCY, text=f"crane {i}"
        )
        if poison:
            raise Poison(f"request of update {i} cannot be stored")
        return raised

    with handling_update(i) as handled:
        try:
            return await group.run(work)
        finally:
            assert handled.done is not poison


async def _status(engine: AsyncEngine) -> dict[int, str]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(inbox.c.update_id, inbox.c.status))).all()
    return {int(r.update_id): str(r.status) for r in rows}


async def _count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_emergencies_arriving_together_share_one_commit(
    engine: AsyncEngine, group: GroupCommit
) -> None:
    await _received(engine, list(range(1, 9)))
    seen = commits(engine)
    raised = await asyncio.gather(*(_raise(group, i) for i in range(1, 9)))
    assert len(seen) == 1
    # each caller got its own request, numbered in the order they were handed in
    assert [r.request.text for r in raised] == [f"crane {i}" for i in range(1, 9)]
    assert [r.request.id for r in raised] == sorted(r.request.id for r in raised)
    assert await _status(engine) == dict.fromkeys(range(1, 9), "done")
    assert await _count(engine, requests) == 8
    assert await _count(engine, outbox) > 8  # alerts and acknowledgements, all stored


async def test_one_that_fails_holds_back_none(engine: AsyncEngine, group: GroupCommit) -> None:
    await _received(engine, [1, 2, 3, 4])
    results = await asyncio.gather(
        *(_raise(group, i, poison=i == 3) for i in (1, 2, 3, 4)), return_exceptions=True
    )
    assert isinstance(results[2], Poison)
    assert [r.request.text for r in results if isinstance(r, Raised)] == [
        "crane 1",
        "crane 2",
        "crane 4",
    ]
    # the failed one's update stays unfinished (it is tried again), nothing of it stored
    assert await _status(engine) == {1: "done", 2: "done", 3: "received", 4: "done"}
    async with engine.connect() as conn:
        texts: set[str] = set(await conn.scalars(select(requests.c.text)))
    assert texts == {"crane 1", "crane 2", "crane 4"}


async def test_a_flood_is_split_so_others_get_their_turn(engine: AsyncEngine) -> None:
    await _roster(engine)
    group = GroupCommit(engine, NoWakeups(), FakeClock(AT), CTX.tz, limit=5)
    await _received(engine, list(range(1, 13)))
    seen = commits(engine)
    await asyncio.gather(*(_raise(group, i) for i in range(1, 13)))
    assert len(seen) == 3  # 5 + 5 + 2
    assert await _status(engine) == dict.fromkeys(range(1, 13), "done")
