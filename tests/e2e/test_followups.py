"""After a take: silent owners, overdue resolutions, unconfirmed results; /escalate; away."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import events, requests
from tests.e2e.conftest import LI, MAO, QIAN, WANG, ZHAO, World


async def _taken_by_li(world: World, text: str = "/120 chest pain") -> None:
    world.user(MAO).send(text)
    alert = await world.user(LI).wait_message("#1")
    await world.user(LI).press(alert, "Take")
    await world.user(MAO).wait_message("is handling")


async def _state(world: World) -> tuple[str, int | None]:
    async with world.runtime.engine.connect() as conn:
        row = (await conn.execute(select(requests.c.state, requests.c.owner_id))).one()
    return row.state, row.owner_id


async def test_silent_owner_is_reminded_then_the_request_escalates(world: World) -> None:
    await _taken_by_li(world)
    await world.advance(minutes=10)  # critical take-timeout
    await world.user(LI).wait_message("have not written to 茅建国")
    assert (await _state(world))[0] == "taken"
    await world.advance(minutes=10)
    await world.user(LI).wait_message("passed on because you did not respond")
    alert = await world.user(WANG).wait_message("ESCALATION from level 0")
    assert alert.buttons == ["Take"]
    assert await _state(world) == ("open", None)
    # li's own messages (the alert he took, the reminder) lose Resolved/Release
    await world.user(LI).wait_message("Released: 李强 did not respond")
    await world.settle()
    assert not any({"Resolved", "Release"} & set(m.buttons) for m in world.user(LI).messages)


async def test_an_owner_who_writes_is_not_chased(world: World) -> None:
    await _taken_by_li(world)
    world.user(LI).send("on my way")  # relayed: the owner has spoken
    await world.user(MAO).wait_message("on my way")
    await world.advance(minutes=30)
    await world.settle()
    assert (await _state(world))[0] == "taken"
    assert not any("have not written" in m.text for m in world.user(LI).messages)


async def test_unresolved_request_reminds_owner_then_tells_the_secretary(world: World) -> None:
    await _taken_by_li(world)
    world.user(LI).send("on my way")
    await world.user(MAO).wait_message("on my way")
    await world.advance(hours=1)  # 120: resolve within 1 h
    await world.user(LI).wait_message("should be resolved by now")
    await world.advance(minutes=30)
    told = await world.user(WANG).wait_message("overdue and still not resolved")
    assert "李强" in told.text


async def test_unconfirmed_resolution_reminds_worker_then_asks_secretary(world: World) -> None:
    await _taken_by_li(world)
    world.user(LI).send("/resolve 1 done")
    await world.user(MAO).wait_message(lambda m: "Confirm" in m.buttons)
    world.user(MAO).mark()
    await world.advance(hours=24)
    await world.user(MAO).wait_message("Is your trouble over?")
    await world.advance(hours=48)
    ask = await world.user(WANG).wait_message("has not confirmed request #1")
    assert ask.buttons == ["Confirm for the worker", "Reopen"]
    answer = await world.user(WANG).press(ask, "Confirm for the worker")
    assert "/confirm 1" in (answer.text or "")
    world.user(WANG).send("/confirm 1")
    await world.user(WANG).wait_message("Say why")
    world.user(WANG).send("/confirm 1 he told me by phone it is fine")
    await world.user(WANG).wait_message("closed on the worker's behalf")
    await world.user(MAO).wait_message("on your behalf: he told me by phone")
    assert (await _state(world))[0] == "closed"
    # li's own message loses its Resolved/Release buttons: the request is closed; and
    # the worker's questions lose Confirm / Not resolved
    await world.user(LI).wait_message("🏁 Request #1 is closed.")
    assert not any("Resolved" in m.buttons for m in world.user(LI).messages)
    await world.user(MAO).wait_message("🏁 Request #1 is closed.")
    await world.settle()
    assert not any("Confirm" in m.buttons for m in world.user(MAO).messages)
    # Nothing closes by itself, and nothing is chased after closing.
    assert await world.count(events, events.c.type == "closed") == 1


async def test_confirming_on_the_reminder_takes_the_first_questions_buttons_too(
    world: World,
) -> None:
    await _taken_by_li(world)
    world.user(LI).send("/resolve 1 done")
    first = await world.user(MAO).wait_message(lambda m: "Confirm" in m.buttons)
    await world.advance(hours=24)
    reminder = await world.user(MAO).wait_message(
        lambda m: "Confirm" in m.buttons and m.message_id != first.message_id
    )
    await world.user(MAO).press(reminder, "Confirm")
    await world.user(MAO).wait_message("How would you rate")
    await world.settle()
    assert not any("Confirm" in m.buttons for m in world.user(MAO).messages)
    assert (await _state(world))[0] == "closed"


async def test_secretary_reopens_an_unconfirmed_request(world: World) -> None:
    await _taken_by_li(world)
    world.user(LI).send("/resolve 1")
    await world.user(MAO).wait_message(lambda m: "Confirm" in m.buttons)
    await world.advance(hours=72)
    ask = await world.user(WANG).wait_message("has not confirmed")
    world.user(QIAN).mark()
    answer = await world.user(QIAN).press_data(ask.message_id, "o:1")  # not theirs to press
    assert "no request #1" in (answer.text or "")
    await world.user(WANG).press(ask, "Reopen")
    await world.user(LI).wait_message("reopened request #1")
    assert (await _state(world))[0] == "taken"


async def test_worker_escalates_an_open_request_at_once(world: World) -> None:
    world.user(MAO).send("/110 the fight is getting worse")
    await world.user(LI).wait_message("fight")
    world.user(MAO).send("/escalate 1 nobody answers")
    await world.user(MAO).wait_message("escalated; told: 王芳")
    await world.user(WANG).wait_message("ESCALATION from level 0")
    world.user(ZHAO).send("/escalate 1 not mine")  # neither worker nor owner
    await world.user(ZHAO).wait_message("no request #1")
    world.user(MAO).send("/escalate")
    await world.user(MAO).wait_message("Usage: /escalate N")
    assert await world.count(events, events.c.type == "escalated") == 1


async def test_owner_escalates_a_taken_request_and_keeps_it(world: World) -> None:
    await _taken_by_li(world)
    world.user(LI).send("/escalate 1 need a car")
    note = await world.user(WANG).wait_message("escalated request #1")
    assert "need a car" in note.text
    assert (await _state(world))[0] == "taken"


async def test_away_members_are_skipped_and_back_again(world: World) -> None:
    world.user(LI).send("/away 3d")
    await world.user(LI).wait_message("You are away until")
    world.user(MAO).send("/120 first")
    await world.user(QIAN).wait_message("first")
    await world.settle()
    assert not any("first" in m.text for m in world.user(LI).messages)
    world.user(LI).send("/back")
    await world.user(LI).wait_message("Welcome back")
    world.user(MAO).send("/120 new second")
    await world.user(LI).wait_message("second")


async def test_whole_level_away_is_skipped(world: World) -> None:
    for member in (LI, QIAN):
        world.user(member).send("/away 2026-12-31" if member == LI else "/away 1d")
        await world.user(member).wait_message("You are away until")
    world.user(MAO).send("/120 new nobody is here")
    alert = await world.user(WANG).wait_message("nobody is here")
    assert alert.buttons == ["Take"]


async def test_bad_away_input_changes_nothing(world: World) -> None:
    for text, answer in (
        ("/away", "Usage"),
        ("/away yesterday-ish", "could not read"),
        ("/away 2020-01-01", "already passed"),
        ("/away 2031-01-01", "at most"),
    ):
        world.user(LI).send(text)
        await world.user(LI).wait_message(answer)
    world.user(MAO).send("/away 1d")
    await world.user(MAO).wait_message("Only members")
    world.user(MAO).send("/120 still routed")
    await world.user(LI).wait_message("still routed")
