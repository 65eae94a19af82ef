"""Stopping a flood from the phone: /cancelall, /block and /unblock."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.tables import events, inbox, requests
from tests.e2e.conftest import CHEN, LI, MAO, STRANGER, WANG, ZHOU, World


async def _states(world: World) -> list[tuple[int, str]]:
    async with world.runtime.engine.connect() as conn:
        rows = await conn.execute(select(requests.c.id, requests.c.state).order_by(requests.c.id))
        return [(int(r.id), str(r.state)) for r in rows]


async def test_the_committee_blocks_an_unknown_account_and_nothing_it_sends_is_acted_on(
    world: World,
) -> None:
    stranger = world.user(STRANGER, "Nobody")
    for k in range(3):
        stranger.send(f"/120 new spam {k}")
        await world.user(CHEN).wait_message(f"spam {k}")
    world.user(CHEN).send("/block 2 a flood of fake emergencies")
    said = await world.user(CHEN).wait_message("is blocked")
    assert "Cancelled: #1, #2, #3" in said.text
    told = await stranger.wait_message("no longer handles messages from this account")
    assert "120 or 110 by phone" in told.text
    heard, chen_heard = len(stranger.messages), len(world.user(CHEN).messages)
    stranger.send("/120 new spam again")
    stranger.send("hello?")
    await world.settle()
    assert await _states(world) == [(1, "cancelled"), (2, "cancelled"), (3, "cancelled")]
    assert len(stranger.messages) == heard and len(world.user(CHEN).messages) == chen_heard
    async with world.runtime.engine.connect() as conn:
        stored = await conn.scalar(select(func.count()).select_from(inbox))
        reasons: list[dict[str, str]] = list(
            await conn.scalars(select(events.c.data).where(events.c.type == "cancelled"))
        )
    assert stored == 6  # every update is kept, the two ignored ones too
    assert all(r["reason"] == "blocked: a flood of fake emergencies" for r in reasons)
    world.user(CHEN).send("/unblock 1")
    await world.user(CHEN).wait_message("is unblocked")
    stranger.send("/120 a real one now")
    await world.user(CHEN).wait_message("a real one now")
    assert (await _states(world))[-1] == (4, "open")


async def test_a_secretary_cancels_everything_a_worker_of_the_branch_has_open(
    world: World,
) -> None:
    mao = world.user(MAO)
    alerts = []
    for k in range(3):
        mao.send(f"/120 new panic {k}")
        alerts.append(await world.user(LI).wait_message(f"panic {k}"))
    await world.user(LI).press(alerts[0], "Take")
    await mao.wait_message("is handling your request #1")
    world.user(WANG).send("/cancelall 2 the same fall, sent three times")
    await world.user(WANG).wait_message("Cancelled: #1, #2, #3")
    told = await mao.wait_message("were cancelled by 王芳")
    assert "the same fall, sent three times" in told.text
    owner = await world.user(LI).wait_message("王芳 cancelled request #1")  # li had taken it
    assert "the same fall, sent three times" in owner.text
    edited = await world.user(LI).wait_message("Cancelled by 王芳")
    assert edited.buttons == []
    assert await _states(world) == [(1, "cancelled"), (2, "cancelled"), (3, "cancelled")]


async def test_refusals_change_nothing(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    world.user(STRANGER, "Nobody").send("/120 help")
    await world.user(CHEN).wait_message("help")
    for who, what, answer in (
        (MAO, "/block 1 me", "There is no request #1 that you can act on"),
        (LI, "/cancelall 1 noise", "There is no request #1 that you can act on"),
        (ZHOU, "/cancelall 1 noise", "There is no request #1 that you can act on"),
        (WANG, "/block 1 noise", "comes from someone in the roster"),
        (WANG, "/block 2 noise", "There is no request #2 that you can act on"),
        (CHEN, "/block 2", "Say why"),
        (CHEN, "/cancelall 1", "Say why"),
        (CHEN, "/unblock 2", "is not blocked"),
        (CHEN, "/block", "Usage: /block N reason"),
    ):
        world.user(who).send(what)
        await world.user(who).wait_message(answer)
    await world.settle()
    assert await _states(world) == [(1, "open"), (2, "open")]
