"""Bad input gets a short answer and changes nothing; nothing a worker wrote is lost."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import events, outbox, requests
from tests.e2e.conftest import LI, MAO, QIAN, SUN, World


async def _snapshot(world: World) -> list[Any]:
    async with world.runtime.engine.connect() as conn:
        reqs = (await conn.execute(select(requests).order_by(requests.c.id))).all()
        evs = (await conn.execute(select(events).order_by(events.c.id))).all()
    return [tuple(r) for r in reqs] + [tuple(e) for e in evs]


async def test_garbage_and_forged_callback_data_change_nothing(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    alert = await world.user(LI).wait_message("chest pain")
    await world.user(MAO).wait_message("received")
    before = await _snapshot(world)
    worker = world.user(MAO)
    for data in ("garbage", "t:1:" + "x" * 70, "x:1", "t:-1", "", "t:99999", "s:1:9", "k:0:nope"):
        answer = await worker.press_data(alert.message_id, data)
        assert answer.text, data
    # A worker pressing Take on their own request (forged from someone else's message):
    answer = await worker.press_data(alert.message_id, "t:1")
    assert "no request #1 that you can act on" in (answer.text or "")
    # Someone from another branch:
    answer = await world.user(SUN).press_data(alert.message_id, "t:1")
    assert "no request #1" in (answer.text or "")
    # The member pressing Resolved before taking it:
    answer = await world.user(LI).press_data(alert.message_id, "r:1")
    assert "no request #1" in (answer.text or "")
    assert await _snapshot(world) == before


async def test_stale_take_after_someone_took_it_is_refused(world: World) -> None:
    world.user(MAO).send("/120 chest pain")
    a = await world.user(LI).wait_message("chest pain")
    b = await world.user(QIAN).wait_message("chest pain")
    await world.user(LI).press(a, "Take")
    answer = await world.user(QIAN).press_data(b, "t:1")
    assert "already taken by 李强" in (answer.text or "")
    assert await world.count(events, events.c.type == "taken") == 1


async def test_ten_thousand_characters_are_stored_whole_and_sent_within_limits(
    world: World,
) -> None:
    long_text = ("救命" * 2500) + ("😀" * 2500)  # 7,500 characters, 10,000 UTF-16 units
    world.user(MAO).send("/120 " + long_text)
    alert = await world.user(LI).wait_message("#1")
    assert len(alert.text.encode("utf-16-le")) // 2 <= 4096
    # The footer survived; the worker's text was what got shortened.
    assert alert.text.splitlines()[-1].startswith("Raised ") and "…" in alert.text
    async with world.runtime.engine.connect() as conn:
        stored = await conn.scalar(select(requests.c.text).where(requests.c.id == 1))
    assert stored == long_text
    await world.user(LI).press(alert, "Take")
    world.user(MAO).mark()
    await world.user(MAO).wait_message("is handling")
    world.user(MAO).send(long_text)
    li = world.user(LI)

    def relayed() -> str:
        pieces = [m.text for m in li.messages if m.text.startswith("💬 #1")]
        return "".join(p.split("\n", 1)[1] for p in pieces)

    await li.wait_message(lambda _m: relayed() == long_text, timeout=10)
    assert len([m for m in li.messages if m.text.startswith("💬 #1")]) == 3


async def test_markup_characters_emoji_and_rtl_marks_arrive_exactly(world: World) -> None:
    tricky = "<b>bold?</b> & *stars* _under_ `tick` [link](x) 🚑 \u200fمرحبا\u200e &amp;"
    world.user(MAO).send("/110 " + tricky)
    alert = await world.user(LI).wait_message("#1")
    assert tricky in alert.text
    await world.user(LI).press(alert, "Take")
    await world.user(MAO).wait_message("is handling")
    world.user(LI).send("reply " + tricky, reply_to=alert)
    got = await world.user(MAO).wait_message("reply ")
    assert ("reply " + tricky) in got.text


async def test_replayed_update_creates_one_request_and_one_alert(world: World) -> None:
    sent = world.user(MAO).send("/120 chest pain")
    await world.user(LI).wait_message("chest pain")
    await world.settle()
    replay = {"update_id": world.server.state.last_update_id, "message": sent}  # same id
    world.server.push_update(replay)
    world.user(MAO).send("/mine")  # a later update proves the replay was consumed
    await world.user(MAO).wait_message("Your requests")
    assert await world.count(requests) == 1
    assert await world.count(outbox, outbox.c.purpose.in_(("alert", "alert-retired"))) == 2


async def test_edited_message_and_sticker_do_not_crash_or_raise_requests(world: World) -> None:
    worker = world.user(MAO)
    sent = worker.send("/120 chest pain")
    alert = await world.user(LI).wait_message("chest pain")
    worker.edit(sent, "/120 chest pain, now worse")
    worker.send_sticker()
    await world.user(LI).wait_message(lambda m: m.kind == "sticker")
    await world.user(LI).press(alert, "Take")
    await worker.wait_message("is handling")
    note = worker.send("at gate 3")
    await world.user(LI).wait_message("at gate 3")
    worker.edit(note, "at gate 4")
    await world.user(LI).wait_message("(edited) at gate 4")
    assert await world.count(requests) == 1


async def test_a_stranger_writing_freely_gets_help_not_an_error(world: World) -> None:
    stranger = world.user(8888, "Someone")
    stranger.send("hello?")
    answer = await stranger.wait_message("/120")
    assert "not in the roster" in answer.text
    stranger.send("/doesnotexist")
    await stranger.wait_message("/request")
    stranger.send("/status")
    await stranger.wait_message("Usage: /status N")
    assert await world.count(requests) == 0
