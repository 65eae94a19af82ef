"""The roster from the secretary's phone: add, handles, away, remove; then an import."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.files.roster import parse_roster
from storage.roster_store import import_roster
from storage.tables import people, requests, roster_events
from tests.e2e.conftest import CHEN, LI, MAO, QIAN, ROSTER, SUN_MOTHER, WANG, ZHOU, World

NEWCOMER = 5100


async def _person(world: World, key: str) -> tuple[bool, list[str], object]:
    async with world.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                select(people.c.active, people.c.handles, people.c.away_until).where(
                    people.c.key == key
                )
            )
        ).one()
    return bool(row.active), list(row.handles), row.away_until


async def _join(world: World, link_text: str, telegram_id: int, name: str) -> None:
    code = re.search(r"start=([A-Za-z0-9_-]+)", link_text)
    assert code is not None
    phone = world.user(telegram_id, name)
    phone.send(f"/start {code.group(1)}")
    await phone.wait_message(f"Welcome, {name}")


async def test_secretary_adds_a_member_who_joins_and_is_given_handles(world: World) -> None:
    world.user(WANG).send("/invite member xu 许文")
    link = await world.user(WANG).wait_message("https://t.me/helpline_bot?start=")
    await _join(world, link.text, NEWCOMER, "许文")
    world.user(WANG).send("/handles xu 120 gear")
    await world.user(WANG).wait_message("许文 now handles: 120, gear")
    assert (await _person(world, "xu"))[1] == ["120", "gear"]
    world.user(MAO).send("/120 dizzy")
    alert = await world.user(NEWCOMER).wait_message("dizzy")
    assert alert.buttons == ["Take"]
    async with world.runtime.engine.connect() as conn:
        logged = (
            await conn.execute(select(roster_events.c.type).where(roster_events.c.source == "bot"))
        ).all()
    assert [r.type for r in logged] == ["added", "handles"]


async def test_secretary_marks_a_member_away_for_them(world: World) -> None:
    world.user(WANG).send("/away li 2d")
    await world.user(WANG).wait_message("李强 is away until")
    assert (await _person(world, "li"))[2] is not None
    world.user(MAO).send("/120 dizzy")
    await world.user(QIAN).wait_message("dizzy")
    await world.settle()
    assert not any("dizzy" in m.text for m in world.user(LI).messages)
    world.user(LI).send("/back")  # the member's own change is in the roster's timeline too
    await world.user(LI).wait_message("Welcome back")
    async with world.runtime.engine.connect() as conn:
        logged = (
            await conn.execute(
                select(roster_events.c.type, people.c.key)
                .join(people, people.c.id == roster_events.c.actor_id)
                .where(roster_events.c.source == "bot")
                .order_by(roster_events.c.id)
            )
        ).all()
    assert [tuple(r) for r in logged] == [("away", "wang"), ("back", "li")]


async def test_removing_a_member_reopens_their_requests_and_keeps_history(world: World) -> None:
    world.user(MAO).send("/120 bleeding")
    alert = await world.user(LI).wait_message("bleeding")
    await world.user(LI).press(alert, "Take")
    await world.user(MAO).wait_message("李强 is handling")
    world.user(WANG).send("/remove li")
    await world.user(WANG).wait_message("Say why")
    assert (await _person(world, "li"))[0]
    world.user(WANG).send("/remove li left the company")
    await world.user(WANG).wait_message(
        "li is off the roster; their history stays. Alerted again: #1"
    )
    await world.user(QIAN).wait_message(lambda m: "bleeding" in m.text and m.buttons == ["Take"])
    await world.user(MAO).wait_message("passed to someone else")
    async with world.runtime.engine.connect() as conn:
        req = (await conn.execute(select(requests.c.state, requests.c.owner_id))).one()
        reason = await conn.scalar(
            select(roster_events.c.reason).where(roster_events.c.type == "removed")
        )
    assert (req.state, req.owner_id) == ("open", None)
    assert reason == "left the company"
    assert not (await _person(world, "li"))[0]
    world.user(LI).send("/board")  # a removed member is nobody to the bot now
    await world.user(LI).wait_message("The board is for branch secretaries")


async def test_removing_a_worker_removes_their_family(world: World) -> None:
    world.user(ZHOU).send("/remove sun moved away")
    await world.user(ZHOU).wait_message("sun is off the roster")
    assert not (await _person(world, "sun-mother"))[0]
    world.user(SUN_MOTHER).send("/110 help")  # now unknown: straight to the committee
    await world.user(SUN_MOTHER).wait_message("received")
    async with world.runtime.engine.connect() as conn:
        unregistered = await conn.scalar(select(requests.c.unregistered))
    assert unregistered


async def test_roster_changes_are_refused_outside_ones_branch(world: World) -> None:
    for text, answer in (
        ("/remove sun no reason to", "nobody with the key sun in your branch"),
        ("/handles zhou 120", "nobody with the key zhou in your branch"),
        ("/handles li flying", "not something a member can handle"),
        ("/handles mao 120", "not a member of a branch"),
        ("/away wu 2d", "nobody with the key wu in your branch"),
        ("/away li 2026-12-09 10:00 UTC-48", "without a time zone"),  # was a crash
        ("/away li 12-09 10:00 GMT+3", "without a time zone"),
        ("/invite member li 李二", "The key li is taken"),
        ("/invite boss xx 某某", "Usage: /invite PERSON_KEY"),
    ):
        world.user(WANG).send(text)
        await world.user(WANG).wait_message(answer)
    world.user(CHEN).send("/remove wang reorganisation")
    await world.user(CHEN).wait_message("王芳 is a branch secretary")
    world.user(LI).send("/remove qian lazy")
    await world.user(LI).wait_message("Only a branch secretary or the committee")
    assert await world.count(roster_events, roster_events.c.source == "bot") == 0


async def test_import_after_bot_changes_says_what_the_file_overrides(world: World) -> None:
    world.user(WANG).send("/handles li 120")
    await world.user(WANG).wait_message("李强 now handles")
    world.user(WANG).send("/remove qian retired")
    await world.user(WANG).wait_message("qian is off the roster")
    roster = parse_roster(ROSTER.read_text(), str(ROSTER))
    report = await import_roster(world.runtime.engine, roster, now=world.clock.now())
    assert report.overridden == [
        "li: handles set to 120 by 王芳",
        "qian: removed by 王芳 (retired)",
    ]
    assert (await _person(world, "qian"))[0]  # the file wins
    again = await import_roster(world.runtime.engine, roster, now=world.clock.now())
    assert again.overridden == [] and not again.changed  # said once
