"""A worker's family: added by the worker, served by the worker's branch, kept apart."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.files.roster import parse_roster
from storage.roster_store import import_roster
from storage.tables import people, requests
from tests.e2e.conftest import MAO, ROSTER, SUN, SUN_MOTHER, WANG, WU, ZHOU, World

FATHER = 5200


async def test_worker_adds_a_family_member_whose_emergency_reaches_the_branch(
    world: World,
) -> None:
    world.user(SUN).send("/family 孙父")
    link = await world.user(SUN).wait_message("Forward this link to 孙父")
    code = re.search(r"start=([A-Za-z0-9_-]+)", link.text)
    assert code is not None
    father = world.user(FATHER, "Father")
    father.send(f"/start {code.group(1)}")
    await father.wait_message("Welcome, 孙父")
    father.send("/120 fell down the stairs")
    alert = await world.user(WU).wait_message("fell down the stairs")
    assert "👪 family of 孙小红" in alert.text and "孙父" in alert.text
    await world.user(SUN).wait_message("孙父 of your family raised request #1")
    await world.user(WU).press(alert, "Take")
    await father.wait_message("吴建华 is handling your request #1")  # the requester is told
    world.user(ZHOU).send("/board")
    board = await world.user(ZHOU).wait_message("Board")
    assert "family of 孙小红" in board.text
    # The import does not remove a family member added in the bot.
    roster = parse_roster(ROSTER.read_text(), str(ROSTER))
    await import_roster(world.runtime.engine, roster, now=world.clock.now())
    async with world.runtime.engine.connect() as conn:
        active = await conn.scalar(select(people.c.active).where(people.c.name == "孙父"))
    assert active


async def test_family_member_sees_only_their_own_requests(world: World) -> None:
    world.user(SUN).send("/110 my locker was broken into")
    await world.user(SUN).wait_message("Request #1 received")
    world.user(SUN_MOTHER).send("/110 someone at the door")
    await world.user(SUN_MOTHER).wait_message("Request #2 received")
    world.user(SUN_MOTHER).send("/mine")
    mine = await world.user(SUN_MOTHER).wait_message("#2")
    assert "#1" not in mine.text
    world.user(SUN_MOTHER).send("/status 1")
    await world.user(SUN_MOTHER).wait_message("no request #1")
    async with world.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                select(requests.c.branch_id, requests.c.family_of_name).where(requests.c.id == 2)
            )
        ).one()
    assert row.family_of_name == "孙小红" and row.branch_id is not None


async def test_family_cannot_be_added_by_family_or_strangers(world: World) -> None:
    world.user(SUN_MOTHER).send("/family 孙姨")
    await world.user(SUN_MOTHER).wait_message("Only a registered employee")
    world.user(9999, "Nobody").send("/family X")
    await world.user(9999).wait_message("Only a registered employee")
    world.user(MAO).send("/family")
    await world.user(MAO).wait_message("Usage: /family NAME")
    assert await world.count(people, people.c.family_of_id.is_not(None)) == 1  # sun-mother


async def test_secretary_can_resend_a_family_members_invite(world: World) -> None:
    world.user(ZHOU).send("/invite sun-mother")  # family of a dock worker: 周海涛's branch
    await world.user(ZHOU).wait_message("start=")
    world.user(WANG).send("/invite sun-mother")
    await world.user(WANG).wait_message("sun-mother is not in your branch")
