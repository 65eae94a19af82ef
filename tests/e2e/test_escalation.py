"""Escalation with a fake clock: a 4-hour chain runs in milliseconds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.tables import deadlines, events, requests
from tests.e2e.conftest import CHEN, LI, MAO, QIAN, WANG, World


async def test_untaken_critical_request_climbs_the_chain_and_the_last_level_repeats(
    world: World,
) -> None:
    # examples/roster.yaml: critical {levels: [2m, 3m], repeat: 5m}
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    await world.advance(minutes=1, seconds=59)
    await world.settle()
    assert world.server.sent_to(WANG) == []
    assert await world.advance(seconds=1) == 1
    alert = await world.user(WANG).wait_message("ESCALATION from level 0")
    assert "2 min" in alert.text and alert.buttons == ["Take"]
    await world.advance(minutes=2, seconds=59)
    await world.settle()
    assert world.server.sent_to(CHEN) == []
    await world.advance(seconds=1)  # 5 min: the committee
    await world.user(CHEN).wait_message("ESCALATION from level 1")
    for minute in (10, 15):
        world.user(CHEN).mark()
        await world.advance(minutes=5)
        again = await world.user(CHEN).wait_message("ESCALATION from level 2")
        assert f"{minute} min" in again.text
    # Earlier levels are not re-sent.
    assert len([c for c in world.server.sent_to(LI) if c.method == "sendMessage"]) == 1
    assert len([c for c in world.server.sent_to(WANG) if c.method == "sendMessage"]) == 1


async def test_taking_edits_every_alert_and_cancels_pending_deadlines(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    await world.advance(minutes=5)
    sec_alert = await world.user(WANG).wait_message("ESCALATION")
    await world.user(CHEN).wait_message("ESCALATION")
    await world.user(WANG).press(sec_alert, "Take")
    for other in (LI, QIAN, CHEN):
        edited = await world.user(other).wait_message("Taken by 王芳")
        assert edited.buttons == []
    assert (
        await world.count(
            deadlines, deadlines.c.status == "pending", deadlines.c.kind == "escalate"
        )
        == 0
    )
    await world.advance(minutes=9)  # within the 10-minute take-timeout: nothing more
    await world.settle()
    assert await world.count(events, events.c.type == "escalated") == 2


async def test_chain_is_frozen_when_the_request_is_raised(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    async with world.runtime.engine.connect() as conn:
        chain = await conn.scalar(select(requests.c.chain).where(requests.c.id == 1))
    assert chain is not None
    assert chain["waits"] == [120, 180] and chain["repeat"] == 300
    assert chain["take_timeout"] == 600 and chain["resolve_within"] == 3600
    assert chain["working_time"] is False


async def test_deadline_losing_the_race_with_a_take_does_not_alert(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    alert = await world.user(LI).wait_message("chest pain")
    world.clock.advance(timedelta(minutes=3))  # due, not yet fired
    await world.user(LI).press(alert, "Take")
    assert await world.runtime.wakeups.fire_due() == 0
    await world.settle()
    assert world.server.sent_to(WANG) == []
