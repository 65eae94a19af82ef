"""Taking a request, talking through the bot, releasing it, resolving, confirming."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from sandbox.users import SentMessage
from storage.tables import events, requests
from tests.e2e.conftest import CHEN, GU, LI, MAO, QIAN, SUN, WANG, ZHAO, ZHOU, World


async def _alerted(world: World, text: str = "/120 chest pain") -> tuple[SentMessage, SentMessage]:
    world.user(MAO).send(text)
    a = await world.user(LI).wait_message("#1")
    b = await world.user(QIAN).wait_message("#1")
    return a, b


async def test_simultaneous_takes_leave_exactly_one_owner(world: World) -> None:
    a, b = await _alerted(world)
    first, second = await asyncio.gather(
        world.user(LI).press(a, "Take"),
        world.user(QIAN).press(b, "Take"),
    )
    answers = [first.text or "", second.text or ""]
    assert sum("You took request #1" in x for x in answers) == 1
    assert sum("already taken" in x for x in answers) == 1
    assert await world.count(events, events.c.type == "taken") == 1
    async with world.runtime.engine.connect() as conn:
        owner = await conn.scalar(select(requests.c.owner_id).where(requests.c.id == 1))
    assert owner is not None
    loser = world.user(QIAN) if "You took" in answers[0] else world.user(LI)
    edited = await loser.wait_message("Taken by")
    assert edited.buttons == []


async def test_talk_reaches_only_worker_and_owner_and_is_on_the_timeline(world: World) -> None:
    a, _ = await _alerted(world)
    await world.user(LI).press(a, "Take")
    worker = world.user(MAO)
    await worker.wait_message("is handling")
    worker.send("it is getting worse")  # no reply: the worker has one active request
    got = await world.user(LI).wait_message("it is getting worse")
    world.user(LI).send("ambulance is on its way", reply_to=got)
    await worker.wait_message("ambulance is on its way")
    for bystander in (QIAN, ZHAO, WANG, CHEN):
        assert not any(
            "getting worse" in m.text or "ambulance" in m.text
            for m in world.user(bystander).messages
        )
    assert await world.count(events, events.c.type == "message") == 2


async def test_owner_releases_and_alerts_go_out_again(world: World) -> None:
    a, _ = await _alerted(world)
    await world.user(LI).press(a, "Take")
    panel = await world.user(LI).wait_message(lambda m: "Release" in m.buttons)
    await world.user(QIAN).wait_message("Taken by")
    world.user(QIAN).mark()
    answer = await world.user(LI).press(panel, "Release")
    assert "released" in (answer.text or "")
    fresh = await world.user(QIAN).wait_message(lambda m: m.buttons == ["Take"])
    await world.user(QIAN).press(fresh, "Take")
    await world.user(MAO).wait_message("钱卫东 is handling")
    async with world.runtime.engine.connect() as conn:
        state = await conn.scalar(select(requests.c.state).where(requests.c.id == 1))
    assert state == "taken"


async def test_not_resolved_goes_back_to_the_same_owner_with_the_reason(world: World) -> None:
    a, _ = await _alerted(world)
    await world.user(LI).press(a, "Take")
    world.user(LI).send("/resolve 1 took him to the clinic")
    worker = world.user(MAO)
    question = await worker.wait_message(lambda m: "Not resolved" in m.buttons)
    assert "took him to the clinic" in question.text
    await worker.press(question, "Not resolved")
    ask = await worker.wait_message("goes back to 李强")
    worker.send("the clinic sent us away", reply_to=ask)
    await world.user(LI).wait_message("is NOT resolved")
    await world.user(LI).wait_message("the clinic sent us away")
    async with world.runtime.engine.connect() as conn:
        row = (await conn.execute(select(requests).where(requests.c.id == 1))).one()
    assert row.state == "taken"


async def test_status_is_shown_to_those_involved_and_nobody_else(world: World) -> None:
    a, _ = await _alerted(world)
    await world.user(LI).press(a, "Take")
    await world.user(MAO).wait_message("is handling")
    for allowed in (MAO, LI, WANG, CHEN):
        world.user(allowed).send("/status 1")
        shown = await world.user(allowed).wait_message("took it")
        assert "chest pain" in shown.text
    for refused in (QIAN, ZHAO, ZHOU, GU, SUN):
        world.user(refused).send("/status 1")
        answer = await world.user(refused).wait_message("no request #1")
        assert "chest pain" not in answer.text
