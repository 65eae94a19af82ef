"""Requests that run their whole course through the real bot, for the figures' tests; and
the check that a chart the bot sent is a real picture of a sensible size."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from sandbox.users import SentMessage
from storage.tables import branches, requests
from tests.e2e.conftest import World

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Case:
    """A /120 ``text`` from ``worker``, taken by ``member`` ``take_after`` minutes after it
    was raised, then resolved, confirmed and given ``stars``."""

    worker: int
    member: int
    text: str
    take_after: int
    stars: int = 5


def _alert_for(text: str) -> Callable[[SentMessage], bool]:
    return lambda m: text in m.text and "Take" in m.buttons


def captioned(caption: str) -> Callable[[SentMessage], bool]:
    """A photo with this caption."""
    return lambda m: m.kind == "photo" and m.caption == caption


def _with(label: str, data: str) -> Callable[[SentMessage], bool]:
    return lambda m: label in m.buttons and m.callback_data(label) == data


async def story(world: World, cases: list[Case], *, resolve_after: int = 10) -> list[int]:
    """Run the cases side by side (every request is raised at the same moment, so its time
    to take is exactly ``take_after``), phase by phase, so each chat's messages flow at
    Telegram's pace in parallel with the others'; return the request numbers."""
    numbers, alerts = [], {}
    for case in cases:
        world.user(case.worker).send(f"/120 {case.text}")
        alert = await world.user(case.member).wait_message(_alert_for(case.text))
        numbers.append(int(alert.callback_data("Take").removeprefix("t:")))
        alerts[numbers[-1]] = alert
    waited = 0
    for number, case in sorted(zip(numbers, cases, strict=True), key=lambda p: p[1].take_after):
        await world.advance(minutes=case.take_after - waited)
        waited = case.take_after
        await world.user(case.member).press(alerts[number], "Take")
    await world.advance(minutes=resolve_after)
    for number, case in zip(numbers, cases, strict=True):
        member = world.user(case.member)
        panel = await member.wait_message(_with("Resolved", f"r:{number}"), since=0)
        await member.press(panel, "Resolved")
    for number, case in zip(numbers, cases, strict=True):
        worker = world.user(case.worker)
        question = await worker.wait_message(_with("Confirm", f"c:{number}"), since=0)
        await worker.press(question, "Confirm")
    for number, case in zip(numbers, cases, strict=True):
        worker = world.user(case.worker)
        rating = await worker.wait_message(
            _with(f"{case.stars}⭐", f"s:{number}:{case.stars}"), since=0
        )
        await worker.press(rating, f"{case.stars}⭐")
    await world.settle()
    return numbers


async def seed_closed(
    world: World, branch_key: str | None, takes: list[int], stars: list[int]
) -> None:
    """Requests closed by their workers, written straight into the database (the figures
    their timelines would have left): raised now, taken after ``takes`` seconds, resolved
    ten minutes later and closed at once. For tests about the figures, not the lifecycle."""
    now = world.clock.now()
    async with world.runtime.engine.begin() as conn:
        branch_id = await conn.scalar(select(branches.c.id).where(branches.c.key == branch_key))
        rows: list[dict[str, Any]] = [
            {
                "kind": "120",
                "urgency": "critical",
                "state": "closed",
                "branch_id": branch_id,
                "requester_chat_id": 2001,
                "requester_name": "茅建国",
                "text": "seeded",
                "chain": {},
                "rating": star,
                "created_at": now,
                "updated_at": now,
                "take_seconds": take,
                "resolve_seconds": take + 600,
                "close_seconds": take + 600,
                "closed_by": "worker",
            }
            for take, star in zip(takes, stars, strict=True)
        ]
        await conn.execute(insert(requests), rows)


def photo_bytes(world: World, message: SentMessage) -> bytes:
    """The bytes of the biggest size of a photo the bot sent, as the sandbox stored them."""
    assert message.photo, f"not a photo: {message!r}"
    stored = world.server.state.files.get(str(message.photo[-1]["file_id"]))
    assert stored is not None
    return stored.data


def assert_chart_png(data: bytes) -> tuple[int, int]:
    """A valid PNG, 300-2000 px each way (read from IHDR), under 500 KB."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert chunk == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    assert 300 <= width <= 2000 and 300 <= height <= 2000, (width, height)
    assert len(data) < 500 * 1024, len(data)
    return width, height
