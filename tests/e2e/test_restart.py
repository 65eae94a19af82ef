"""A restart loses nothing: steps that fell due while the bot was down fire right after
start, and an edited roster import keeps every request and its history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.files.roster import parse_roster
from storage.db import make_engine
from storage.roster_store import import_roster
from storage.tables import events, people, requests
from tests.e2e.conftest import CHEN, LI, MAO, ROSTER, WANG, World, seeded_runtime


async def test_steps_that_fell_due_while_down_fire_right_after_start_oldest_first(
    world: World, tmp_path: Path
) -> None:
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    await world.settle()
    db = Path(world.runtime.settings.db)
    await world.runtime.stop()
    world.clock.advance(timedelta(minutes=6))  # secretary at 2 min, committee at 5 min
    world.runtime = await seeded_runtime(world.server, db, clock=world.clock)
    await world.runtime.wakeups.fire_due()
    await world.user(WANG).wait_message("ESCALATION from level 0")
    await world.user(CHEN).wait_message("ESCALATION from level 1")
    async with world.runtime.engine.connect() as conn:
        levels = [
            e.data["level"]
            for e in (await conn.execute(select(events).where(events.c.type == "escalated")))
        ]
    assert levels == [1, 2]


async def test_reimporting_an_edited_roster_keeps_requests_and_history(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    alert = await world.user(LI).wait_message("chest pain")
    await world.user(LI).press(alert, "Take")
    await world.user(MAO).wait_message("is handling")
    edited = (
        ROSTER.read_text()
        .replace("name: 李强", "name: 李强强")
        .replace("members: [li, zhao, qian]", "members: [li, qian]")
        .replace("visitors: [li, zhao]", "visitors: [li]")  # a visitor must be a member
    )
    assert "李强强" in edited
    engine = make_engine(world.runtime.settings.db)
    try:
        report = await import_roster(
            engine, parse_roster(edited, "edited.yaml"), now=world.clock.now()
        )
    finally:
        await engine.dispose()
    assert report.changed
    async with world.runtime.engine.connect() as conn:
        req = (await conn.execute(select(requests))).one()
        history = [e.type for e in await conn.execute(select(events).order_by(events.c.id))]
        name = await conn.scalar(select(people.c.name).where(people.c.key == "li"))
    assert req.state == "taken" and req.requester_name == "茅建国"
    assert history == ["raised", "alerted", "taken"]
    assert name == "李强强"
    world.user(LI).send("/resolve 1 done")
    await world.user(MAO).wait_message(lambda m: "Confirm" in m.buttons)


async def test_the_committee_hears_once_how_long_the_line_was_down(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    await world.settle()
    db = Path(world.runtime.settings.db)
    chen = world.user(CHEN)
    chen.mark()
    await world.runtime.stop()  # a clean stop marks the line alive one last time
    world.clock.advance(timedelta(hours=2))  # both escalation steps fell due meanwhile
    world.runtime = await seeded_runtime(world.server, db, clock=world.clock)
    told = await chen.wait_message("was down")
    assert "(2 h 0 min)" in told.text and "1 deadlines" in told.text
    await world.runtime.stop()
    world.clock.advance(timedelta(minutes=3))  # within the gap (10 min): nothing to tell
    world.runtime = await seeded_runtime(world.server, db, clock=world.clock)
    await world.settle()
    assert [m.text for m in chen.messages if "was down" in m.text] == [told.text]
