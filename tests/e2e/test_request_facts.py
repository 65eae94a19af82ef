"""The figures' facts on a request follow its timeline: time to take, to resolve, to close,
who closed it, how often it was sent back, whether it went past level 0."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import requests
from tests.e2e.conftest import LI, MAO, World


async def _facts(world: World) -> Any:
    async with world.runtime.engine.connect() as conn:
        return (
            await conn.execute(
                select(
                    requests.c.take_seconds,
                    requests.c.resolve_seconds,
                    requests.c.close_seconds,
                    requests.c.closed_by,
                    requests.c.reopen_count,
                    requests.c.escalated,
                ).where(requests.c.id == 1)
            )
        ).one()


async def test_facts_follow_take_escalation_reopen_and_confirmation(world: World) -> None:
    mao, li = world.user(MAO), world.user(LI)
    mao.send("/120 chest pain")
    alert = await li.wait_message("#1")
    assert tuple(await _facts(world)) == (None, None, None, None, 0, False)
    await world.advance(minutes=3)  # past the 2-minute first level: the secretary is alerted
    assert (await _facts(world)).escalated is True
    await li.press(alert, "Take")
    panel = await li.wait_message(lambda m: "Resolved" in m.buttons)
    await world.advance(minutes=10)
    await li.press(panel, "Resolved")
    question = await mao.wait_message(lambda m: "Not resolved" in m.buttons)
    await mao.press(question, "Not resolved")
    await world.advance(minutes=5)
    again = await li.wait_message(lambda m: "Resolved" in m.buttons)
    await li.press(again, "Resolved")
    await world.advance(minutes=1)
    await mao.press(await mao.wait_message(lambda m: "Confirm" in m.buttons), "Confirm")
    await mao.wait_message("Thank you")
    facts = await _facts(world)
    assert facts.take_seconds == 180
    assert facts.resolve_seconds == 180 + 600 + 300  # the last resolution counts
    assert facts.close_seconds == 180 + 600 + 300 + 60
    assert facts.closed_by == "worker" and facts.reopen_count == 1
