"""Outages that last: a full disk, Telegram unreachable for minutes, a chat whose answers
come back too late. Each against a real ``helpline run`` and the sandbox, with the same
verdict as ``test_faults``: every request raised, every message delivered, each at most
once unmarked plus at most one copy marked as a repeat of a send that reached the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.process.harness import (
    CHEN,
    LI,
    MAO,
    QIAN,
    WAIT,
    WANG,
    Harness,
    all_sent,
    harness_for,
    until,
)
from tests.process.test_faults import REPEAT, assert_each_message_at_most_once_plus_one_repeat

pytestmark = pytest.mark.process

OUTAGE = 150.0  # seconds Telegram stays unreachable: the escalations fall inside it
DISK = "8m"  # room for the example roster's database and its WAL, and little else


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[Path]:
    """A tmpfs of ``DISK`` mounted at ``where`` (root only: CI runs as root)."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"a full disk needs a tmpfs mount (run as root): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(path: Path) -> int:
    """Write ``path`` until the file system says it is full; return the bytes written."""
    chunk = b"\0" * 65536
    written = 0
    with path.open("wb") as ballast:
        try:
            while True:
                written += ballast.write(chunk)
                ballast.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return written


@pytest.fixture
async def full_disk_harness(tmp_path: Path, undated_roster: Path) -> AsyncIterator[Harness]:
    with small_disk(tmp_path / "disk") as disk:
        async with harness_for(tmp_path, undated_roster, db=disk / "helpline.db") as h:
            yield h


async def test_a_full_disk_then_freed_loses_nothing(full_disk_harness: Harness) -> None:
    h = full_disk_harness
    worker, li, qian = h.user(MAO), h.user(LI), h.user(QIAN)
    bot = await h.start_bot()
    worker.send("/120 before the disk filled")
    await li.wait_message("before the disk filled", WAIT)
    await until(lambda: all_sent(h), "the first request's messages sent")

    ballast = h.db.parent / "ballast"
    assert fill(ballast) > 0
    burst = [f"/120 new full {k}" for k in range(10)]
    for text in burst:
        worker.send(text)
    await until(lambda: "database or disk is full" in bot.tail(400), "the bot meets it", 30)
    await asyncio.sleep(3.0)  # the fault lasts: the bot keeps trying against a full disk
    assert not any("full " in m.text for m in li.messages)  # nothing told before stored
    ballast.unlink()  # the admin frees space
    worker.send("/120 new after the disk was freed")

    await until(lambda: h.query("SELECT count(*) FROM requests") == [(12,)] or None, "12", 90)
    await until(lambda: all_sent(h), "every message sent", 120)
    raised = sorted(r[0] for r in h.query("SELECT text FROM requests"))
    expected = [t.removeprefix("/120 new ") for t in burst]
    assert raised == sorted([*expected, "before the disk filled", "after the disk was freed"])
    for member in (li, qian):
        for text in [*expected, "after the disk was freed"]:
            assert any(text in m.text for m in member.messages), (member.id, text)
    assert_each_message_at_most_once_plus_one_repeat(h, [worker, li, qian])
    assert h.query("SELECT DISTINCT status FROM inbox") == [("done",)]
    assert bot.count("recovered") >= 1 and bot.count("Traceback") == 0
    assert bot.returncode is None  # it never stopped


@pytest.fixture
def fast_roster(undated_roster: Path) -> Path:
    """The undated roster with a 120 that escalates after 20 s and 40 s, repeating each
    minute: the whole chain falls inside one outage."""
    yaml = YAML()
    data = yaml.load(undated_roster.read_text(encoding="utf-8"))
    data["escalation"]["critical"] = {"levels": ["20s", "40s"], "repeat": "60s"}
    with undated_roster.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)
    return undated_roster


@pytest.fixture
async def outage_harness(tmp_path: Path, fast_roster: Path) -> AsyncIterator[Harness]:
    async with harness_for(tmp_path, fast_roster) as h:
        yield h


@pytest.mark.slow
async def test_the_api_stopped_150s_across_an_escalation(outage_harness: Harness) -> None:
    h = outage_harness
    worker, li, qian, wang, chen = (h.user(i) for i in (MAO, LI, QIAN, WANG, CHEN))
    bot = await h.start_bot()
    worker.send("/120 chest pain")
    await li.wait_message("chest pain", WAIT)
    await until(lambda: all_sent(h), "the first alerts sent")

    await h.server.stop()  # Telegram unreachable: every call is refused
    worker.send("I am at gate 3")  # waits at Telegram until the bot can fetch it
    await until(
        lambda: h.query("SELECT count(*) FROM outbox WHERE level >= 2") != [(0,)] or None,
        "the committee's escalation queued during the outage",
        60,
    )
    await asyncio.sleep(OUTAGE - 40.0)  # the rest of the outage
    await h.server.start()

    await chen.wait_message("gate 3", 60)
    await until(lambda: all_sent(h), "everything queued in the outage sent", 60)
    for user in (wang, chen):
        escalations = [m for m in user.messages if "ESCALATION" in m.text]
        assert escalations and all("#1" in m.text for m in escalations)
    # Level 1 (the secretary) is alerted once; the committee once per level-2 alert and
    # repeat the deadline engine queued - never the same text twice.
    assert len([m for m in wang.messages if "ESCALATION" in m.text]) == 1
    assert_each_message_at_most_once_plus_one_repeat(h, [worker, li, qian, wang, chen])
    assert not any(m.text.startswith(REPEAT) for u in (li, qian, wang) for m in u.messages)
    assert bot.count("polling Telegram (getUpdates) failed") == 1
    assert bot.count("Traceback") == 0 and bot.returncode is None


@pytest.mark.slow
async def test_a_chat_whose_answers_come_6s_late_gets_one_repeat(harness: Harness) -> None:
    h = harness
    worker, li, qian = h.user(MAO), h.user(LI), h.user(QIAN)
    await h.start_bot()
    # li's next four sends arrive, but their answers come after the bot's 5 s timeout.
    h.server.delay("sendMessage", chat_id=LI, seconds=6.0, times=4, deliver=True)
    worker.send("/120 chest pain")
    await qian.wait_message("chest pain", WAIT)
    await li.wait_message(lambda m: m.text.startswith(REPEAT), 30)
    worker.send("I am at gate 3")
    await qian.wait_message("gate 3", WAIT)
    await li.wait_message("gate 3", 60)
    unsettled = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
    await until(lambda: h.query(unsettled) == [(0,)] or None, "every row settled", 60)
    alerts = [m.text for m in li.messages if "chest pain" in m.text]
    assert len(alerts) == 2 and alerts[1] == REPEAT + alerts[0]
    order = [m.text for m in li.messages]
    assert order.index(alerts[0]) < next(i for i, t in enumerate(order) if "gate 3" in t)
    assert_each_message_at_most_once_plus_one_repeat(h, [worker, li, qian])
