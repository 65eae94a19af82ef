"""The log tells a request's story - every step, its number and kind - and nothing a
worker wrote or anybody's name (issue "Run it as a service", logs that tell the story)."""

from __future__ import annotations

import functools
import io
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.logs import configured
from sandbox.records import Call
from tests.e2e.conftest import LI, MAO, QIAN, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORDS = "crane fell on my leg at berth 4"
NAMES = ("茅建国", "李强", "钱卫东", "王芳")


def told(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "helpline.story"]


async def test_a_request_from_raised_to_confirmed_is_one_line_a_step(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="helpline.story")
    worker, li, qian = world.user(MAO), world.user(LI), world.user(QIAN)
    worker.send(f"/120 {WORDS}")
    alert = await li.wait_message(WORDS)
    await qian.wait_message(WORDS)
    await li.press(alert, "Take")
    told_worker = await worker.wait_message("李强 is handling your request #1")
    worker.send("my name is 茅建国 and it hurts", reply_to=told_worker)
    await li.wait_message("it hurts")
    mine = await li.wait_message(lambda m: "Resolved" in m.buttons)
    await li.press(mine, "Resolved")
    question = await worker.wait_message(lambda m: "Confirm" in m.buttons)
    await worker.press(question, "Confirm")
    await li.wait_message("confirmed request #1")

    lines = [r.getMessage() for r in told(caplog)]
    assert lines[:2] == [
        "request #1 raised kind=120",
        "request #1 alerted kind=120 level=0 people=2",
    ]
    for step in ("taken", "message", "resolved", "closed"):  # closed: the worker confirmed
        assert f"request #1 {step} kind=120" in lines
    everything = "\n".join(r.getMessage() + repr(getattr(r, "story", "")) for r in told(caplog))
    assert "crane" not in everything and "hurts" not in everything
    assert not any(name in everything for name in NAMES)
    alerted = next(r for r in told(caplog) if "alerted" in r.getMessage())
    assert alerted.story == {  # type: ignore[attr-defined]
        "request": 1,
        "event": "alerted",
        "kind": "120",
        "level": 0,
        "people": 2,
    }


async def test_a_step_that_is_refused_is_not_in_the_story(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="helpline.story")
    worker, li, qian = world.user(MAO), world.user(LI), world.user(QIAN)
    worker.send("/120 chest pain")
    alert = await li.wait_message("chest pain")
    other = await qian.wait_message("chest pain")
    await li.press(alert, "Take")
    answer = await qian.press(other, "Take")  # lost the race: rolled back, not told
    assert "already" in (answer.text or "")
    lines = [r.getMessage() for r in told(caplog)]
    assert lines.count("request #1 taken kind=120") == 1


async def test_a_visit_reminded_and_done_is_in_the_story_without_names(
    dated: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The example roster's sun-guardian plan: reminded on Thursday 2026-12-03 at 08:30
    (two days ahead of its first Saturday), logged Done on the day."""
    caplog.set_level(logging.INFO, logger="helpline.story")
    li = dated.user(LI)
    thursday = datetime(2026, 12, 3, 8, 31, tzinfo=SHANGHAI)
    await dated.advance(seconds=(thursday.astimezone(UTC) - dated.clock.now()).total_seconds())
    await dated.settle()
    ahead = await li.wait_message("孙琪伟")
    await li.press(ahead, "Done")
    lines = [r.getMessage() for r in told(caplog)]
    reminded = [line for line in lines if line.startswith("plan #") and " reminded " in line]
    assert reminded and all("visit=" in line and "people=" in line for line in reminded)
    assert any(line.startswith("plan #") and " done visit=" in line for line in lines)
    assert not any("孙琪伟" in line or "李强" in line for line in lines)


async def test_an_idle_day_writes_at_most_a_few_lines(world: World) -> None:
    """A day with no request: the clock walks 24 hours in five-minute steps, the deadline
    engine and the dispatcher wake at each, and the poller keeps polling. Nothing logs a
    wake-up or a call, so the day costs the log no line at all (the old bot wrote ~5,800:
    APScheduler's "Running job" and httpx's "HTTP Request" for every one); what an admin
    reads is the story, the start and the stop, and what went wrong."""
    out = io.StringIO()
    polls = len([c for c in world.server.calls if c.method == "getUpdates"])
    with configured("INFO", "text", SHANGHAI, stream=out):
        for _ in range(24 * 12):
            await world.advance(minutes=5)
            await world.settle()
        # and the poller has polled Telegram a few times meanwhile, over real HTTP
        for n in range(polls + 1, polls + 4):
            await world.server.wait_call(functools.partial(_nth_poll, world, n=n))
    lines = out.getvalue().splitlines()
    assert lines == []


def _nth_poll(world: World, call: Call, *, n: int) -> bool:
    return call.method == "getUpdates" and (
        len([c for c in world.server.calls if c.method == "getUpdates"]) >= n
    )
