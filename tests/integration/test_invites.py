"""One-time invites: create, redeem once, refuse the rest."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.files.roster import parse_roster
from storage.invites import (
    RedeemResult,
    RedeemStatus,
    create_invite,
    person_id_by_key,
    redeem_invite,
)
from storage.roster_store import import_roster
from storage.tables import invites, people

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

ROSTER = """\
committee: [chen]
branches:
  - {key: warehouse, name: 仓储部支部, departments: [仓储部], secretary: wang, members: [li]}
people:
  - {key: chen, name: 陈主任, telegram_id: 1000}
  - {key: wang, name: 王芳, telegram_id: 1001}
  - {key: li, name: 李强}
  - {key: mao, name: 茅建国, department: 仓储部}
"""


@pytest.fixture
async def ids(engine: AsyncEngine) -> dict[str, int]:
    await import_roster(engine, parse_roster(ROSTER, "r.yaml"), now=T0)
    async with engine.connect() as conn:
        return {r.key: r.id for r in await conn.execute(select(people.c.key, people.c.id))}


async def invite(engine: AsyncEngine, person_id: int, ttl: timedelta = timedelta(days=7)) -> str:
    async with engine.begin() as conn:
        return await create_invite(conn, person_id=person_id, created_by_id=None, now=T0, ttl=ttl)


async def redeem(engine: AsyncEngine, code: str, chat_id: int, now: datetime) -> RedeemResult:
    async with engine.begin() as conn:
        return await redeem_invite(conn, code=code, chat_id=chat_id, now=now)


async def telegram_id(engine: AsyncEngine, person_id: int) -> int | None:
    async with engine.connect() as conn:
        query = select(people.c.telegram_id).where(people.c.id == person_id)
        value: int | None = (await conn.execute(query)).scalar_one()
        return value


async def test_person_id_by_key(engine: AsyncEngine, ids: dict[str, int]) -> None:
    async with engine.connect() as conn:
        assert await person_id_by_key(conn, "li") == ids["li"]
        assert await person_id_by_key(conn, "nobody") is None


async def test_code_fits_a_deep_link(engine: AsyncEngine, ids: dict[str, int]) -> None:
    codes = {await invite(engine, ids["li"]) for _ in range(20)}
    assert len(codes) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,32}", c) for c in codes)


async def test_redeem_binds_the_account(engine: AsyncEngine, ids: dict[str, int]) -> None:
    code = await invite(engine, ids["li"])
    result = await redeem(engine, code, 5555, T0 + timedelta(hours=1))
    assert result == RedeemResult(RedeemStatus.OK, ids["li"]) and result.ok
    assert await telegram_id(engine, ids["li"]) == 5555
    async with engine.connect() as conn:
        row = (await conn.execute(select(invites))).one()
    assert row.used_at == T0 + timedelta(hours=1) and row.used_by_chat_id == 5555


async def test_used_twice(engine: AsyncEngine, ids: dict[str, int]) -> None:
    code = await invite(engine, ids["li"])
    assert (await redeem(engine, code, 5555, T0)).ok
    assert (await redeem(engine, code, 6666, T0)).status is RedeemStatus.USED
    assert (await redeem(engine, code, 5555, T0)).status is RedeemStatus.USED
    assert await telegram_id(engine, ids["li"]) == 5555


async def test_expired(engine: AsyncEngine, ids: dict[str, int]) -> None:
    code = await invite(engine, ids["li"], ttl=timedelta(days=1))
    result = await redeem(engine, code, 5555, T0 + timedelta(days=1))
    assert result.status is RedeemStatus.EXPIRED and result.person_id is None
    assert await telegram_id(engine, ids["li"]) is None


@pytest.mark.parametrize("code", ["nope", "", "x" * 65])
async def test_unknown(engine: AsyncEngine, ids: dict[str, int], code: str) -> None:
    await invite(engine, ids["li"])
    assert (await redeem(engine, code, 5555, T0)).status is RedeemStatus.UNKNOWN


async def test_account_of_another_person_is_refused(
    engine: AsyncEngine, ids: dict[str, int]
) -> None:
    code = await invite(engine, ids["li"])
    result = await redeem(engine, code, 1001, T0)  # wang's account
    assert result.status is RedeemStatus.CHAT_ALREADY_BOUND
    assert await telegram_id(engine, ids["li"]) is None
    # The code was not spent: li can still use it from the right phone.
    assert (await redeem(engine, code, 5555, T0)).ok


async def test_account_of_a_departed_person_moves_on(
    engine: AsyncEngine, ids: dict[str, int]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(people).where(people.c.key == "wang").values(active=False))
    code = await invite(engine, ids["li"])
    assert (await redeem(engine, code, 1001, T0)).ok
    assert await telegram_id(engine, ids["li"]) == 1001
    assert await telegram_id(engine, ids["wang"]) is None


async def test_invite_of_a_departed_person_is_unknown(
    engine: AsyncEngine, ids: dict[str, int]
) -> None:
    code = await invite(engine, ids["mao"])
    async with engine.begin() as conn:
        await conn.execute(update(people).where(people.c.key == "mao").values(active=False))
        assert await person_id_by_key(conn, "mao") is None
    assert (await redeem(engine, code, 5555, T0)).status is RedeemStatus.UNKNOWN


async def test_nothing_is_kept_when_the_callers_transaction_fails(
    engine: AsyncEngine, ids: dict[str, int]
) -> None:
    code = await invite(engine, ids["li"])
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            assert (await redeem_invite(conn, code=code, chat_id=5555, now=T0)).ok
            raise RuntimeError("the reply could not be queued")
    assert await telegram_id(engine, ids["li"]) is None
    assert (await redeem(engine, code, 5555, T0)).ok


async def test_concurrent_redeems_have_one_winner(engine: AsyncEngine, ids: dict[str, int]) -> None:
    code = await invite(engine, ids["li"])
    results = await asyncio.gather(redeem(engine, code, 5555, T0), redeem(engine, code, 6666, T0))
    statuses = sorted(r.status for r in results)
    assert statuses == [RedeemStatus.OK, RedeemStatus.USED]
    winner = 5555 if results[0].ok else 6666
    assert await telegram_id(engine, ids["li"]) == winner
