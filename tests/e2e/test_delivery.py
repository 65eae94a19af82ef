"""Delivery through the outbox: undeliverable alerts escalate at once; 429s, 5xx and
timeouts are retried without losing or blindly repeating anything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.tables import events, outbox, people
from tests.e2e.conftest import CHEN, LI, MAO, QIAN, WANG, ZHAO, World


async def test_level_whose_every_alert_is_refused_escalates_at_once(world: World) -> None:
    world.server.block(LI)
    world.server.deactivate(QIAN)
    world.user(MAO).send("/120 chest pain")
    alert = await world.user(WANG).wait_message("ESCALATION from level 0")  # no timer waited
    assert alert.buttons == ["Take"]
    for name in ("李强", "钱卫东"):
        await world.user(WANG).wait_message(f"{name} cannot be reached on Telegram")
    async with world.runtime.engine.connect() as conn:
        unreachable: set[str] = set(
            await conn.scalars(select(people.c.key).where(people.c.unreachable_since.is_not(None)))
        )
    assert unreachable == {"li", "qian"}
    assert await world.count(events, events.c.type == "undeliverable") == 2


async def test_the_board_names_whom_an_alert_could_not_reach(world: World) -> None:
    world.server.block(LI)
    world.user(MAO).send("/120 chest pain")
    await world.user(QIAN).wait_message("chest pain")
    await world.user(WANG).wait_message("李强 cannot be reached")
    world.user(WANG).send("/board")
    board = await world.user(WANG).wait_message("Board")
    assert "undeliverable to 李强" in board.text


async def test_one_reachable_member_is_enough_to_wait_for_the_timer(world: World) -> None:
    world.server.block(LI)
    world.user(MAO).send("/120 chest pain")
    await world.user(QIAN).wait_message("chest pain")
    await world.user(WANG).wait_message("cannot be reached")
    await world.settle()
    assert not any("ESCALATION" in m.text for m in world.user(WANG).messages)


async def test_unreachable_member_is_skipped_until_they_write_again(world: World) -> None:
    world.server.chat_not_found(LI)
    world.user(MAO).send("/120 first")
    await world.user(QIAN).wait_message("first")
    await world.user(WANG).wait_message("cannot be reached")
    world.server.unblock(LI)
    world.user(MAO).send("/110 second")
    await world.user(2001).wait_message("Request #2 received")
    await world.settle()
    assert not any("second" in m.text for m in world.user(LI).messages)
    world.user(LI).send("/mine")  # writing to the bot makes them reachable again
    await world.user(LI).wait_message("Waiting for a taker")
    world.user(MAO).send("/120 new third")
    await world.user(LI).wait_message("third")


async def test_429_and_5xx_are_retried_and_nothing_is_lost(world: World) -> None:
    world.server.fail("sendMessage", chat_id=LI, status=429, retry_after=1)
    world.server.fail("sendMessage", chat_id=QIAN, status=502)
    world.user(MAO).send("/120 chest pain")
    await world.server.wait_call(lambda c: c.status == 429)
    await world.server.wait_call(lambda c: c.status == 502)
    await world.settle()
    # Backoff waits on the fake clock: move it on as real seconds would.
    world.clock.advance(timedelta(seconds=2))
    await world.settle()
    await world.user(LI).wait_message("chest pain")
    await world.user(QIAN).wait_message("chest pain")
    await world.settle()
    assert world.server.sent_to(WANG) == []  # retries are not undeliverable
    assert await world.count(events, events.c.type == "undeliverable") == 0


@pytest.mark.parametrize("read_timeout", [0.5])
async def test_a_send_that_timed_out_is_repeated_marked_as_a_repeat(world: World) -> None:
    world.server.delay("sendMessage", chat_id=LI, seconds=1.5, deliver=True)
    world.user(MAO).send("/120 chest pain")
    first = await world.user(LI).wait_message("chest pain")
    assert not first.text.startswith("(repeat)")
    await world.server.wait_call(lambda c: c.chat_id == LI and c.status == 200)
    await world.settle()  # the timeout has been seen and the row put back, marked
    world.clock.advance(timedelta(seconds=2))
    world.runtime.dispatcher.wake()
    again = await world.user(LI).wait_message(lambda m: m.text.startswith("(repeat)"), timeout=10)
    assert "chest pain" in again.text
    await world.settle()
    async with world.runtime.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.status).where(outbox.c.chat_id == LI))).all()
    assert [r.status for r in rows] == ["sent"]


@pytest.mark.parametrize("read_timeout", [0.5])
async def test_a_chat_that_keeps_timing_out_gets_one_repeat_not_five(world: World) -> None:
    """Each answer held past the read timeout (the message itself arrives): the alert is
    repeated once, marked, and a repeat that times out too is not sent again."""
    world.server.delay("sendMessage", chat_id=LI, seconds=1.5, deliver=True, times=4)
    world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    for _ in range(6):  # the backoffs, on our clock; more than enough for four more tries
        await world.server.wait_call(lambda c: c.chat_id == LI and c.status == 200)
        await world.settle()
        world.clock.advance(timedelta(seconds=4))
        world.runtime.dispatcher.wake()
    await world.settle()
    texts = [m.text for m in world.user(LI).messages if "chest pain" in m.text]
    assert len(texts) == 2 and texts[1] == "(repeat) " + texts[0]
    async with world.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.status, outbox.c.error).where(outbox.c.chat_id == LI)
            )
        ).all()
    assert [r.status for r in rows] == ["failed"] and "may have arrived" in rows[0].error


async def test_an_error_answer_or_a_refused_connection_is_retried_unmarked(
    world: World,
) -> None:
    world.server.fail("sendMessage", chat_id=LI, status=502, times=2)
    world.user(MAO).send("/120 chest pain")
    await world.server.wait_call(lambda c: c.chat_id == LI and c.status == 502)
    for _ in range(3):
        await world.settle()
        world.clock.advance(timedelta(seconds=3))
        world.runtime.dispatcher.wake()
    alert = await world.user(LI).wait_message("chest pain")
    await world.settle()
    assert not alert.text.startswith("(repeat)")
    assert [m.text for m in world.user(LI).messages if "chest pain" in m.text] == [alert.text]


async def test_stuck_alert_is_reported_to_the_secretary_after_a_minute(world: World) -> None:
    world.server.fail("sendMessage", chat_id=LI, status=429, retry_after=120, times=5)
    world.user(MAO).send("/120 chest pain")
    await world.user(QIAN).wait_message("chest pain")
    world.clock.advance(timedelta(seconds=61))
    await world.runtime.wakeups.sweep()
    told = await world.user(WANG).wait_message("has not been delivered for over a minute")
    assert "李强" in told.text
    world.user(MAO).send("/status 1")
    status = await world.user(MAO).wait_message("waiting to be delivered")
    assert "#1" in status.text


async def test_answers_go_through_the_outbox_and_survive_a_429(world: World) -> None:
    """A flooded chat answers 429: a plain answer waits its turn and is sent, never dropped."""
    chen = world.user(CHEN)
    world.server.fail("sendMessage", chat_id=CHEN, status=429, retry_after=1, times=2)
    for _ in range(3):
        chen.send("/help")
    await world.server.wait_call(lambda c: c.status == 429)
    await world.settle()
    world.clock.advance(timedelta(seconds=2))  # the pause Telegram asked for, on our clock
    await world.settle()
    world.clock.advance(timedelta(seconds=2))
    await world.settle()
    answers = [m for m in chen.messages if m.text.startswith("Branch 110/120 help line.")]
    assert len(answers) == 3
    async with world.runtime.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.purpose, outbox.c.status))).all()
    assert [tuple(r) for r in rows] == [("reply", "sent")] * 3


async def test_requesters_take_turns_so_one_workers_messages_do_not_bury_anothers(
    world: World,
) -> None:
    """li's chat is held back (429) while mao sends five follow-ups and zhao raises a 120
    and adds one: when it opens, zhao's words do not wait behind all of mao's (mao, who
    was served more, waits his turn)."""
    world.server.fail("sendMessage", chat_id=LI, status=429, retry_after=5)
    world.user(MAO).send("/120 chest pain")
    await world.server.wait_call(lambda c: c.chat_id == LI and c.status == 429)
    for k in range(5):
        world.user(MAO).send(f"mao follow-up {k}")
        await world.user(QIAN).wait_message(f"mao follow-up {k}")
    world.user(ZHAO).send("/120 zhao fell")
    await world.user(QIAN).wait_message("zhao fell")
    world.user(ZHAO).send("zhao follow-up")
    await world.user(QIAN).wait_message("zhao follow-up")
    await world.settle()
    world.clock.advance(timedelta(seconds=6))
    world.runtime.dispatcher.wake()
    await world.user(LI).wait_message("mao follow-up 4", timeout=10)
    await world.settle()
    order = [m.text for m in world.user(LI).messages]
    follow_ups = [t.splitlines()[-1] for t in order if "follow-up" in t]
    assert "zhao follow-up" in follow_ups[:2], follow_ups
    assert [t for t in follow_ups if t.startswith("mao")] == [
        f"mao follow-up {k}" for k in range(5)
    ]
