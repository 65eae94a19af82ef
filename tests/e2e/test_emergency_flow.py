"""A worker's /120 to a confirmed resolution, through the real bot and the sandbox."""

from __future__ import annotations

from tests.e2e.conftest import LI, MAO, QIAN, WANG, World


async def test_emergency_reaches_handlers_and_worker_gets_number(world: World) -> None:
    worker, li, qian = world.user(MAO), world.user(LI), world.user(QIAN)
    worker.send("/120 chest pain at quay 3")
    alert = await li.wait_message("chest pain at quay 3")
    assert "#1" in alert.text and "茅建国" in alert.text and "仓储部" in alert.text
    assert alert.buttons == ["Take"]
    await qian.wait_message("chest pain at quay 3")
    ack = await worker.wait_message("Request #1 received")
    assert "李强" in ack.text and "钱卫东" in ack.text
    # Nobody else was alerted: zhao does not handle 120, the secretary waits for escalation.
    assert world.server.sent_to(WANG) == []


async def test_whole_story_take_talk_resolve_confirm_rate(world: World) -> None:
    worker, li, qian = world.user(MAO), world.user(LI), world.user(QIAN)
    worker.send("/120 chest pain")
    alert = await li.wait_message("chest pain")
    await qian.wait_message("chest pain")
    answer = await li.press(alert, "Take")
    assert "You took request #1" in (answer.text or "")
    await qian.wait_message("Taken by 李强")
    assert world.user(QIAN).last.buttons == []
    told = await worker.wait_message("李强 is handling your request #1")
    mine = await li.wait_message(lambda m: "Resolved" in m.buttons)

    worker.send("I am at the gate", reply_to=told)
    relayed = await li.wait_message("I am at the gate")
    li.send("Coming in 2 minutes", reply_to=relayed)
    await worker.wait_message("Coming in 2 minutes")
    assert not any("Coming in 2 minutes" in m.text for m in qian.messages)

    await li.press(mine, "Resolved")
    question = await worker.wait_message(lambda m: "Confirm" in m.buttons)
    assert question.buttons == ["Confirm", "Not resolved"]
    await worker.press(question, "Confirm")
    rating = await worker.wait_message("How would you rate")
    answer = await worker.press(rating, "5⭐")
    assert "Thank you" in (answer.text or "")
    rated = await worker.wait_message("Your rating: ⭐⭐⭐⭐⭐")  # stays under the question
    assert rated.message_id == rating.message_id and rated.buttons == []
    await li.wait_message("confirmed request #1")
    # Closed: the owner's Resolved/Release buttons are gone from li's phone.
    closed = await li.wait_message("🏁 Request #1 is closed.")
    assert closed.message_id == mine.message_id and closed.buttons == []
    assert not any("Resolved" in m.buttons or "Release" in m.buttons for m in li.messages)

    worker.send("/status 1")
    status = await worker.wait_message("State: closed")
    for line in (
        "raised the request",
        "took it",
        "I am at the gate",
        "marked it resolved",
        "confirmed it is resolved",
        "⭐⭐⭐⭐⭐",
    ):
        assert line in status.text
